// Client-certificate logins with openssl-made certificates (a test CA signs the server's and the clients'):
// SASL EXTERNAL on AMQPS (amqplib credentials.external(), pika ExternalCredentials), offered when the TLS
// listener verifies peers; mqtt.ssl_cert_login (mqtt.js) and stomp.ssl_cert_login (STOMP over TLS); the
// user name from the certificate as ssl_cert_login_from says: the distinguished name (default), the common
// name, or a subject alternative name of a chosen type and index.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../../src/index.js';
import { testCa, type Issued, type TestCa } from '../../helpers/tls-ca.js';

const PYTHON = process.env.WARREN_INTEROP_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../../test/interop/python/external_pika.py', import.meta.url));
const noPika = spawnSync(PYTHON, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0 ? false : 'no pika';
const ALL = { configure: '.*', write: '.*', read: '.*' };

let ca: TestCa;
let dave: Issued;
let alice: Issued;
let stranger: Issued;
let carol: Issued;

before(() => {
  ca = testCa();
  dave = ca.issue('dave', '/C=UK/O=Warren/CN=dave');
  alice = ca.issue('alice', '/O=Warren/CN=alice');
  stranger = ca.issue('stranger', '/CN=stranger');
  carol = ca.issue('carol', '/CN=carol', 'DNS:carol.example,email:first@example.com,email:carol@example.com');
});
after(() => ca.cleanup());

async function tlsBroker(o: BrokerOptions, users: string[]): Promise<RunningBroker> {
  const b = await startBroker({
    amqpPort: null,
    amqpsPort: 0,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'silent',
    tls: { cert: ca.server.cert, key: ca.server.key, ca: ca.ca, verifyPeer: true, failIfNoPeerCert: false },
    ...o,
  });
  for (const u of users) {
    b.broker.users.add(u, '');
    b.broker.users.setPermissions(u, '/', ALL);
  }
  return b;
}

const amqps = (b: RunningBroker, who: Issued | null, credentials = amqp.credentials.external()) =>
  amqp.connect(
    { protocol: 'amqps', hostname: 'localhost', port: b.amqpsPort!, vhost: '/' },
    { ca: ca.ca, ...(who ? { cert: who.cert, key: who.key } : {}), credentials, servername: 'localhost' },
  );

describe('ssl_cert_login_from = distinguished_name (default)', () => {
  let b: RunningBroker;
  before(async () => {
    b = await tlsBroker({}, ['CN=dave,O=Warren,C=UK']);
  });
  after(() => b.close());

  test('amqplib EXTERNAL logs in as the RFC 4514 subject', async () => {
    const c = await amqps(b, dave);
    const ch = await c.createChannel();
    await ch.assertQueue('x509.q', { autoDelete: true });
    assert.ok([...b.broker.connections.values()].some((x) => x.user === 'CN=dave,O=Warren,C=UK'));
    await c.close();
  });

  test('a certificate naming no user, or none at all, is refused (403, mechanism EXTERNAL)', async () => {
    const text = /ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL/;
    await assert.rejects(amqps(b, stranger), text);
    await assert.rejects(amqps(b, null), text);
  });

  test('PLAIN still works on the same listener', async () => {
    const c = await amqps(b, null, amqp.credentials.plain('guest', 'guest'));
    await c.close();
  });

  test('pika ExternalCredentials', { skip: noPika }, async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(
        PYTHON,
        [SCRIPT, String(b.amqpsPort), ca.caFile, dave.certFile, dave.keyFile, stranger.certFile, stranger.keyFile],
        { timeout: 30000 },
      );
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /unknown certificate refused/);
  });
});

describe('ssl_cert_login_from = common_name: AMQPS, MQTT and STOMP over TLS', () => {
  let b: RunningBroker;
  before(async () => {
    b = await tlsBroker(
      {
        mqttsPort: 0,
        stompsPort: 0,
        mqttSslCertLogin: true,
        stompSslCertLogin: true,
        certLogin: { from: 'common_name' },
      },
      ['alice'],
    );
  });
  after(() => b.close());

  test('amqplib EXTERNAL as the CN', async () => {
    const c = await amqps(b, alice);
    await c.close();
  });

  test('mqtt.js with a client certificate and no credentials logs in as the CN', async () => {
    const c = await mqtt.connectAsync(`mqtts://localhost:${b.mqttsPort}`, {
      ca: ca.ca,
      cert: alice.cert,
      key: alice.key,
      reconnectPeriod: 0,
    });
    const got = new Promise<string>((r) => c.on('message', (_t, p) => r(p.toString())));
    await c.subscribeAsync('x509/t', { qos: 1 });
    await c.publishAsync('x509/t', 'cert', { qos: 1 });
    assert.equal(await got, 'cert');
    assert.ok([...b.broker.connections.values()].some((x) => x.user === 'alice' && x.protocol.startsWith('MQTT')));
    await c.endAsync();
    // a certificate of no user: CONNACK 4 (bad user name or password)
    await assert.rejects(
      mqtt.connectAsync(`mqtts://localhost:${b.mqttsPort}`, {
        ca: ca.ca,
        cert: stranger.cert,
        key: stranger.key,
        reconnectPeriod: 0,
      }),
      /Bad username or password/,
    );
  });

  test('STOMP over TLS: CONNECT without login logs in as the CN', async () => {
    const s = tls.connect({ host: 'localhost', port: b.stompsPort!, ca: ca.ca, cert: alice.cert, key: alice.key });
    await new Promise((r) => s.once('secureConnect', r));
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.write('CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    const end = Date.now() + 3000;
    while (!text.includes('\0') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.match(text, /^CONNECTED\n/);
    assert.ok([...b.broker.connections.values()].some((x) => x.user === 'alice' && x.protocol.startsWith('STOMP')));
    s.end();
  });
});

describe('ssl_cert_login_from = subject_alternative_name (email, index 1)', () => {
  let b: RunningBroker;
  before(async () => {
    b = await tlsBroker({ certLogin: { from: 'subject_alternative_name', sanType: 'email', sanIndex: 1 } }, [
      'carol@example.com',
    ]);
  });
  after(() => b.close());

  test('amqplib EXTERNAL as the second email SAN', async () => {
    const c = await amqps(b, carol);
    assert.ok([...b.broker.connections.values()].some((x) => x.user === 'carol@example.com'));
    await c.close();
  });
});
