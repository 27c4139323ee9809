// MQTT over TLS (RabbitMQ port 8883) and STOMP over TLS (61614) with the broker's `tls` options, as AMQPS:
// the clients verify Warren's certificate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { Inbox, MQTT_GUEST } from '../mqtt/helpers.js';
import { selfSignedCert } from '../../helpers/tls-cert.js';

let cert: Buffer;
let b: RunningBroker;

before(async () => {
  const pair = selfSignedCert();
  cert = pair.cert;
  b = await startBroker({
    amqpPort: null,
    amqpsPort: null,
    mqttsPort: 0,
    stompsPort: 0,
    webMqttTlsPort: 0,
    webStompTlsPort: 0,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'silent',
    tls: { cert, key: pair.key },
  });
});
after(async () => {
  await b.close();
});

test('MQTT over TLS: publish and subscribe with a verified certificate', async () => {
  const c = await mqtt.connectAsync(`mqtts://localhost:${b.mqttsPort}`, {
    ca: cert,
    ...MQTT_GUEST,
  });
  const inbox = new Inbox(c);
  await c.subscribeAsync('tls/t', { qos: 1 });
  await c.publishAsync('tls/t', 'secret', { qos: 1 });
  assert.equal((await inbox.next()).payload, 'secret');
  await c.endAsync();
});

test('STOMP over TLS: CONNECT and CONNECTED', async () => {
  const s = tls.connect({ host: 'localhost', port: b.stompsPort!, ca: cert, servername: 'localhost' });
  await new Promise((r) => s.once('secureConnect', r));
  let text = '';
  s.on('data', (d) => (text += d.toString()));
  s.write('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n\0');
  const end = Date.now() + 3000;
  while (!text.includes('CONNECTED') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.match(text, /^CONNECTED\n/);
  assert.match(text, /version:1.2/);
  s.end();
});

test('MQTT and STOMP over secure WebSocket (wss, /ws)', async () => {
  const c = await mqtt.connectAsync(`wss://localhost:${b.webMqttTlsPort}/ws`, {
    ca: cert,
    ...MQTT_GUEST,
  });
  const inbox = new Inbox(c);
  await c.subscribeAsync('wss/t', { qos: 1 });
  await c.publishAsync('wss/t', 'over wss', { qos: 1 });
  assert.equal((await inbox.next()).payload, 'over wss');
  await c.endAsync();
  const ws = new WebSocket(`wss://localhost:${b.webStompTlsPort}/ws`, ['v12.stomp'], { ca: cert });
  await new Promise((r) => ws.once('open', r));
  const got = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
  ws.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n\0');
  assert.match(await got, /^CONNECTED\n/);
  ws.close();
});
