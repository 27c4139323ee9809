// AMQP over TLS (RabbitMQ port 5671): amqplib connects with amqps://, verifying Warren's certificate;
// with failIfNoPeerCert a client without a certificate is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { startBroker, type RunningBroker } from '../../../src/index.js';

let dir: string;
let cert: Buffer;
let key: Buffer;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  key = readFileSync(join(dir, 'key.pem'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function start(extra: object = {}): Promise<RunningBroker> {
  return startBroker({
    amqpPort: null,
    amqpsPort: 0,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'silent',
    tls: { cert, key, ca: cert, ...extra },
  });
}

test('amqps: publish and get over TLS, server certificate verified by the client', async () => {
  const b = await start();
  try {
    assert.equal(b.amqpPort, null);
    const conn = await amqp.connect(`amqps://guest:guest@127.0.0.1:${b.amqpsPort}`, { ca: [cert] });
    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('over tls'));
    let m: amqp.GetMessage | false = false;
    for (let i = 0; i < 50 && !m; i++) {
      m = await ch.get(q.queue, { noAck: true });
      if (!m) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(m);
    assert.equal(m.content.toString(), 'over tls');
    await conn.close();
  } finally {
    await b.close();
  }
});

test('amqps with failIfNoPeerCert refuses a client without a certificate', async () => {
  const b = await start({ verifyPeer: true, failIfNoPeerCert: true });
  try {
    await assert.rejects(amqp.connect(`amqps://guest:guest@127.0.0.1:${b.amqpsPort}`, { ca: [cert] }));
    // with a client certificate signed by the CA (here: the same self-signed pair) it is accepted
    const conn = await amqp.connect(`amqps://guest:guest@127.0.0.1:${b.amqpsPort}`, { ca: [cert], cert, key });
    await conn.close();
  } finally {
    await b.close();
  }
});
