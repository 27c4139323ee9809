// Content frames: the content header with raw (passed-through) or encoded properties, body frames split at
// frameMax - 8 payload bytes (none for an empty body), the heartbeat frame, and the allocation-light content
// header readers (a reusable ContentHeader, contentHeaderBodySize/ClassId).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BasicProperties,
  CodecError,
  ContentHeader,
  FrameDecoder,
  Writer,
  contentHeaderBodySize,
  contentHeaderClassId,
  decodeProperties,
  readContentHeader,
  writeBody,
  writeContentHeader,
  writeContentHeaderProps,
  writeHeartbeat,
} from '../../../../src/codec/amqp/index.js';
import { Collector } from './helpers.js';

function frames(w: Writer): Collector {
  const c = new Collector();
  new FrameDecoder(c, 0).push(w.take()!);
  return c;
}

test('content header with raw properties passed through', () => {
  const w = new Writer(8);
  const raw = Buffer.from([0x90, 0x00, 3, 0x61, 0x2f, 0x62, 2]);
  writeContentHeader(w, 9, 60, 2 ** 40 + 17, raw);
  const [f] = frames(w).frames;
  assert.deepEqual([f!.type, f!.channel], [2, 9]);
  const h = readContentHeader(f!.payload);
  assert.deepEqual([h.classId, h.weight, h.bodySize, h.propsOffset], [60, 0, 2 ** 40 + 17, 12]);
  assert.deepEqual(f!.payload.subarray(h.propsOffset), raw);
  assert.equal(contentHeaderBodySize(f!.payload), 2 ** 40 + 17);
  assert.equal(contentHeaderClassId(f!.payload), 60);
  const reused = new ContentHeader();
  assert.equal(reused.read(f!.payload), reused);
});

test('content header with encoded properties', () => {
  const w = new Writer(8);
  const p = new BasicProperties();
  p.messageId = 'id-1';
  p.headers = { a: 1 };
  writeContentHeaderProps(w, 1, 60, 5, p);
  const [f] = frames(w).frames;
  const got = decodeProperties(f!.payload, 12, f!.payload.length);
  assert.equal(got.messageId, 'id-1');
  assert.deepEqual(got.headers, { a: 1 });
  // a property that cannot be encoded leaves nothing behind
  p.type = 'x'.repeat(300);
  assert.throws(() => writeContentHeaderProps(w, 1, 60, 5, p), CodecError);
  assert.equal(w.pending, 0);
});

test('body frames carry at most frameMax - 8 bytes', () => {
  const body = Buffer.alloc(10000);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  const w = new Writer(1024);
  writeBody(w, 4, body, 4096);
  const c = frames(w);
  assert.deepEqual(
    c.frames.map((f) => [f.type, f.channel, f.payload.length]),
    [
      [3, 4, 4088],
      [3, 4, 4088],
      [3, 4, 1824],
    ],
  );
  assert.deepEqual(Buffer.concat(c.frames.map((f) => f.payload)), body);
  writeBody(w, 4, Buffer.alloc(4088), 4096);
  assert.equal(frames(w).frames.length, 1);
  writeBody(w, 4, body, 0);
  assert.equal(frames(w).frames.length, 1);
  writeBody(w, 4, Buffer.alloc(0), 4096);
  assert.equal(w.take(), null);
});

test('heartbeat', () => {
  const w = new Writer();
  writeHeartbeat(w);
  assert.deepEqual([...w.take()!], [8, 0, 0, 0, 0, 0, 0, 0xce]);
});

test('a content header payload shorter than 12 bytes is 501', () => {
  assert.throws(
    () => readContentHeader(Buffer.from([0, 60, 0])),
    (e: unknown) => e instanceof CodecError && e.replyCode === 501,
  );
  assert.throws(() => contentHeaderBodySize(Buffer.alloc(11)), CodecError);
});

test('a large body goes out by reference and decodes to the same bytes; a small one is copied', () => {
  const w = new Writer(4096);
  const body = Buffer.alloc(70000);
  for (let i = 0; i < body.length; i++) body[i] = i & 255;
  writeBody(w, 1, body, 131072);
  const parts = w.takeParts();
  assert.ok(Array.isArray(parts) && parts.includes(body));
  const frames: Buffer[] = [];
  new FrameDecoder({ onFrame: (_t: number, _c: number, p: Buffer) => void frames.push(Buffer.from(p)) }, 0).push(
    Buffer.concat(parts),
  );
  assert.deepEqual(frames, [body]);
  writeBody(w, 1, Buffer.alloc(100), 131072);
  assert.ok(Buffer.isBuffer(w.takeParts()));
});

test('a large frame split across reads is handed to the handler in a buffer of its own', () => {
  const w = new Writer(4096);
  writeBody(w, 1, Buffer.alloc(100000, 9), 131072);
  const wire = w.take()!;
  const seen: boolean[] = [];
  const d = new FrameDecoder({ onFrame: () => void seen.push(d.payloadIsCopy) }, 131072);
  for (let off = 0; off < wire.length; off += 16384) d.push(wire.subarray(off, off + 16384));
  assert.deepEqual(seen, [true]);
  assert.equal(d.payloadIsCopy, false);
});

test('a body given as several buffers is framed as their concatenation, large pieces by reference', () => {
  const whole = Buffer.alloc(150000);
  for (let i = 0; i < whole.length; i++) whole[i] = (i * 7) & 255;
  // pieces that straddle frame boundaries, small and large
  const pieces = [
    whole.subarray(0, 100),
    whole.subarray(100, 70000),
    whole.subarray(70000, 70001),
    whole.subarray(70001),
  ];
  for (const frameMax of [0, 4096, 131072]) {
    const w = new Writer(4096);
    writeBody(w, 2, pieces, frameMax);
    const out = w.takeParts()!;
    const wire = Buffer.isBuffer(out) ? out : Buffer.concat(out);
    const frames: Buffer[] = [];
    new FrameDecoder({ onFrame: (_t: number, _c: number, p: Buffer) => void frames.push(Buffer.from(p)) }, 0).push(
      wire,
    );
    assert.deepEqual(Buffer.concat(frames), whole, `frameMax ${frameMax}`);
    if (frameMax !== 0) assert.ok(frames.every((f) => f.length <= frameMax - 8));
    if (frameMax === 131072) assert.ok(!Buffer.isBuffer(out) && out.some((b) => b.buffer === whole.buffer));
  }
});
