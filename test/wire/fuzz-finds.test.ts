// What the fuzzer (bench/fuzz, test/fuzz) found, as wire tests: each input closes what RabbitMQ closes, with
// its code, and the broker logs no internal error. Codes were compared with RabbitMQ 3.10 on the anchor
// (bench/fuzz/compare-amqp.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useTestBroker } from '../helpers/broker.js';
import { WireClient, rawFrame } from './wire-client.js';
import { writeBasicPublish, writeContentHeader } from '../../src/codec/amqp/index.js';

const broker = useTestBroker();

type Close = { replyCode: number; replyText: string; classId: number; methodId: number };

async function ready(): Promise<WireClient> {
  const c = await WireClient.connect(broker.port);
  await c.handshake();
  await c.openChannel(1);
  return c;
}

test('a content-type whose length runs past the properties is 501 FRAME_ERROR, not an internal error', async () => {
  // seed 2 of the AMQP fuzz: flags content-type + headers, content-type length 200 with 3 bytes left; the
  // headers lookup trusted the length and read out of bounds (541 and an error in the log)
  const c = await ready();
  writeBasicPublish(c.w, 1, '', 'q', false, false);
  writeContentHeader(c.w, 1, 60, 0, Buffer.from([0xa0, 0x00, 200, 0x61, 0x62, 0x63]));
  c.flush();
  const close = (await c.expect('connection.close')) as unknown as Close;
  assert.equal(close.replyCode, 501);
  c.close();
});

test('a content header of another class is 505 UNEXPECTED_FRAME naming basic.publish', async () => {
  const c = await ready();
  writeBasicPublish(c.w, 1, '', 'q', false, false);
  writeContentHeader(c.w, 1, 50, 0, Buffer.from([0, 0]));
  c.flush();
  const close = (await c.expect('connection.close')) as unknown as Close;
  assert.equal(close.replyCode, 505);
  assert.deepEqual([close.classId, close.methodId], [60, 40]);
  c.close();
});

test('a content header on channel 0 is 505 UNEXPECTED_FRAME (0, 0)', async () => {
  const c = await ready();
  writeContentHeader(c.w, 0, 60, 0, Buffer.from([0, 0]));
  c.flush();
  const close = (await c.expect('connection.close')) as unknown as Close;
  assert.equal(close.replyCode, 505);
  assert.deepEqual([close.classId, close.methodId], [0, 0]);
  c.close();
});

test('a channel method on channel 0 is 504 CHANNEL_ERROR, as rabbit_reader handle_method0', async () => {
  const c = await ready();
  // basic.qos (60, 10) on channel 0
  c.send(rawFrame(1, 0, Buffer.from([0, 60, 0, 10, 0, 0, 0, 0, 0, 0, 0])));
  const close = (await c.expect('connection.close')) as unknown as Close;
  assert.equal(close.replyCode, 504);
  assert.deepEqual([close.classId, close.methodId], [60, 10]);
  c.close();
});

test('connection.tune-ok after connection.open is 504 CHANNEL_ERROR', async () => {
  const c = await ready();
  c.send(rawFrame(1, 0, Buffer.from([0, 10, 0, 31, 0, 0, 0, 2, 0, 0, 0, 0])));
  const close = (await c.expect('connection.close')) as unknown as Close;
  assert.equal(close.replyCode, 504);
  assert.deepEqual([close.classId, close.methodId], [10, 31]);
  c.close();
});
