// Shared by the durability scripts: start `warren server` as a child on a free port, read its peak RSS.
import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../dist/src/cli/gc-tuning.js';

export const BIN = fileURLToPath(new URL('../../bin/warren', import.meta.url));
/** The other listeners default to RabbitMQ's ports: off, so this runs next to a RabbitMQ. */
const OFF = ['management', 'prometheus', 'mqtt', 'stomp', 'stream', 'web-mqtt', 'web-stomp'].flatMap((l) => [
  `--${l}-port`,
  'off',
]);

export async function startServer(dir, extra = []) {
  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    [
      // as bin/warren launches it (src/cli/gc-tuning.ts), unless BENCH_NODE_ARGS names a semi-space size;
      // e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the broker under a script
      ...((process.env.BENCH_NODE_ARGS ?? '').includes('semi-space') ? [] : SERVER_NODE_FLAGS),
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      BIN,
      'server',
      '--amqp-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      dir,
      '--log-level',
      'info',
      ...OFF,
      ...extra,
    ],
    // BENCH_STDOUT=FILE appends the broker's stdout there (e.g. V8's --trace-gc lines)
    { stdio: ['ignore', process.env.BENCH_STDOUT ? openSync(process.env.BENCH_STDOUT, 'a') : 'ignore', 'pipe'] },
  );
  let err = '';
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  const port = await new Promise((resolve, reject) => {
    // BENCH_STDERR=FILE appends the broker's log there too
    const log = process.env.BENCH_STDERR ? openSync(process.env.BENCH_STDERR, 'a') : -1;
    child.stderr.on('data', (d) => {
      if (log >= 0) writeSync(log, d);
      err += d.toString();
      if (err.length > 1e6) err = err.slice(-1e5);
      const m = /AMQP 0-9-1 listening on [^"]* port (\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`server exited: ${err}`)));
  });
  return {
    child,
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}/`,
    exited,
    startMs: Date.now() - t0,
    stderr: () => err,
  };
}

/** Peak and current RSS of a process, MiB (Linux /proc). */
export function rss(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { peakMiB: kb('VmHWM') / 1024, nowMiB: kb('VmRSS') / 1024 };
}
