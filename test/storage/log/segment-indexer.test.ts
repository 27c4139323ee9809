// What a sealed segment's index holds (src/storage/log/segment-indexer.ts): the full index when it is worth
// writing; else the partial one, its messages and the marks naming a segment still on disk, which is all
// compaction needs (recovery scans such a segment); else none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REC_DELIVERED, REC_PUBLISH, REC_REF, REC_REMOVE } from '../../../src/storage/log/record.js';
import {
  E_QUEUE,
  E_REF,
  E_SEQ,
  ENTRY,
  indexEntries,
  readIndex,
  type IndexFile,
} from '../../../src/storage/log/segment-index.js';
import { PARTIAL_CAP, SegmentIndexer } from '../../../src/storage/log/segment-indexer.js';

/** The entries of an index file as [type, queue, seq, ref], and whether it is partial. */
function entries(f: IndexFile | null): { partial: boolean; list: number[][] } | null {
  if (f === null) return null;
  const idx = indexEntries(Buffer.concat(f.parts))!;
  assert.equal(f.bytes, Buffer.concat(f.parts).length);
  const list: number[][] = [];
  for (let p = 0; p < idx.count * ENTRY; p += ENTRY)
    list.push([
      idx.buf[p]!,
      idx.buf.readUInt32LE(p + E_QUEUE),
      idx.buf.readDoubleLE(p + E_SEQ),
      idx.buf.readUInt32LE(p + E_REF),
    ]);
  return { partial: idx.partial, list };
}

test('a segment of messages gets its full index, every entry in order', () => {
  const x = new SegmentIndexer();
  x.add(REC_PUBLISH, 1, 0, 8, 1000, 1, 0);
  x.add(REC_REMOVE, 1, 7, 0, 0, 0, 3);
  x.add(REC_REF, 2, 0, 8, 1000, 1, 1);
  const f = x.seal(9, 3000, () => true);
  assert.deepEqual(entries(f), {
    partial: false,
    list: [
      [REC_PUBLISH, 1, 0, 0],
      [REC_REMOVE, 1, 7, 3],
      [REC_REF, 2, 0, 1],
    ],
  });
  assert.notEqual(readIndex(Buffer.concat(f!.parts)), null, 'recovery reads it');
});

test('a segment of acks gets a partial index: its messages, and the marks naming a segment still on disk', () => {
  const x = new SegmentIndexer();
  for (let i = 0; i < 1000; i++) {
    x.add(REC_REMOVE, 1, i, 0, 0, 0, i % 4); // segments 0-3: 1 and 3 are gone, 2 is deleted before the seal
    if (i % 100 === 0) x.add(REC_PUBLISH, 5, i, 8 + i * 25, 60, 1, 0);
  }
  x.add(REC_DELIVERED, 5, 0, 0, 0, 0, 9); // naming its own segment: never copied
  x.forget(2);
  const f = x.seal(9, 1000 * 25 + 600, (seg) => seg === 0 || seg === 2 || seg === 9);
  const e = entries(f)!;
  assert.equal(e.partial, true);
  assert.equal(readIndex(Buffer.concat(f!.parts)), null, 'recovery does not take it for a full index');
  const pubs = e.list.filter((l) => l[0] === REC_PUBLISH);
  assert.deepEqual(
    pubs.map((l) => l[2]),
    Array.from({ length: 10 }, (_, i) => i * 100),
  );
  const marks = e.list.filter((l) => l[0] !== REC_PUBLISH);
  assert.deepEqual(
    marks.map((l) => [l[2], l[3]]),
    Array.from({ length: 250 }, (_, i) => [i * 4, 0]),
    'the REMOVEs naming segment 0, in order',
  );
  // and the indexer starts over: the next segment's index holds its own entries only
  x.add(REC_PUBLISH, 5, 2000, 8, 1000, 1, 0);
  assert.deepEqual(entries(x.seal(10, 3000, () => true))!.list, [[REC_PUBLISH, 5, 2000, 0]]);
});

test('a segment of acks naming only segments gone gets no index', () => {
  const x = new SegmentIndexer();
  for (let i = 0; i < 1000; i++) x.add(REC_REMOVE, 1, i, 0, 0, 0, 3);
  assert.equal(
    x.seal(9, 25_000, () => false),
    null,
  );
});

test('past PARTIAL_CAP entries there is no partial index (the segment is scanned), nor a full one past maxAll', () => {
  const x = new SegmentIndexer(10 * ENTRY);
  for (let i = 0; i <= PARTIAL_CAP; i++) x.add(REC_REMOVE, 1, i, 0, 0, 0, 0);
  assert.equal(
    x.seal(9, PARTIAL_CAP * 25, () => true),
    null,
  );
  // under the cap, the full index is dropped past maxAll (it could not be worth writing) but the partial stays
  for (let i = 0; i < 20; i++) x.add(REC_PUBLISH, 1, i, 8 + i * 44, 44, 1, 0);
  assert.equal(entries(x.seal(10, 1e9, () => true))!.partial, true);
});
