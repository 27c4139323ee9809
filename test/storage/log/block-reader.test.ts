// LogBlockReader (the Stream protocol's Deliver reader underneath): records handed out as views of fixed
// blocks read ahead in parallel, whole whatever blocks they span (frame headers split too), across segment
// rollovers, following the tail, a record longer than the read-ahead, a damaged one, a deleted segment; the
// read-ahead bounded and every block let go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { segmentName, type LogPosition } from '../../../src/storage/log/segment-log.js';
import { AHEAD_TOTAL, blocksInUse, LogBlockReader } from '../../../src/storage/log/block-reader.js';
import { openLog as openLogIn } from './open-log.js';

const openLog = (segmentSize = 1 << 20): ReturnType<typeof openLogIn> => openLogIn(segmentSize, 'warren-blocks-');

/** Record i: "i:" then i*37 % 500 + 1 bytes of a letter, so lengths vary and blocks split them anywhere. */
function record(i: number): Buffer {
  const n = ((i * 37) % 500) + 1;
  return Buffer.concat([Buffer.from(`${i}:`), Buffer.alloc(n, 97 + (i % 26))]);
}

/** Read `n` records (waiting for them), as whole buffers joined from their parts. */
async function readRecords(r: LogBlockReader, n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const parts: Buffer[] = [];
  while (out.length < n) {
    const len = r.next(parts);
    if (len >= 0) {
      const whole = Buffer.concat(parts);
      assert.equal(whole.length, len);
      out.push(whole);
      continue;
    }
    assert.equal(await r.fill(), true);
  }
  return out;
}

test('records whole across blocks of any size (split frame headers too) and segment rollovers', async () => {
  const { log, done } = openLog(8192);
  try {
    const at: LogPosition[] = [];
    for (let i = 0; i < 400; i++) at.push(log.append(record(i)));
    log.writeOut();
    assert.ok(log.segNo > 5, 'several segments');
    const held = blocksInUse();
    // block sizes that are not multiples of anything in the records: headers and payloads split everywhere
    for (const [blockBytes, ahead] of [
      [97, 3],
      [1000, 1],
      [4096, 4],
      [1 << 20, 3],
    ] as const) {
      const r = new LogBlockReader(log, at[13]!, blockBytes, ahead);
      const got = await readRecords(r, 387);
      got.forEach((b, k) => assert.deepEqual(b, record(13 + k), `record ${13 + k} with ${blockBytes}-byte blocks`));
      assert.ok(blocksInUse() - held <= ahead + 1, 'read-ahead bounded per reader');
      r.close();
      await new Promise((res) => setTimeout(res, 20));
      assert.equal(blocksInUse(), held, 'every block let go once closed');
    }
  } finally {
    done();
  }
});

test('at the tail it waits for the next write; blocks are given back once written (whenWritten)', async () => {
  const { log, done } = openLog(4096);
  try {
    const start = log.append(record(0));
    log.writeOut();
    const r = new LogBlockReader(log, start, 256, 2);
    const pending: (() => void)[] = [];
    r.whenWritten = (release) => pending.push(release);
    assert.deepEqual(await readRecords(r, 1), [record(0)]);
    const parts: Buffer[] = [];
    assert.equal(r.next(parts), -1);
    let woke = false;
    const f = r.fill().then((more) => {
      woke = more;
    });
    await new Promise((res) => setTimeout(res, 30));
    assert.equal(woke, false, 'nothing written: still waiting');
    for (let i = 1; i < 60; i++) log.append(record(i));
    log.writeOut();
    await f;
    assert.equal(woke, true);
    const got = await readRecords(r, 59);
    got.forEach((b, k) => assert.deepEqual(b, record(k + 1)));
    assert.ok(pending.length > 0, 'blocks passed are handed to whenWritten, not reused at once');
    r.close();
    await new Promise((res) => setTimeout(res, 20));
    // after close a fill answers false
    assert.equal(await r.fill(), false);
  } finally {
    done();
  }
});

test('at the end of the segment being written it opens no file until something is written there', async () => {
  const { log, done } = openLog(4096);
  try {
    log.writeOut();
    const end: LogPosition = { seg: log.segNo, off: log.fileSize };
    const opened = fdsOf(log.dir);
    const r = new LogBlockReader(log, end, 256, 2);
    const f = r.fill();
    await new Promise((res) => setTimeout(res, 30));
    assert.equal(fdsOf(log.dir), opened, 'no descriptor opened for a reader with nothing to read');
    // enough to roll into further segments: the reader reads the first one to its end, then the next ones
    for (let i = 0; i < 40; i++) log.append(record(i));
    log.writeOut();
    assert.equal(await f, true);
    const got = await readRecords(r, 40);
    got.forEach((b, k) => assert.deepEqual(b, record(k)));
    r.close();
  } finally {
    done();
  }
});

/** How many descriptors this process holds on files under `dir` (/proc/self/fd). */
function fdsOf(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(join('/proc/self/fd', fd)).startsWith(dir)) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

test('a record longer than the whole read-ahead is read whole', async () => {
  const { log, done } = openLog(1 << 20);
  try {
    const big = Buffer.alloc(100_000, 'z');
    const at = log.append(record(1));
    log.append(big);
    log.append(record(2));
    log.writeOut();
    const r = new LogBlockReader(log, at, 4096, 2);
    const got = await readRecords(r, 3);
    assert.deepEqual(got, [record(1), big, record(2)]);
    r.close();
  } finally {
    done();
  }
});

test('a record cut short in a sealed segment fails the fill; a deleted segment too', async () => {
  const { log, dir, done } = openLog(2048);
  try {
    const at: LogPosition[] = [];
    for (let i = 0; i < 40; i++) at.push(log.append(record(i)));
    log.writeOut();
    assert.ok(log.segNo > 2);
    // cut segment 1 in the middle of its last record
    const last = at.filter((p) => p.seg === 1).at(-1)!;
    truncateSync(join(dir, segmentName(1)), last.off + 20);
    const r = new LogBlockReader(log, at[0]!, 512, 2);
    await assert.rejects(
      (async () => {
        for (;;) {
          while (r.next([]) >= 0);
          await r.fill();
        }
      })(),
      /damaged record at segment 1/,
    );
    r.close();
    // a reader of a deleted segment: the open fails (the caller starts again from the oldest kept)
    log.deleteBefore(2);
    await new Promise((res) => setTimeout(res, 50));
    const r2 = new LogBlockReader(log, at[0]!, 512, 2);
    await assert.rejects(r2.fill(), /ENOENT/);
    r2.close();
  } finally {
    done();
  }
});

test('the read-ahead is bounded in total: past AHEAD_TOTAL blocks held, a reader reads only what it waits for', async () => {
  const { log, done } = openLog(1 << 20);
  try {
    const at = log.append(record(0));
    for (let i = 1; i < 2000; i++) log.append(record(i));
    log.writeOut();
    const held = blocksInUse();
    const readers = Array.from({ length: 40 }, () => new LogBlockReader(log, at, 512, 16));
    // each reader takes what it has read and asks for more, as a subscription with credit does
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        readers.map(async (r) => {
          while (r.next([]) >= 0);
          await r.fill();
        }),
      );
      // 16 ahead each would be 640; a record spans up to 3 of these small blocks
      assert.ok(blocksInUse() - held <= AHEAD_TOTAL + 3 * readers.length, `${blocksInUse() - held} blocks held`);
    }
    for (const r of readers) r.close();
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(blocksInUse(), held);
  } finally {
    done();
  }
});
