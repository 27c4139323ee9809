// A stream's chunks and group commit (storage/streams/stream-log.ts): an idle stream's appends become a chunk
// at the end of their turn; while the log's fdatasync is in flight, the appends of the following turns grow
// one chunk that goes when that fsync ends (cut at 1 MiB of data and written at once, overlapping the fsync;
// one of 256 KiB or more is not held back); a confirm waiting for such a chunk is released only once it is
// written and fsynced; a failed fsync ends the wait too (the chunk is written, the confirm waits for the
// retry that works).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileStreamLog } from '../../../src/storage/streams/stream-log.js';
import type { RawChunkReader } from '../../../src/storage/streams/raw-chunk-reader.js';
import type { LogPosition, SegmentLog } from '../../../src/storage/log/segment-log.js';
import { failDisk, healDisk } from '../../../src/storage/io.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Wait until `cond` holds (an fdatasync on the thread pool takes its time). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

function open(t: { after(fn: () => void): void }): { log: FileStreamLog; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'warren-group-commit-'));
  const log = new FileStreamLog(dir, 64 << 20, { appended() {}, failure() {}, deleted() {} }, 32);
  t.after(() => {
    healDisk(dir);
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { log, dir };
}

/** Hold the log's fsyncs (a slow disk) until `release` lets the oldest held one run. */
function holdSyncs(log: FileStreamLog): { held: () => number; release: () => void } {
  const seg = (log as unknown as { log: SegmentLog }).log;
  const s = seg as unknown as { syncFiles(ticket: number, p: LogPosition): void };
  const orig = s.syncFiles.bind(seg);
  const held: (() => void)[] = [];
  s.syncFiles = (ticket, p) => void held.push(() => orig(ticket, p));
  return { held: () => held.length, release: () => held.shift()!() };
}

/** An AMQP 1.0 message of one data section of n bytes (§3.2.6: 0x00 0x53 0x75, vbin32). */
function message(n: number): Buffer {
  const b = Buffer.alloc(8 + n, 0x61);
  b.set([0x00, 0x53, 0x75, 0xb0], 0);
  b.writeUInt32BE(n, 4);
  return b;
}

function append(log: FileStreamLog, n: number, size = 16): void {
  const m = message(size);
  for (let i = 0; i < n; i++) log.appendRaw(m, 0, m.length, null);
}

/** The chunks written so far: [first offset, records]. */
async function chunks(log: FileStreamLog, until: number): Promise<[number, number][]> {
  const r = log.chunkReader(0) as RawChunkReader;
  const out: [number, number][] = [];
  for (;;) {
    for (let c = r.take(); c !== null; c = r.take()) {
      out.push([Number(c.head.readBigUInt64BE(24)), c.head.readUInt32BE(4)]);
    }
    const last = out.at(-1);
    if (last !== undefined && last[0] + last[1] >= until) break;
    assert.equal(await r.fill(), true);
  }
  r.close();
  return out;
}

test('appends during an fsync grow one chunk, written and fsynced when it ends; idle: one chunk per turn', async (t) => {
  const { log } = open(t);
  const disk = holdSyncs(log);
  append(log, 3);
  await turn();
  assert.equal(log.committedChunkId, 0, 'idle: the chunk is written at the end of its turn');
  await turn();
  assert.equal(disk.held(), 1, 'its fsync runs');
  for (let k = 0; k < 3; k++) {
    append(log, 2);
    await turn();
  }
  assert.equal(log.committedChunkId, 0, 'the next chunk waits for the fsync in flight');
  assert.equal(log.lastChunkId, 3, 'and grows');
  let confirmed = false;
  const durable = log.durable();
  assert.notEqual(durable, null);
  void durable!.then(() => (confirmed = true));
  disk.release();
  await until(() => log.committedChunkId === 3, 'written once the fsync ended');
  await until(() => disk.held() === 1, 'its own fsync runs');
  assert.equal(confirmed, false, 'not confirmed before its own fsync');
  disk.release();
  await durable;
  assert.deepEqual(await chunks(log, 9), [
    [0, 3],
    [3, 6],
  ]);
});

test('big messages during an fsync: cut at 1 MiB, and a chunk of 256 KiB or more is not held back', async (t) => {
  const { log } = open(t);
  const disk = holdSyncs(log);
  append(log, 1);
  await turn();
  await turn();
  assert.equal(disk.held(), 1);
  append(log, 1500, 1024); // ~1.5 MiB in one turn: a chunk cut at 1 MiB, the rest (~0.5 MiB) at the turn's end
  await turn();
  await turn();
  assert.equal(disk.held(), 1, 'still the first fsync');
  const got = await chunks(log, 1501);
  assert.equal(got.length, 3, 'all written while the fsync ran');
  assert.ok(got[1]![1] > 900 && got[1]![1] < 1100, `${got[1]![1]} messages of 1 KiB in the cut chunk`);
  assert.equal(got[1]![1] + got[2]![1], 1500);
  // a small chunk is held: 10 KiB waits for the fsync to end
  append(log, 10, 1024);
  await turn();
  assert.equal(log.committedChunkId, got[2]![0]);
  disk.release();
  await until(() => log.committedChunkId === 1501, 'written once the fsync ended');
});

test('a failed fsync lets the waiting chunk go; its confirm waits for the retry that works', async (t) => {
  const { log, dir } = open(t);
  const disk = holdSyncs(log);
  append(log, 1);
  await turn();
  await turn();
  append(log, 5);
  await turn();
  const durable = log.durable()!;
  let confirmed = false;
  void durable.then(() => (confirmed = true));
  failDisk(dir, 'EIO', 'fsync');
  disk.release();
  await until(() => log.committedChunkId === 1, 'the chunk went when the fsync failed');
  assert.equal(confirmed, false);
  healDisk(dir);
  // the retry (every 250 ms) goes through the held syncFiles: let each run
  for (let i = 0; i < 100 && !confirmed; i++) {
    while (disk.held() > 0) disk.release();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(confirmed, true, 'confirmed once an fsync worked');
});
