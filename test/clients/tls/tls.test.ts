// AMQP over TLS (RabbitMQ port 5671): amqplib connects with amqps://, verifying Warren's certificate;
// with failIfNoPeerCert a client without a certificate is refused.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { selfSignedCert } from '../../helpers/tls-cert.js';

let cert: Buffer;
let key: Buffer;

before(() => {
  ({ cert, key } = selfSignedCert());
});

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

test('amqps: large messages (TLS delivers 16 KiB records, so a body spans many chunks) arrive intact', async () => {
  const b = await start();
  try {
    const conn = await amqp.connect(`amqps://guest:guest@127.0.0.1:${b.amqpsPort}?frameMax=131072`, { ca: [cert] });
    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    const sent = [40000, 65536, 131064, 500000].map((n, i) => {
      const body = Buffer.allocUnsafe(n);
      for (let j = 0; j < n; j++) body[j] = (j * 17 + i) & 255;
      return body;
    });
    for (const body of sent) ch.sendToQueue(q.queue, body);
    const got: Buffer[] = [];
    await ch.consume(q.queue, (m) => m && got.push(m.content), { noAck: true });
    for (let i = 0; i < 250 && got.length < sent.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(got.length, sent.length);
    got.forEach((body, i) => assert.ok(body.equals(sent[i]!), `message ${i}`));
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

test('a TLS listener without tls options (cert and key) is refused at start, naming its option', async () => {
  for (const option of ['amqpsPort', 'mqttsPort', 'stompsPort'] as const) {
    await assert.rejects(
      startBroker({ amqpPort: null, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent', [option]: 0 }),
      new RegExp(`^Error: ${option} needs tls options \\(cert and key\\)$`),
    );
  }
});
