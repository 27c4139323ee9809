// Wire tests of the connection handshake: protocol header, login, tune limits, vhost, handshake timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useTestBroker } from '../helpers/broker.js';
import { WireClient } from './wire-client.js';
import {
  PROTOCOL_HEADER,
  writeConnectionStartOk,
  writeConnectionTuneOk,
  writeConnectionOpen,
} from '../../src/codec/amqp/index.js';

const broker = useTestBroker({ handshakeTimeout: 500 });

test('a wrong protocol header gets the server header back and the socket closed', async () => {
  const c = await WireClient.connect(broker.port);
  c.send('HTTP/1.1 GET /\r\n\r\n');
  await c.closed();
  assert.deepEqual(c.bytes(), PROTOCOL_HEADER);
});

test('AMQP 0-10 header gets the 0-9-1 header back', async () => {
  const c = await WireClient.connect(broker.port);
  c.send(Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 10]));
  await c.closed();
  assert.deepEqual(c.bytes(), PROTOCOL_HEADER);
});

test('connection.start advertises RabbitMQ capabilities, PLAIN and AMQPLAIN', async () => {
  const c = await WireClient.connect(broker.port);
  c.decodeFrames = true;
  c.send(PROTOCOL_HEADER);
  const start = (await c.expect('connection.start')) as unknown as {
    versionMajor: number;
    versionMinor: number;
    serverProperties: Record<string, unknown>;
    mechanisms: Buffer;
    locales: Buffer;
  };
  assert.equal(start.versionMajor, 0);
  assert.equal(start.versionMinor, 9);
  const caps = start.serverProperties['capabilities'] as Record<string, boolean>;
  for (const k of [
    'publisher_confirms',
    'exchange_exchange_bindings',
    'basic.nack',
    'consumer_cancel_notify',
    'connection.blocked',
    'consumer_priorities',
    'authentication_failure_close',
    'per_consumer_qos',
    'direct_reply_to',
  ]) {
    assert.equal(caps[k], true, k);
  }
  // RabbitMQ's product name by default (with RabbitMQ's basic.qos semantics), and what it really is
  assert.equal(start.serverProperties['product'], 'RabbitMQ');
  assert.equal(typeof start.serverProperties['warren_version'], 'string');
  assert.match(String(start.serverProperties['information']), /^Warren /);
  assert.deepEqual(start.mechanisms.toString().split(' ').sort(), ['AMQPLAIN', 'PLAIN']);
  assert.equal(start.locales.toString(), 'en_US');
  c.close();
});

test('a wrong password is 403 ACCESS_REFUSED, then the socket closes', async () => {
  const c = await WireClient.connect(broker.port);
  c.decodeFrames = true;
  c.send(PROTOCOL_HEADER);
  await c.expect('connection.start');
  writeConnectionStartOk(c.w, 0, {}, 'PLAIN', Buffer.from('\u0000guest\u0000wrong'), 'en_US');
  c.flush();
  const close = (await c.expect('connection.close')) as unknown as { replyCode: number; replyText: string };
  assert.equal(close.replyCode, 403);
  assert.equal(
    close.replyText,
    'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
  );
  await c.closed();
});

test('AMQPLAIN login works', async () => {
  const c = await WireClient.connect(broker.port);
  c.decodeFrames = true;
  c.send(PROTOCOL_HEADER);
  await c.expect('connection.start');
  // AMQPLAIN response: a field table without its length prefix
  const t = Buffer.concat([
    Buffer.from([5]),
    Buffer.from('LOGIN'),
    Buffer.from('S'),
    Buffer.from([0, 0, 0, 5]),
    Buffer.from('guest'),
    Buffer.from([8]),
    Buffer.from('PASSWORD'),
    Buffer.from('S'),
    Buffer.from([0, 0, 0, 5]),
    Buffer.from('guest'),
  ]);
  writeConnectionStartOk(c.w, 0, {}, 'AMQPLAIN', t, 'en_US');
  c.flush();
  await c.expect('connection.tune');
  c.close();
});

test('connection.open to an unknown vhost is 530 NOT_ALLOWED', async () => {
  const c = await WireClient.connect(broker.port);
  await c.login();
  writeConnectionTuneOk(c.w, 0, 2047, 131072, 0);
  writeConnectionOpen(c.w, 0, 'nope');
  c.flush();
  const close = (await c.expect('connection.close')) as unknown as {
    replyCode: number;
    replyText: string;
    classId: number;
    methodId: number;
  };
  assert.equal(close.replyCode, 530);
  assert.equal(close.replyText, 'NOT_ALLOWED - vhost nope not found');
  assert.deepEqual([close.classId, close.methodId], [10, 40]);
  c.close();
});

test('tune-ok with frame_max below 4096 is refused', async () => {
  const c = await WireClient.connect(broker.port);
  await c.login();
  writeConnectionTuneOk(c.w, 0, 2047, 1024, 0);
  c.flush();
  const close = (await c.expect('connection.close')) as unknown as { replyCode: number };
  assert.equal(close.replyCode, 530);
  c.close();
});

test('a client that never finishes the handshake is dropped after the handshake timeout', async () => {
  const c = await WireClient.connect(broker.port);
  c.send(PROTOCOL_HEADER);
  await c.closed(3000);
});

test('heartbeats are sent at the negotiated interval', async () => {
  const c = await WireClient.connect(broker.port);
  await c.handshake({ heartbeat: 1 });
  await c.waitFor(() => c.frames.some((f) => f.type === 8), 3000);
  c.close();
});

test('a client silent for two heartbeat intervals is disconnected', async () => {
  const c = await WireClient.connect(broker.port);
  await c.handshake({ heartbeat: 1 });
  await c.closed(5000);
});
