// The segment log's reuse interface (issue 12, "one log for three uses"): what a stream queue needs
// (append with a returned position, reads from any position, tail-following, retention deleting whole
// segments) and what a replication follower needs (append the leader's frames verbatim, fsync-position
// callbacks to acknowledge).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentLog, type LogPosition } from '../../../src/storage/log/segment-log.js';
import { LogCursor } from '../../../src/storage/log/cursor.js';
import { events, openLog } from './open-log.js';

const before = (a: LogPosition, b: LogPosition): boolean => a.seg < b.seg || (a.seg === b.seg && a.off < b.off);

test('append returns each record position; a cursor reads from any of them, across segments', async () => {
  const { log, done } = openLog(4096);
  try {
    const at: LogPosition[] = [];
    for (let i = 0; i < 100; i++) at.push(log.append(Buffer.from(`entry ${i} `.padEnd(100, '.'))));
    for (let i = 1; i < at.length; i++) assert.ok(before(at[i - 1]!, at[i]!));
    assert.ok(at[99]!.seg > 1, 'records spread over several segments');
    log.writeOut();
    const c = new LogCursor(log, at[37]!);
    const got: string[] = [];
    while (got.length < 63) for (const r of await c.next(1000)) got.push(r.payload.toString().split(' ')[1]!);
    assert.deepEqual(
      got,
      Array.from({ length: 63 }, (_, k) => String(37 + k)),
    );
    assert.deepEqual(c.pos, { seg: log.segNo, off: log.fileSize });
  } finally {
    done();
  }
});

test('a cursor at the tail waits for the next write; fsync-position callbacks follow the appends', async () => {
  const { log, done } = openLog();
  try {
    const first = log.append(Buffer.from('one'));
    log.writeOut();
    const c = new LogCursor(log, first);
    assert.equal((await c.next())[0]!.payload.toString(), 'one');
    const waiting = c.next();
    let synced: LogPosition | null = null;
    log.onSyncedPosition((p) => (synced = p));
    const second = log.append(Buffer.from('two'));
    const got = await waiting;
    assert.equal(got[0]!.payload.toString(), 'two');
    assert.deepEqual(got[0]!.pos, second);
    // the follower acknowledges this: everything before it is fsynced (an fsync in flight may report an
    // earlier position first)
    const reached = (): boolean => synced !== null && !before(synced, c.pos);
    for (let i = 0; i < 200 && !reached(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(reached(), `synced ${JSON.stringify(synced)}`);
    assert.deepEqual(log.syncedPosition, synced);
    c.close();
  } finally {
    done();
  }
});

test('retention deletes whole segments before a position; a follower appends the leader frames as they are', async () => {
  const leader = openLog(2048);
  const follower = openLog(1 << 20);
  try {
    const at: LogPosition[] = [];
    for (let i = 0; i < 60; i++) at.push(leader.log.append(Buffer.alloc(200, i)));
    leader.log.writeOut();
    // ship everything to the follower in batches of whole frames
    const c = new LogCursor(leader.log, at[0]!);
    let shipped = 0;
    while (shipped < 60) {
      const rs = await c.next(4096);
      follower.log.appendFrames(Buffer.concat(rs.map((r) => r.frame)));
      shipped += rs.length;
    }
    follower.log.writeOut();
    const fc = new LogCursor(follower.log, { seg: 1, off: 8 });
    const got: number[] = [];
    while (got.length < 60) for (const r of await fc.next()) got.push(r.payload[0]!);
    assert.deepEqual(
      got,
      Array.from({ length: 60 }, (_, i) => i),
    );
    // a damaged batch is refused whole
    const bad = Buffer.from([5, 0, 0, 0, 1, 2, 3, 4, 9]);
    assert.throws(() => follower.log.appendFrames(bad), /damaged frame/);
    // retention: every segment before the one holding record 40
    const segs = leader.log.segmentsInfo().length;
    const n = leader.log.deleteBefore(at[40]!.seg);
    assert.ok(n > 0);
    assert.equal(leader.log.segmentsInfo().length, segs - n);
    assert.equal(leader.log.segmentsInfo()[0]!.seg, at[40]!.seg);
    // the files go on the thread pool
    for (let i = 0; i < 100 && readdirSync(leader.dir).includes('00000001.seg'); i++) await delay(10);
    assert.ok(!readdirSync(leader.dir).includes('00000001.seg'));
    await assert.rejects(new LogCursor(leader.log, at[0]!).next());
    const r40 = await new LogCursor(leader.log, at[40]!).next();
    assert.equal(r40[0]!.payload[0], 40);
  } finally {
    leader.done();
    follower.done();
  }
});

test('closed while an fsync is in flight (a stream deleted as it is written): no failure reported', async () => {
  // found by the stream fuzzer: the fdatasync in flight came back EBADF from the closed fd and was reported
  // as a disk failure ("stream write failed", and the disk alarm), for a stream that no longer existed
  for (const slowBefore of [false, true]) {
    const failures: (Error | null)[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'warren-log-'));
    let release = (): void => {};
    const log = new SegmentLog(
      dir,
      1,
      {
        ...events,
        failure: (e) => failures.push(e),
        // the stream store's beforeSync can be pending when the log closes
        beforeSync: () => (slowBefore ? new Promise<void>((r) => (release = r)) : null),
      },
      1 << 20,
    );
    for (let i = 0; i < 50; i++) {
      log.append(Buffer.alloc(1000, i));
      log.writeOut();
      log.sync();
      if (i % 10 === 9) await delay(0);
    }
    log.closeSync();
    release();
    await delay(50);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(failures, [], `failures reported (beforeSync ${slowBefore ? 'pending' : 'none'})`);
  }
});

test('a write listener that unwatches and watches again is called once per write (no spin)', () => {
  const { log, done } = openLog();
  try {
    let calls = 0;
    let unwatch: () => void = () => {};
    const watch = (): void => {
      unwatch = log.onWritten(() => {
        calls++;
        unwatch();
        // nothing new for this reader: wait for the next write (the block reader at its tail does this)
        if (calls < 1000) watch();
      });
    };
    watch();
    log.append(Buffer.from('one'));
    log.writeOut();
    assert.equal(calls, 1);
    log.append(Buffer.from('two'));
    log.writeOut();
    assert.equal(calls, 2);
    unwatch();
  } finally {
    done();
  }
});
