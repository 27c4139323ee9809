// The fuzz harness: a broker child (broker-child.ts) and a runner that plays generated cases against one of
// its listeners, `concurrency` connections at a time. A case is a list of writes on a fresh connection;
// after the last write and `holdMs`, the client half-closes and the broker must close within the case
// timeout (else: a hang). What the broker answered is classified per protocol (AMQP close codes, MQTT
// CONNACK/DISCONNECT reasons, STOMP ERROR messages, HTTP statuses) and counted. Broker stderr lines at
// error level or above, and anything that is not a log line (a stack trace), are failures, attributed
// to the cases in flight when they appeared; so is the broker's exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { SERVER_NODE_FLAGS } from '../../../src/cli/gc-tuning.js';
import net from 'node:net';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { caseRng, type Rng } from './rng.js';

export interface FuzzCase {
  kind: string;
  chunks: Buffer[];
  /** Keep the connection open this long after the last write (timers, deliveries, heartbeats). */
  holdMs: number;
}

export interface Ports {
  amqp: number;
  mqtt: number;
  stomp: number;
  management: number;
  stream: number;
}

export interface FuzzTarget {
  name: string;
  port(p: Ports): number;
  generate(rng: Rng, i: number): FuzzCase;
  /** What the broker's answer means: a short label ("conn 501 (10,40)", "status 404", "closed"). */
  classify(reply: Buffer): string;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** The Stream block reader's free blocks kept for reuse (a bounded cache, not a leak). */
  pooledBlocks: number;
}

export interface BrokerFailure {
  line: string;
  inFlight: number[];
}

export class FuzzBroker {
  readonly failures: BrokerFailure[] = [];
  exitCode: number | null | undefined = undefined;
  private stderrTail = '';
  inFlight: () => number[] = () => [];
  readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly ports: Ports,
  ) {
    this.exited = new Promise((r) =>
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        if (signal !== 'SIGTERM' && code !== 0)
          this.failures.push({ line: `broker exited: code ${code} signal ${signal}`, inFlight: this.inFlight() });
        r();
      }),
    );
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      this.stderrTail += d;
      let nl: number;
      while ((nl = this.stderrTail.indexOf('\n')) >= 0) {
        const line = this.stderrTail.slice(0, nl);
        this.stderrTail = this.stderrTail.slice(nl + 1);
        this.onLine(line);
      }
    });
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let level = 100;
    try {
      level = (JSON.parse(line) as { level: number }).level;
    } catch {
      // not a pino line: a stack trace, a Node warning
      if (line.includes('ExperimentalWarning') || line.startsWith('(Use `node --trace-warnings')) return;
    }
    if (level >= 50) this.failures.push({ line: line.slice(0, 2000), inFlight: this.inFlight() });
  }

  /** `script`: another build's broker-child.js (bench/fuzz/probe-check.ts --other: old build against new). */
  static async start(options: object = {}, env: Record<string, string> = {}, script?: string): Promise<FuzzBroker> {
    script ??= fileURLToPath(new URL('./broker-child.js', import.meta.url));
    // FUZZ_BROKER_CPU_PROF=dir: the broker child writes a V8 CPU profile there when it stops (what its turns spend)
    const prof = process.env.FUZZ_BROKER_CPU_PROF;
    const flags = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
    // FUZZ_BROKER_NODE_ARGS="--trace-gc ...": more node flags for the child (its stdout's first line must stay the ports)
    flags.push(...(process.env.FUZZ_BROKER_NODE_ARGS ?? '').split(' ').filter(Boolean));
    // V8 flags as `warren server` runs with (src/cli/gc-tuning.ts; broker-child.ts calls tuneGc too)
    const child = spawn(process.execPath, ['--expose-gc', ...SERVER_NODE_FLAGS, ...flags, script], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...env, FUZZ_BROKER_OPTIONS: JSON.stringify(options) },
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const ports = await new Promise<Ports>((resolve, reject) => {
      let out = '';
      // FUZZ_BROKER_STDOUT=FILE: the child's stdout after the ports (e.g. --trace-gc lines) appended there
      const keep = process.env.FUZZ_BROKER_STDOUT;
      let found = false;
      child.stdout!.on('data', (d: Buffer) => {
        if (keep !== undefined) appendFileSync(keep, d);
        if (found) return;
        out += d.toString();
        // the ports are the line that is a JSON object (a node flag's output may come first)
        const m = /^\{.*\}$/m.exec(out);
        if (m !== null) {
          found = true;
          resolve(JSON.parse(m[0]) as Ports);
        }
      });
      child.on('exit', () => reject(new Error(`broker child exited: ${err}`)));
    });
    child.stderr!.removeAllListeners('data');
    return new FuzzBroker(child, ports);
  }

  /** Live memory after a full GC in the broker. */
  mem(timeoutMs = 10000): Promise<MemorySample> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('broker did not answer mem')), timeoutMs);
      this.child.once('message', (m) => {
        clearTimeout(t);
        resolve(m as MemorySample);
      });
      this.child.send('mem');
    });
  }

  /** A heap snapshot of the broker after a full GC, written to `file`. */
  snapshot(file: string, timeoutMs = 120000): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('broker did not write the snapshot')), timeoutMs);
      this.child.once('message', () => {
        clearTimeout(t);
        resolve();
      });
      this.child.send({ snapshot: file });
    });
  }

  /** The broker's event-loop delay (ms) since the last call: p50, p99, max (broker-child.ts). */
  loop(timeoutMs = 10000): Promise<{ p50: number; p99: number; max: number }> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('broker did not answer loop')), timeoutMs);
      this.child.once('message', (m) => {
        clearTimeout(t);
        resolve(m as { p50: number; p99: number; max: number });
      });
      this.child.send('loop');
    });
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.alive) this.child.kill('SIGKILL');
  }
}

export interface RunOptions {
  target: FuzzTarget;
  broker: FuzzBroker;
  seed: number;
  cases: number;
  first?: number;
  concurrency?: number;
  caseTimeoutMs?: number;
  /** Stop starting cases at this time (ms since the epoch). */
  deadline?: number;
  onProgress?: (done: number, r: RunResult) => void;
  progressEvery?: number;
}

export interface RunResult {
  cases: number;
  byKind: Record<string, number>;
  outcomes: Record<string, number>;
  hangs: number[];
  refused: number;
  ms: number;
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

const REPLY_CAP = 65536;

/** One case on one connection; resolves with what the broker sent, or null when it did not close in time. */
export function playCase(
  port: number,
  c: FuzzCase,
  timeoutMs: number,
): Promise<{ reply: Buffer; closed: boolean } | 'refused'> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.setNoDelay(true);
    const got: Buffer[] = [];
    let n = 0;
    let connected = false;
    let timer: NodeJS.Timeout | null = null;
    s.on('data', (d: Buffer) => {
      if (n < REPLY_CAP) {
        got.push(d);
        n += d.length;
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (timer) clearTimeout(timer);
      resolve(connected ? { reply: Buffer.concat(got), closed: true } : 'refused');
    });
    s.on('connect', () => {
      connected = true;
      void (async () => {
        for (let i = 0; i < c.chunks.length && !s.destroyed; i++) {
          if (i > 0) await new Promise((r) => setImmediate(r));
          s.write(c.chunks[i]!);
        }
        if (c.holdMs > 0) await new Promise((r) => setTimeout(r, c.holdMs));
        if (!s.destroyed) s.end();
        timer = setTimeout(() => {
          resolve({ reply: Buffer.concat(got), closed: false });
          s.destroy();
        }, timeoutMs);
      })();
    });
  });
}

/** Run cases [first, first + cases) of `seed` against the target; stops early if the broker dies. */
export async function runCases(o: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
  const r: RunResult = { cases: 0, byKind: {}, outcomes: {}, hangs: [], refused: 0, ms: 0 };
  const first = o.first ?? 0;
  const end = first + o.cases;
  const port = o.target.port(o.broker.ports);
  const inFlight = new Set<number>();
  o.broker.inFlight = () => [...inFlight];
  let next = first;
  const worker = async (): Promise<void> => {
    while (next < end && o.broker.alive && (o.deadline === undefined || Date.now() < o.deadline)) {
      const i = next++;
      const c = o.target.generate(caseRng(o.seed, i), i);
      inFlight.add(i);
      const res = await playCase(port, c, o.caseTimeoutMs ?? 10000);
      inFlight.delete(i);
      r.cases++;
      bump(r.byKind, c.kind);
      if (res === 'refused') r.refused++;
      else {
        if (!res.closed) r.hangs.push(i);
        bump(r.outcomes, o.target.classify(res.reply));
      }
      if (o.onProgress && r.cases % (o.progressEvery ?? 10000) === 0) {
        r.ms = Date.now() - t0;
        o.onProgress(r.cases, r);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 32 }, worker));
  r.ms = Date.now() - t0;
  return r;
}

/** One case's bytes, for a replay or a unit test: `node dist/bench/fuzz/run.js amqp --seed S --only I --dump`. */
export function caseOf(target: FuzzTarget, seed: number, i: number): FuzzCase {
  return target.generate(caseRng(seed, i), i);
}
