// Shared by the memory-at-scale scripts: flags, the broker process behind a URI, RSS sampling, and a
// background prober that keeps measuring what a client sees (fresh-connection round trips, heartbeat gaps).
import { parseArgs } from 'node:util';
import { fdLimit, listenerPid, processName, rss } from './proc.js';
import { parseUri, RawConnection, roundTrip, type RawOptions } from './raw-amqp.js';

export interface Target {
  conn: Omit<RawOptions, 'heartbeat'>;
  pid: number;
  name: string;
}

/** `--uri` and `--pid` (default: the process listening on the URI's port). */
export function target(values: { uri?: string; pid?: string }): Target {
  const conn = parseUri(values.uri ?? 'amqp://guest:guest@127.0.0.1:5672/');
  const pid = values.pid !== undefined ? Number(values.pid) : listenerPid(conn.port);
  if (pid === null || !Number.isFinite(pid)) {
    throw new Error(`no process found listening on port ${conn.port}: pass --pid (the broker may run as another user)`);
  }
  return { conn, pid, name: processName(pid) };
}

export const commonOptions = {
  uri: { type: 'string' },
  pid: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export { parseArgs, fdLimit, rss };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function mib(n: number): string {
  return `${n.toFixed(1)} MiB`;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Peak RSS seen by sampling every `ms` (VmHWM would include the broker's whole past). */
export class RssSampler {
  peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    ms = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), ms);
  }
  sample(): number {
    const now = rss(this.pid).nowMiB;
    if (now > this.peak) this.peak = now;
    return now;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * While a phase runs: a fresh connection's declare/publish/get round trip every `everyMs`, and one
 * connection with a short heartbeat whose gaps between broker heartbeats are recorded.
 */
export class Prober {
  readonly latencies: number[] = [];
  errors: string[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;
  watcher: RawConnection | null = null;

  constructor(
    private readonly conn: Omit<RawOptions, 'heartbeat'>,
    private readonly prefix: string,
    private readonly everyMs = 2000,
    private readonly heartbeat = 2,
  ) {}

  async start(): Promise<void> {
    this.watcher = await RawConnection.open({ ...this.conn, heartbeat: this.heartbeat });
    const w = this.watcher;
    const hb = setInterval(() => w.sendHeartbeat(), (this.heartbeat * 1000) / 2);
    let i = 0;
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          this.latencies.push(await roundTrip({ ...this.conn, heartbeat: 0 }, `${this.prefix}.probe.${i++}`));
        } catch (e) {
          this.errors.push(String(e));
        }
        const until = Date.now() + this.everyMs;
        while (!this.stopped && Date.now() < until) await sleep(50);
      }
      clearInterval(hb);
    })();
  }

  async stop(): Promise<{ roundTripMs: { n: number; median: number; max: number }; heartbeat: HeartbeatReport }> {
    this.stopped = true;
    await this.loop;
    const w = this.watcher!;
    const report = {
      roundTripMs: {
        n: this.latencies.length,
        median: round(median(this.latencies)),
        max: round(Math.max(0, ...this.latencies)),
      },
      heartbeat: {
        intervalS: w.heartbeat,
        beats: w.beats,
        maxGapMs: w.gapNow(),
        closedByBroker: w.closed === null ? null : String(w.closed),
      },
    };
    await w.close();
    return report;
  }
}

export interface HeartbeatReport {
  intervalS: number;
  beats: number;
  maxGapMs: number;
  closedByBroker: string | null;
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Run `n` jobs with at most `limit` in flight. */
export async function pool(n: number, limit: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}
