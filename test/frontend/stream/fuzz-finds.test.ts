// What the Stream protocol fuzzer (test/fuzz/lib/stream-target.ts) found, as tests against a broker child (so an
// error in its log is seen): each input gets a response code, no internal error is logged, and closed
// connections are not kept until their handshake timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FuzzBroker, playCase } from '../../fuzz/lib/harness.js';
import { classifyStream, handshake } from '../../fuzz/lib/stream-target.js';

let broker: FuzzBroker;
before(async () => {
  // a long handshake timeout: a connection kept until it fires would still be there when memory is measured
  broker = await FuzzBroker.start({ handshakeTimeout: 120000 });
});
after(async () => {
  await broker.stop();
});

function frame(key: number, body: Buffer, version = 1): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(body.length + 4);
  h.writeUInt16BE(key, 4);
  h.writeUInt16BE(version, 6);
  return Buffer.concat([h, body]);
}
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (s: string): Buffer => Buffer.concat([Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s)]);
const peerProperties = frame(0x11, Buffer.concat([u32(1), u32(0)]));
const saslHandshake = frame(0x12, u32(2));

async function play(chunks: Buffer[]): Promise<string> {
  const r = await playCase(broker.ports.stream, { kind: 'test', chunks, holdMs: 100 }, 10000);
  assert.notEqual(r, 'refused');
  if (r === 'refused') return '';
  assert.ok(r.closed, 'the broker closed the connection');
  return classifyStream(r.reply);
}

test('AMQPLAIN whose response is not a field table is a SASL error (0x09), not an internal error', async () => {
  // seed 1 of the stream fuzz: the AMQP field-table decoder's CodecError reached the catch boundary
  for (const data of [Buffer.from('\x05LOGINg'), Buffer.from([0, 0, 0, 40, 1])]) {
    const auth = frame(0x13, Buffer.concat([u32(3), str('AMQPLAIN'), u32(data.length), data]));
    assert.equal(await play([peerProperties, saslHandshake, auth]), 'SaslAuthenticate 9');
  }
  assert.deepEqual(broker.failures, []);
});

test('a frame too short for its key and version closes with UnknownFrame (0x0d), not a read out of bounds', async () => {
  for (const tiny of [Buffer.from([0, 0, 0, 1, 7]), Buffer.from([0, 0, 0, 0]), Buffer.from([0, 0, 0, 3, 0, 0x11, 0])]) {
    // before Open: the socket closes without a Close, as RabbitMQ's handle_frame_pre_auth (anchor-codes.test.ts)
    assert.equal(await play([peerProperties, tiny]), 'other');
    assert.equal(await play([handshake(), tiny]), 'close 13');
  }
  assert.deepEqual(broker.failures, []);
});

test('a closed connection is not kept until its handshake timeout (its frame buffer with it)', async () => {
  const before = await broker.mem();
  // 150 connections, each leaving 600 KB of an unfinished 1 MB frame in its decoder, then going away
  const big = Buffer.concat([u32(1000000), Buffer.alloc(600000, 1)]);
  for (let i = 0; i < 150; i += 10) await Promise.all(Array.from({ length: 10 }, () => play([peerProperties, big])));
  await new Promise((r) => setTimeout(r, 1500)); // the sockets' 1 s end grace
  const afterMem = await broker.mem();
  const grown = afterMem.arrayBuffers - before.arrayBuffers;
  // kept until the 120 s timeout, they held ~150 MB (2.6 MiB held after the fix in the fuzz run's test)
  assert.ok(grown < 30 * 1048576, `array buffers grew by ${(grown / 1048576).toFixed(1)} MiB`);
  assert.deepEqual(broker.failures, []);
});
