// Compacting a segment of acks (src/storage/messages/compactor.ts): the REMOVE/DELIVERED records that name a
// segment still on disk are copied to the head of the log, in order, over several event-loop turns (a drain's
// ack segments hold millions: in one turn they stalled every connection), from the segment's index or, when it
// has none, from a scan of the segment; the rest are left behind, and the segment is deleted once the copies
// are durable. A segment of acks with messages among them is compacted from its partial index (its messages and
// the marks naming a segment on disk when it was sealed), without reading the segment whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REC_DELIVERED, REC_PUBLISH, REC_REMOVE, RecordBuffer } from '../../../src/storage/log/record.js';
import { IndexBuffer, isPartialIndex, readIndex, writeIndexSync } from '../../../src/storage/log/segment-index.js';
import { SegmentIndexer } from '../../../src/storage/log/segment-indexer.js';
import { MAGIC, segmentName } from '../../../src/storage/log/segment-log.js';
import { Compactor, type CompactionHost } from '../../../src/storage/messages/compactor.js';
import type { FileQueueBacking } from '../../../src/storage/messages/queue-backing.js';
import { indexName } from '../../../src/storage/messages/recovery.js';
import { SegState } from '../../../src/storage/messages/seg-state.js';
import { tempDir } from '../../helpers/warren-child.js';

/** Three records each: an index of ~3.9 MB, its CRC checked in four slices (one turn each). */
const N = 50_000;

/** What a test's compaction host says about the records it is asked to write. */
type Writes = Pick<CompactionHost, 'backings' | 'appendCopy' | 'appendMark' | 'appendRef'>;

/**
 * Compact segment 1 of `segs` in `dir` through a host that writes with `writes` into head segment 2 (durable at
 * once) and fails the test on a warning; resolves with the compactor once segment 1 is deleted.
 */
async function compactSegment1(dir: string, segs: Map<number, SegState>, writes: Writes): Promise<Compactor> {
  const alive = setInterval(() => {}, 1000); // (the compactor's timers do not hold the process)
  try {
    return await new Promise<Compactor>((resolve, reject) => {
      const compactor = new Compactor({
        dir,
        logger: {
          info: () => {},
          warn: (o: unknown, msg: string) =>
            reject(new Error(`${msg} ${String((o as { err?: unknown }).err ?? JSON.stringify(o))}`)),
        } as never,
        segmentSize: 64 * 1024,
        segs,
        headSeg: 2,
        ...writes,
        state: (seg) => segs.get(seg),
        forward: () => {},
        whenDurable: (fn) => setImmediate(fn),
        deleteSegment: (seg) => {
          assert.equal(seg, 1);
          segs.delete(seg);
          resolve(compactor);
        },
        closed: false,
      });
      compactor.kick();
    });
  } finally {
    clearInterval(alive);
  }
}

/** Segment 1: per i, a REMOVE of queue 7 naming segment 0 (on disk: needed), one naming segment 5 (gone) and a
 *  DELIVERED of queue 9 (no such queue); with or without its index. */
function writeAckSegment(dir: string, index: IndexKind): number {
  const rb = new RecordBuffer();
  const idx = new IndexBuffer();
  const mark = (type: number, queue: number, seq: number, target: number): void => {
    rb.mark(type, queue, seq, target);
    idx.add(type, queue, seq, 0, 0, 0, target);
  };
  for (let i = 0; i < N; i++) {
    mark(REC_REMOVE, 7, i, 0);
    mark(REC_REMOVE, 7, i + N, 5);
    mark(REC_DELIVERED, 9, i, 0);
  }
  const bytes = Buffer.concat([MAGIC, rb.buf.subarray(0, rb.pos)]);
  writeFileSync(join(dir, segmentName(1)), bytes);
  if (index === 'none') return bytes.length;
  const path = join(dir, indexName(1));
  writeIndexSync(path, idx.take().parts);
  if (index === 'damaged') {
    // one entry's byte changed past the first MiB (the CRC is checked in slices): the index is not used
    const b = readFileSync(path);
    b[b.length - 100] ^= 0xff;
    writeFileSync(path, b);
  }
  return bytes.length;
}

type IndexKind = 'index' | 'none' | 'damaged';

async function compactAckSegment(index: IndexKind): Promise<void> {
  const dir = tempDir('warren-compactor-');
  try {
    const size = writeAckSegment(dir, index);
    const s1 = new SegState();
    s1.sealed = true;
    s1.size = size;
    for (let i = 0; i < N; i++) {
      s1.addRef(0);
      s1.addRef(5);
    }
    const segs = new Map<number, SegState>([
      [0, new SegState()],
      [1, s1],
    ]);
    // each event-loop turn counted while the compaction runs, and the turn each copy was made in
    let turn = 0;
    let counting = true;
    const tick = (): void => {
      turn++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const copies: { type: number; queue: number; seq: number; target: number; turn: number }[] = [];
    await compactSegment1(dir, segs, {
      backings: new Map([[7, {} as FileQueueBacking]]),
      appendCopy: () => assert.fail('nothing live to copy'),
      appendMark: (type, queue, seq, target) => {
        copies.push({ type, queue, seq, target, turn });
        return 2;
      },
      appendRef: () => assert.fail('nothing live to copy'),
    });
    counting = false;
    assert.equal(copies.length, N, 'only the REMOVEs naming a segment on disk, of a queue that exists');
    copies.forEach((c, i) => assert.deepEqual([c.type, c.queue, c.seq, c.target], [REC_REMOVE, 7, i, 0]));
    assert.ok(copies[N - 1]!.turn > copies[0]!.turn + 3, 'the copies were spread over several turns');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an ack segment with its index: the needed REMOVEs are copied in order over several turns', async () => {
  await compactAckSegment('index');
});

test('an ack segment without its index is scanned, with the same result', async () => {
  await compactAckSegment('none');
});

test('an ack segment whose index is damaged is scanned instead', async () => {
  await compactAckSegment('damaged');
});

/**
 * Segment 1 of a drain: N REMOVEs of queue 7 (naming segment 5, gone, or one in ten segment 0) with a message of
 * queue 8 every 1,000 among them, which nobody consumed; its index is the partial one the store writes for such
 * a segment (its messages, and its marks naming segment 0: SegmentIndexer). Compacted, the needed marks and the
 * messages are copied and the segment deleted.
 */
async function compactMixedSegment(needed: boolean): Promise<{ scans: number; copied: number[]; marks: number }> {
  const dir = tempDir('warren-compactor-');
  try {
    const rb = new RecordBuffer();
    const idx = new SegmentIndexer();
    const s1 = new SegState();
    const at = (): number => MAGIC.length + rb.pos;
    for (let i = 0; i < N; i++) {
      if (i % 1000 === 0) {
        const off = at();
        const len = rb.publish(8, i, true, 0, 0, 'amqp091', '', 'q8', null, Buffer.alloc(0), Buffer.from(`m${i}`));
        idx.add(REC_PUBLISH, 8, i, off, len, 1, 0);
        s1.setLive(off, len);
      }
      const target = needed && i % 10 === 0 ? 0 : 5;
      rb.mark(REC_REMOVE, 7, i, target);
      idx.add(REC_REMOVE, 7, i, 0, 0, 0, target);
      s1.addRef(target);
    }
    const bytes = Buffer.concat([MAGIC, rb.buf.subarray(0, rb.pos)]);
    writeFileSync(join(dir, segmentName(1)), bytes);
    const file = idx.seal(1, bytes.length, (seg) => seg === 0); // (segment 5 is gone)
    assert.ok(file !== null, 'a partial index is worth writing');
    writeIndexSync(join(dir, indexName(1)), file.parts);
    const raw = readFileSync(join(dir, indexName(1)));
    assert.equal(isPartialIndex(raw), true);
    assert.equal(readIndex(raw), null, 'recovery does not take a partial index for a full one');
    s1.sealed = true;
    s1.size = bytes.length;
    const segs = new Map<number, SegState>([
      [0, new SegState()],
      [1, s1],
      [2, new SegState()],
    ]);
    const copied: number[] = [];
    let marks = 0;
    const backing = (id: number): FileQueueBacking =>
      ({ id, tail: { remap: () => {} } }) as unknown as FileQueueBacking;
    const compactor = await compactSegment1(dir, segs, {
      backings: new Map([
        [7, backing(7)],
        [8, backing(8)],
      ]),
      appendCopy: (queue, seq, _persistent, src, from, len) => {
        assert.equal(queue, 8);
        assert.ok(src.subarray(from, from + len).includes(Buffer.from(`m${seq}`)), 'the record copied whole');
        copied.push(seq);
        return { seg: 2, off: 100 + copied.length * 64 };
      },
      appendMark: () => {
        marks++;
        return 2;
      },
      appendRef: () => assert.fail('no shared bodies'),
    });
    return { scans: compactor.scans, copied, marks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a segment of acks with messages among them is compacted from its partial index: no scan', async () => {
  const r = await compactMixedSegment(false);
  assert.equal(r.scans, 0, 'the segment was not read whole');
  assert.deepEqual(
    r.copied,
    Array.from({ length: N / 1000 }, (_, i) => i * 1000),
  );
  // one DELIVERED per message (held in memory, it may have been delivered), no REMOVE: segment 5 is gone
  assert.equal(r.marks, N / 1000);
});

test('the same segment whose REMOVEs are still needed: its partial index holds them, no scan either', async () => {
  const r = await compactMixedSegment(true);
  assert.equal(r.scans, 0);
  assert.equal(r.copied.length, N / 1000);
  assert.equal(r.marks, N / 10 + N / 1000, 'every REMOVE naming segment 0 copied, and a DELIVERED per message');
});
