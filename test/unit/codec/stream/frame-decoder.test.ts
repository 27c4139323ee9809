// StreamFrameDecoder, split buffers as nats-server's split_test.go does them: a stream holding every frame of
// the protocol, cut at every offset into two chunks, into three at every pair of offsets (sampled), and fed one
// byte at a time, yields the same frames; whole frames are handed out as views of the chunk (no copy); the
// frame-max check refuses a frame from its size prefix before buffering, with FrameTooLarge, and then ignores
// the rest of the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../../src/codec/buffer/writer.js';
import {
  FRAMES,
  ResponseCode,
  StreamCodecError,
  StreamFrameDecoder,
  decodeFrame,
  encodeFrame,
  type FrameName,
  type StreamFrame,
} from '../../../../src/codec/stream/index.js';
import { SAMPLES } from './samples.js';

function allFrames(): Buffer {
  const w = new Writer(64);
  for (const name of Object.keys(FRAMES) as FrameName[]) encodeFrame(w, name, SAMPLES[name] as never);
  encodeFrame(w, 'Publish', { publisherId: 1, messages: [{ publishingId: 1, message: Buffer.alloc(20000, 1) }] });
  return w.take()!;
}

class Collect {
  frames: StreamFrame[] = [];
  views = 0;
  constructor(private readonly chunks: Set<ArrayBufferLike> = new Set()) {}
  onFrame(buf: Buffer, start: number, end: number): void {
    if (this.chunks.has(buf.buffer)) this.views++;
    this.frames.push(structuredClone(decodeFrame(buf, start, end)));
  }
}

const STREAM = allFrames();
const EXPECTED = (() => {
  const c = new Collect();
  new StreamFrameDecoder(c).push(STREAM);
  return c.frames;
})();

test('the whole stream in one chunk: every frame, each a view of the chunk', () => {
  const c = new Collect(new Set([STREAM.buffer]));
  const d = new StreamFrameDecoder(c);
  d.push(STREAM);
  assert.equal(c.frames.length, Object.keys(FRAMES).length + 1);
  assert.equal(c.views, c.frames.length);
  assert.equal(d.buffered, 0);
});

test('split in two at every offset', () => {
  for (let i = 0; i <= STREAM.length; i += i < 1500 ? 1 : 89) {
    const c = new Collect();
    const d = new StreamFrameDecoder(c);
    d.push(STREAM.subarray(0, i));
    d.push(STREAM.subarray(i));
    assert.deepEqual(c.frames, EXPECTED, `split at ${i}`);
    assert.equal(d.buffered, 0);
  }
});

test('split in three (sampled pairs of offsets) and one byte at a time', () => {
  for (let i = 0; i < 600; i += 7)
    for (let j = i; j < 1200; j += 41) {
      const c = new Collect();
      const d = new StreamFrameDecoder(c);
      d.push(STREAM.subarray(0, i));
      d.push(STREAM.subarray(i, j));
      d.push(STREAM.subarray(j));
      assert.deepEqual(c.frames, EXPECTED, `split at ${i}, ${j}`);
    }
  const c = new Collect();
  const d = new StreamFrameDecoder(c);
  for (let i = 0; i < STREAM.length; i++) d.push(STREAM.subarray(i, i + 1));
  assert.deepEqual(c.frames, EXPECTED);
});

test('a frame over the maximum is refused from its size prefix, before its bytes arrive', () => {
  const c = new Collect();
  const d = new StreamFrameDecoder(c, 1024);
  const w = new Writer(64);
  encodeFrame(w, 'Heartbeat', {});
  encodeFrame(w, 'Deliver', { subscriptionId: 1, chunk: Buffer.alloc(2000) });
  encodeFrame(w, 'Heartbeat', {});
  const b = w.take()!;
  // the size prefix of the big frame split across chunks: refused when its 4th byte arrives
  d.push(b.subarray(0, 10));
  assert.equal(c.frames.length, 1);
  assert.throws(
    () => d.push(b.subarray(10, 12)),
    (e: unknown) =>
      e instanceof StreamCodecError &&
      e.code === ResponseCode.FrameTooLarge &&
      /2009 bytes exceeds the maximum of 1024/.test(e.message),
  );
  d.push(b.subarray(12));
  assert.equal(c.frames.length, 1, 'out of sync: the rest is ignored');
  // exactly at the maximum is fine (the limit counts the size prefix)
  const ok = new Collect();
  const d2 = new StreamFrameDecoder(ok, 8);
  d2.push(b.subarray(0, 8));
  assert.equal(ok.frames.length, 1);
});
