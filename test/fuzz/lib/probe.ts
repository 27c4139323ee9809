// The probe's side in the fuzz driver: starts probe-worker.ts, collects its round trips and errors.
import { Worker } from 'node:worker_threads';

export interface ProbeReport {
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** The worst p99 of any 10 s window ("p99 under 10 ms throughout"). */
  worstWindowP99: number;
  errors: string[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export class Probe {
  private readonly worker: Worker;
  private readonly at: number[] = [];
  private readonly rtt: number[] = [];
  readonly errors: string[] = [];
  private stopped: Promise<void>;

  /** `isolate`: the probe's thread runs at nice -10 (bench/lib/isolate.ts), above the fuzzer's. */
  constructor(url: string, isolate = false) {
    this.worker = new Worker(new URL('./probe-worker.js', import.meta.url), { workerData: { url, isolate } });
    this.stopped = new Promise((resolve) => {
      this.worker.on('message', (m: number[] | string) => {
        if (m === 'stopped') resolve();
        else if (typeof m === 'string') this.errors.push(m);
        else
          for (let i = 0; i < m.length; i += 2) {
            this.at.push(m[i]!);
            this.rtt.push(m[i + 1]!);
          }
      });
      this.worker.on('error', (e) => {
        this.errors.push(`probe worker: ${e.message}`);
        resolve();
      });
      this.worker.on('exit', () => resolve());
    });
  }

  /** Round trips so far. */
  get count(): number {
    return this.rtt.length;
  }

  async stop(): Promise<ProbeReport> {
    this.worker.postMessage('stop');
    await Promise.race([this.stopped, new Promise((r) => setTimeout(r, 5000))]);
    await this.worker.terminate();
    return this.report();
  }

  report(): ProbeReport {
    const sorted = [...this.rtt].sort((a, b) => a - b);
    let worst = 0;
    let start = 0;
    for (let i = 0; i <= this.at.length; i++) {
      if (i === this.at.length || this.at[i]! - this.at[start]! > 10000) {
        if (i - start >= 100)
          worst = Math.max(
            worst,
            percentile(
              this.rtt.slice(start, i).sort((a, b) => a - b),
              99,
            ),
          );
        start = i;
      }
    }
    return {
      n: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? 0,
      worstWindowP99: worst,
      errors: this.errors,
    };
  }
}
