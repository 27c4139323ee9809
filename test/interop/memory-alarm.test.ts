// pika (Debian's python3-pika) during a memory alarm: its connection.blocked / unblocked callbacks fire on
// the publishing connection with "low on memory", and a consumer-only connection with
// blocked_connection_timeout outlives the alarm (RabbitMQ notifies only connections that publish).
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';

const PYTHON = process.env.WARREN_INTEROP_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../test/interop/python/memory_alarm.py', import.meta.url));
const skip = spawnSync(PYTHON, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0 ? false : 'no pika';

let b: RunningBroker;
before(async () => {
  b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
});
after(() => b.close());

test(
  'pika: blocked callback "low on memory" on the publisher, a consumer-only connection unharmed',
  { skip },
  async () => {
    const url = `amqp://guest:guest@127.0.0.1:${b.amqpPort}/%2F`;
    const p = spawn(PYTHON, [SCRIPT, url, 'pika-mem-alarm'], { timeout: 30000 });
    let out = '';
    const waitFor = (line: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.split('\n').includes(line)) resolve();
          else if (p.exitCode !== null) reject(new Error(`exited before '${line}': ${out}`));
          else setTimeout(check, 20);
        };
        check();
      });
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    try {
      await waitFor('ready');
      b.memory.setWatermark({ relative: 0 });
      p.stdin.write('alarm\n');
      await waitFor('blocked');
      b.memory.setWatermark({ relative: 0.4 });
      p.stdin.write('cleared\n');
      assert.equal(await exited, 0, out);
      assert.match(out, /^done 22$/m);
    } finally {
      b.memory.setWatermark({ relative: 0.4 });
      p.kill();
    }
  },
);
