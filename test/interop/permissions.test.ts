// pika (Debian's python3-pika) against Warren's access control: refused operations get RabbitMQ's 403 texts.
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../../src/index.js';

const PYTHON = process.env.WARREN_INTEROP_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../test/interop/python/permissions.py', import.meta.url));
const skip = spawnSync(PYTHON, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0 ? false : 'no pika';

let b: RunningBroker;
before(async () => {
  b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
  b.broker.users.add('pikauser', 'pw');
  b.broker.users.setPermissions('pikauser', '/', { configure: '^ok\\.', write: '^ok\\.', read: '^ok\\.' });
  b.broker.vhosts
    .get('/')!
    .declareQueue('no.pre', { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
});
after(() => b.close());

test('pika sees 403 ACCESS_REFUSED with RabbitMQ texts', { skip }, async () => {
  const url = `amqp://pikauser:pw@127.0.0.1:${b.amqpPort}/%2F`;
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(PYTHON, [SCRIPT, url, 'pikauser'], { timeout: 30000 });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /refused as RabbitMQ: ACCESS_REFUSED - access to exchange 'amq.default'/);
});

// pika >= 1.3 has connection.update_secret; Debian bookworm's 1.2 does not (the suite skips it there)
const skipUpdateSecret =
  skip ||
  (spawnSync(
    PYTHON,
    ['-c', 'import pika, sys; sys.exit(0 if hasattr(pika.BlockingConnection, "update_secret") else 1)'],
    {
      stdio: 'ignore',
    },
  ).status === 0
    ? false
    : 'pika < 1.3 has no connection.update_secret');

test(
  'pika connection.update_secret: the password and any other secret ok, as RabbitMQ',
  { skip: skipUpdateSecret },
  async () => {
    const script = fileURLToPath(new URL('../../../test/interop/python/update_secret.py', import.meta.url));
    const url = `amqp://pikauser:pw@127.0.0.1:${b.amqpPort}/%2F`;
    // spawn, not spawnSync: the broker answering the script runs in this process
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(PYTHON, [script, url, 'pw'], { timeout: 30000 });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /update_secret with another secret: ok/);
  },
);
