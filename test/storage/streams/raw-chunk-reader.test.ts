// The Deliver reader over a FileStreamLog: every user chunk handed out once, in order, its header (and bloom
// filter) and its data exact (the chunk's own CRC32 checks) whatever blocks it spans; tracking chunks
// skipped; a reader whose segment retention deleted starts again at the oldest chunk kept.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { FileStreamLog } from '../../../src/storage/streams/stream-log.js';
import { RawChunkReader } from '../../../src/storage/streams/raw-chunk-reader.js';
import type { SegmentLog } from '../../../src/storage/log/segment-log.js';

function open(t: { after(fn: () => void): void }, segmentSize = 1 << 20): FileStreamLog {
  const dir = mkdtempSync(join(tmpdir(), 'warren-raw-chunks-'));
  const log = new FileStreamLog(dir, segmentSize, { appended() {}, failure() {}, deleted() {} }, 32);
  t.after(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return log;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const segmentLog = (log: FileStreamLog): SegmentLog => (log as unknown as { log: SegmentLog }).log;

interface Got {
  chunkId: number;
  records: number;
  head: Buffer;
  data: Buffer;
}

/** Every chunk up to offset `until` (exclusive), copied out. */
async function readChunks(r: RawChunkReader, until: number): Promise<Got[]> {
  const out: Got[] = [];
  for (;;) {
    for (let c = r.take(); c !== null; c = r.take()) {
      const head = Buffer.from(c.head);
      const data = Buffer.concat(c.data);
      out.push({ chunkId: Number(head.readBigUInt64BE(24)), records: head.readUInt32BE(4), head, data });
    }
    const last = out.at(-1);
    if (last !== undefined && last.chunkId + last.records >= until) break;
    assert.equal(await r.fill(), true);
  }
  r.close();
  return out;
}

/** An AMQP 1.0 message of one data section of n bytes (§3.2.6: 0x00 0x53 0x75, vbin32). */
function message(i: number, n: number): Buffer {
  const b = Buffer.alloc(9 + n, 97 + (i % 26));
  b.set([0x00, 0x53, 0x75, 0xb0], 0);
  b.writeUInt32BE(n, 4);
  return b;
}

test('chunks whole and exact across blocks of any size; tracking chunks skipped', async (t) => {
  const log = open(t, 64 * 1024);
  let offsets = 0;
  for (let k = 0; k < 60; k++) {
    // chunks of 1 to 7 messages of 10 to 3,000 bytes, some with a filter value; a publisher sequence now and
    // then (a tracking chunk between the user chunks)
    for (let i = 0; i <= k % 7; i++, offsets++) {
      const m = message(offsets, 10 + ((offsets * 211) % 2990));
      log.appendRaw(m, 0, m.length, k % 3 === 0 ? Buffer.from(`v${k}`) : null);
    }
    if (k % 5 === 0) log.tracking.setPublisherSequence('p', k);
    // a chunk per k: the end of a turn cuts none while the log's fsync runs (group commit)
    log.flush();
    await turn();
    await turn();
  }
  const whole = await readChunks(log.chunkReader(0) as RawChunkReader, offsets);
  assert.ok(whole.length >= 60, `${whole.length} chunks`);
  let next = 0;
  for (const c of whole) {
    assert.equal(c.chunkId, next, 'every user chunk once, in order');
    next += c.records;
    assert.equal(c.head.length, 48 + c.head[44]!, 'header and bloom filter');
    assert.equal(c.data.length, c.head.readUInt32BE(36));
    assert.equal(crc32(c.data) >>> 0, c.head.readUInt32BE(32), `chunk ${c.chunkId}: data as stored`);
  }
  assert.equal(next, offsets);
  for (const [blockBytes, ahead] of [
    [61, 1],
    [1000, 2],
    [8192, 4],
  ] as const) {
    const r = new RawChunkReader(segmentLog(log), () => ({ seg: 0, off: 0 }), { seg: 0, off: 8 }, blockBytes, ahead);
    assert.deepEqual(await readChunks(r, offsets), whole, `${blockBytes}-byte blocks`);
  }
});

test('retention deleted the segment being read: the next fill starts at the oldest chunk kept', async (t) => {
  const log = open(t, 16 * 1024);
  for (let k = 0; k < 40; k++) {
    const m = message(k, 2000);
    log.appendRaw(m, 0, m.length, null);
    log.flush();
    await turn();
    await turn();
  }
  const r = log.chunkReader(0);
  // delete the first segments before the reader opens them (retention by size)
  log.configure(40 * 1024, -1, 16 * 1024);
  await new Promise((res) => setTimeout(res, 100)); // the unlinks run on the thread pool
  const oldest = log.firstOffset;
  assert.ok(oldest > 0, 'the first segments are gone');
  await assert.rejects(r.fill(), /ENOENT/);
  assert.equal(await r.fill(), true);
  const c = r.take()!;
  assert.equal(Number(c.head.readBigUInt64BE(24)), oldest);
  r.close();
});
