// Test helper: `warren server` as a child process, as a user runs it (bin/warren), for the tests that need
// a real process: SIGTERM/SIGKILL, flags and environment, RSS. It resolves once the server logs its AMQP
// listening line (with the bound port), and rejects with the server's stderr if it exits first.
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WARREN_BIN = fileURLToPath(new URL('../../../bin/warren', import.meta.url));

/** The listeners other than AMQP default to RabbitMQ's ports (held by the RabbitMQ anchor here): off. */
export const OTHER_LISTENERS_OFF = [
  'management',
  'prometheus',
  'mqtt',
  'stomp',
  'stream',
  'web-mqtt',
  'web-stomp',
].flatMap((l) => [`--${l}-port`, 'off']);

export interface WarrenChild {
  child: ChildProcess;
  /** The bound AMQP port. */
  port: number;
  /** amqp://guest:guest@127.0.0.1:PORT/ */
  url: string;
  /** Everything the server has written to stderr so far (its log). */
  stderr: () => string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  /** Added to the environment (WARREN_* variables). */
  env?: Record<string, string>;
  /** How long to wait for the listening line. */
  timeoutMs?: number;
}

/** Run `warren server ARGS`; `args` are passed as they are (a test that wants port 0 says `--amqp-port 0`). */
/**
 * Servers still running: killed after the file's tests, so a test that failed before its own kill leaves no
 * broker behind (its stderr pipe would also keep the test process from exiting).
 */
const running = new Set<ChildProcess>();
const killRunning = (): void => {
  for (const c of running) c.kill('SIGKILL');
};
after(killRunning);
process.once('exit', killRunning);

export async function spawnWarren(args: string[], o: SpawnOptions = {}): Promise<WarrenChild> {
  const child = spawn(process.execPath, [WARREN_BIN, 'server', ...args], {
    env: o.env ? { ...process.env, ...o.env } : process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in: ${err}`)), o.timeoutMs ?? 15000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /AMQP 0-9-1 listening on [^"]* port (\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      reject(new Error(`server exited: ${err}`));
    });
  });
  return { child, port, url: `amqp://guest:guest@127.0.0.1:${port}/`, stderr: () => err, exited };
}

/** SIGKILL the server (a crash, for durability tests) and wait for it to be gone. */
export async function kill9(s: WarrenChild): Promise<void> {
  s.child.kill('SIGKILL');
  await s.exited;
}

/** A fresh directory under the system's temp dir (a data dir, a config file's home). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
