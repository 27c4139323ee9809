// RabbitMQ's memory alarm (vm_memory_monitor): the process's memory is sampled every second (every 100 ms
// from half the watermark on, and while alarmed) and, past the high watermark (vm_memory_high_watermark,
// default 0.4 of the memory available), the memory alarm is raised and publishers are blocked until it falls
// back under it (no hysteresis: raised when used > limit, cleared when used <= limit, as
// vm_memory_monitor:internal_update). https://www.rabbitmq.com/docs/memory
//
// What "used" is (`strategy`, RabbitMQ's vm_memory_calculation_strategy):
// - 'allocated' (default): V8's committed heap (heapTotal) + the ArrayBuffer memory that backs every message
//   body (arrayBuffers) + the process's native overhead measured once at start (RSS - both, then). This is
//   what falls when queues drain. RSS does not: glibc keeps freed small chunks (a 4 KiB message body is one
//   malloc) in its arenas, so after 400 MiB of 4 KiB messages are published and consumed RSS stays near
//   500 MiB for good while the live data is back to a few MiB. An alarm on RSS would then never clear.
//   (`external` is not used: it lags behind arrayBuffers after a GC.)
// - 'rss': the resident set size, as RabbitMQ's default on Linux; closer to what the OS sees, but may stay
//   over the watermark after the memory is free for reuse (see above).
//
// Whatever the watermark, the alarm is also raised while V8's heap is over 3/4 of its own limit
// (heap_size_limit, ~4 GiB by default, --max-old-space-size): with small messages in memory (~450 bytes of
// heap each) the heap would otherwise run out, and the process die, before a watermark of 0.4 of a large
// RAM is reached. RabbitMQ (one Erlang heap per process) has no such second limit.
//
// Either value only falls once V8 has collected the dropped messages, and an idle broker may not collect
// for minutes. So, as RabbitMQ runs a full GC when the alarm is set (rabbit_alarm: background_gc:run()),
// while the alarm is raised the monitor forces a full GC (V8's gc(), exposed lazily the first time it is
// needed) and samples again shortly after (ArrayBuffers are freed by a background sweeper). GCs are spaced
// so they take at most 5% of the time (a 100 ms GC waits 2 s for the next; 200 ms at least), and never run
// while under the watermark.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '../util/logger.js';

export type MemoryStrategy = 'allocated' | 'rss';

/** vm_memory_high_watermark.relative (fraction of the memory available) or .absolute (bytes). */
export type MemoryWatermark = { relative: number } | { absolute: number };

export interface MemorySample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  arrayBuffers: number;
}

export interface MemoryMonitorOptions {
  watermark: MemoryWatermark;
  strategy: MemoryStrategy;
  /** Node name for the log lines ("memory resource limit alarm set on node …"). */
  node: string;
  log: Logger;
  /** Called when the alarm is raised (true) or cleared (false). */
  onChange: (alarmed: boolean) => void;
  /** Tests inject these; the defaults read the process and the machine. */
  sample?: () => MemorySample;
  totalMemory?: number;
  /** V8's heap_size_limit. */
  heapLimit?: number;
  /** A full GC; null: never force one. Default: V8's gc(), exposed when first needed. */
  gc?: (() => void) | null;
  now?: () => number;
}

/** RabbitMQ's sampling interval (DEFAULT_MEMORY_CHECK_INTERVAL). */
const INTERVAL = 1000;
/** Sampling interval from half the watermark on and while alarmed: a fast publisher overshoots less. */
const FAST_INTERVAL = 100;
/** After a forced GC, the next sample comes this soon (the ArrayBuffer sweeper runs in the background). */
const AFTER_GC = 250;
/** vm_memory_monitor's MAX_VM_MEMORY_HIGH_WATERMARK: a larger relative watermark is taken as 1.0. */
const MAX_RELATIVE = 1.0;
/** The alarm is raised too while V8's used heap is over this share of its limit. */
const HEAP_SHARE = 0.75;
/** A forced GC may take this share of the time at most... */
const GC_SHARE = 0.05;
/** ...and comes at most this often (while consumers drain, the alarm clears at the GC after they did). */
const MIN_GC_INTERVAL = 200;
const MiB = 1024 * 1024;

export class MemoryMonitor {
  /** Memory used as last sampled, bytes (management mem_used). */
  used = 0;
  /** The watermark in bytes (management mem_limit). */
  limit = 0;
  /** Total memory the relative watermark applies to (RAM, or the cgroup limit when lower). */
  readonly total: number;
  /** V8's heap limit: past 3/4 of it the alarm is raised whatever the watermark. */
  readonly heapLimit: number;
  /** V8's used heap as last sampled. */
  heapUsed = 0;
  alarmed = false;
  watermark: MemoryWatermark;
  readonly strategy: MemoryStrategy;
  /** Full GCs forced while alarmed, and the time they took (ms). */
  gcRuns = 0;
  gcMs = 0;
  private readonly sample: () => MemorySample;
  private readonly now: () => number;
  private gc: (() => void) | null | undefined;
  private readonly baseline: number;
  private nextGcAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: MemoryMonitorOptions) {
    this.strategy = o.strategy;
    this.sample = o.sample ?? defaultSample;
    this.now = o.now ?? Date.now;
    this.gc = o.gc;
    this.total = o.totalMemory ?? availableMemory();
    this.heapLimit = o.heapLimit ?? getHeapStatistics().heap_size_limit;
    const s = this.sample();
    // the native part of the process (code, libuv, stacks) that V8 does not count, taken as constant
    this.baseline = Math.max(0, s.rss - s.heapTotal - s.arrayBuffers);
    this.watermark = o.watermark;
    this.limit = this.computeLimit();
    this.logLimit();
    this.update(s);
  }

  /** Sample every second (faster near the watermark) until stop(). */
  start(): void {
    this.stopped = false;
    this.schedule(this.delay());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** rabbitmqctl set_vm_memory_high_watermark: takes effect at once (and may raise or clear the alarm). */
  setWatermark(w: MemoryWatermark): void {
    this.watermark = w;
    this.limit = this.computeLimit();
    this.logLimit();
    const collected = this.check();
    // the sampling rate depends on the watermark
    if (this.timer !== null) this.schedule(collected ? AFTER_GC : this.delay());
  }

  /** One sample; while alarmed, a full GC when one is due (see the top of this file). True if it ran one. */
  check(): boolean {
    this.update(this.sample());
    if (!this.alarmed) return false;
    const now = this.now();
    if (now < this.nextGcAt) return false;
    const gc = this.gcFunction();
    if (gc === null) return false;
    const t0 = performance.now();
    gc();
    const ms = performance.now() - t0;
    this.gcRuns++;
    this.gcMs += ms;
    this.nextGcAt = now + Math.max(MIN_GC_INTERVAL, ms / GC_SHARE);
    this.o.log.debug({ ms: Math.round(ms) }, 'memory alarm: forced a full GC');
    return true;
  }

  private update(s: MemorySample): void {
    this.used = this.strategy === 'rss' ? s.rss : s.heapTotal + s.arrayBuffers + this.baseline;
    this.heapUsed = s.heapUsed;
    // vm_memory_monitor: alarmed while ProcMem > MemLimit (a limit of 0 blocks every publisher)
    const heapHigh = s.heapUsed > HEAP_SHARE * this.heapLimit;
    const alarmed = this.used > this.limit || heapHigh;
    if (alarmed === this.alarmed) return;
    this.alarmed = alarmed;
    const log = this.o.log;
    if (alarmed) {
      this.nextGcAt = 0; // collect at once, as rabbit_alarm does when the alarm is set
      if (heapHigh && this.used <= this.limit) {
        log.info(`V8 heap high: ${s.heapUsed} bytes used of its ${this.heapLimit}-byte limit (--max-old-space-size)`);
      } else log.info(`vm_memory_high_watermark set. Memory used:${this.used} allowed:${this.limit}`);
      log.warn(
        `memory resource limit alarm set on node ${this.o.node}.\n\n` +
          '**********************************************************\n' +
          '*** Publishers will be blocked until this alarm clears ***\n' +
          '**********************************************************\n',
      );
    } else {
      log.info(`vm_memory_high_watermark clear. Memory used:${this.used} allowed:${this.limit}`);
      log.warn(`memory resource limit alarm cleared on node ${this.o.node}`);
    }
    this.o.onChange(alarmed);
  }

  private computeLimit(): number {
    const w = this.watermark;
    // interpret_limit: an absolute limit is capped at the memory available, a relative one scales it
    if ('absolute' in w) return Math.min(w.absolute, this.total);
    let f = w.relative;
    if (f > MAX_RELATIVE) {
      this.o.log.warn(`Memory high watermark of ${f} is above the allowed maximum, falling back to ${MAX_RELATIVE}`);
      f = MAX_RELATIVE;
    }
    return Math.trunc(f * this.total);
  }

  private logLimit(): void {
    this.o.log.info(
      `Memory high watermark set to ${Math.trunc(this.limit / MiB)} MiB (${this.limit} bytes)` +
        ` of ${Math.trunc(this.total / MiB)} MiB (${this.total} bytes) total`,
    );
  }

  private delay(): number {
    return this.alarmed || this.used * 2 > this.limit ? FAST_INTERVAL : INTERVAL;
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      const collected = this.check();
      if (this.timer === null && !this.stopped) this.schedule(collected ? AFTER_GC : this.delay());
    }, ms);
    this.timer.unref();
  }

  private gcFunction(): (() => void) | null {
    if (this.gc === undefined) this.gc = exposeGc(this.o.log);
    return this.gc;
  }
}

function defaultSample(): MemorySample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

/**
 * V8's gc(): globalThis.gc under --expose-gc; otherwise the flag is set now and a fresh context, which gets
 * the gc global, hands it out (the technique of the expose-gc package). Null if that fails.
 */
function exposeGc(log: Logger): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    if (typeof fn === 'function') return fn as () => void;
  } catch (e) {
    log.warn({ err: e }, 'cannot force a GC; the memory alarm clears when V8 next collects');
  }
  return null;
}

/**
 * The memory a relative watermark applies to: the machine's RAM, or the cgroup's memory limit when it is
 * lower (a container). RabbitMQ 3.10 reads /proc/meminfo only; its docs advise an absolute watermark in
 * containers for that reason, which Warren does not need.
 */
export function availableMemory(
  ram = totalmem(),
  constrained = process.constrainedMemory?.() ?? 0,
  read: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): number {
  let total = ram;
  if (constrained > 0 && constrained < total) total = constrained;
  // cgroup v2, then v1 (libuv's constrained memory covers them too; read here in case it does not)
  for (const f of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const v = Number(read(f).trim()); // 'max' (no limit) is NaN
      if (Number.isFinite(v) && v > 0 && v < total) total = v;
    } catch {
      // not in a cgroup with a memory controller
    }
  }
  return total;
}
