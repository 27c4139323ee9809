// Buffers grown for a burst are let go once idle (util/buffer-sweep.ts): a stream's log buffer and its chunk
// builder, each checked by the sweep once it has a buffer; a busy one keeps its buffer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkBuilder } from '../../../src/codec/stream/chunk.js';
import { RecordBuffer } from '../../../src/storage/log/record.js';
import { sweepBuffers, sweptBuffers } from '../../../src/util/buffer-sweep.js';

const SWEEP_FROM = 256 * 1024;

const MiB = 1024 * 1024;

test('a RecordBuffer grown by a burst is let go at the second sweep after it went idle', () => {
  const before = sweptBuffers();
  const r = new RecordBuffer();
  assert.equal(r.buf.length, 0, 'no buffer before the first record');
  r.frame(Buffer.alloc(MiB, 1));
  assert.ok(r.buf.length > SWEEP_FROM);
  assert.equal(sweptBuffers(), before + 1);
  r.written();
  sweepBuffers(); // the burst was since the last sweep: kept
  assert.ok(r.buf.length > SWEEP_FROM);
  sweepBuffers(); // nothing since: let go
  assert.equal(r.buf.length, 0);
  assert.equal(sweptBuffers(), before);
  // and it grows again on the next burst, the bytes intact
  const n = r.frame(Buffer.alloc(300 * 1024, 2));
  assert.equal(r.pos, n);
  assert.equal(r.buf[r.pos - 1], 2);
  r.release();
  assert.equal(sweptBuffers(), before);
});

test('a busy RecordBuffer, or one holding unwritten bytes, keeps its buffer', () => {
  const r = new RecordBuffer();
  for (let i = 0; i < 3; i++) {
    r.frame(Buffer.alloc(MiB));
    r.written();
    sweepBuffers();
    assert.ok(r.buf.length >= MiB, `kept at sweep ${i}`);
  }
  r.frame(Buffer.alloc(MiB));
  sweepBuffers();
  sweepBuffers();
  assert.ok(r.buf.length >= MiB, 'bytes not written yet are never dropped');
  r.release();
});

test('a ChunkBuilder takes no buffer before its first entry, and lets a grown one go once idle', () => {
  const before = sweptBuffers();
  const b = new ChunkBuilder();
  const entry = Buffer.alloc(1024, 7);
  for (let i = 0; i < 1000; i++) b.addMessage(entry);
  const meta = { timestamp: 0, epoch: 1, chunkId: 0 };
  const first = b.finish(meta);
  assert.equal(sweptBuffers(), before + 1);
  sweepBuffers();
  sweepBuffers();
  assert.equal(sweptBuffers(), before);
  // the next chunk is built the same after the buffer was let go
  for (let i = 0; i < 1000; i++) b.addMessage(entry);
  assert.deepEqual(b.finish(meta), first);
  sweepBuffers();
  sweepBuffers();
  assert.equal(sweptBuffers(), before);
});

test('a small buffer too: one record, then idle, and it is let go', () => {
  const before = sweptBuffers();
  const r = new RecordBuffer();
  r.frame(Buffer.from('one small message'));
  r.written();
  assert.equal(r.buf.length, 64 * 1024);
  assert.equal(sweptBuffers(), before + 1);
  sweepBuffers(); // it wrote 25 bytes of 64 KiB: less than a quarter, gone at once
  assert.equal(r.buf.length, 0);
  assert.equal(sweptBuffers(), before);
});

test('a released ChunkBuilder leaves the sweep at once, entries and all', () => {
  const before = sweptBuffers();
  const b = new ChunkBuilder();
  b.addMessage(Buffer.from('pending'));
  assert.equal(sweptBuffers(), before + 1);
  sweepBuffers();
  sweepBuffers();
  assert.equal(sweptBuffers(), before + 1, 'a chunk being built keeps its buffer');
  b.release();
  assert.equal(sweptBuffers(), before);
  assert.equal(b.dataLength, 0);
});
