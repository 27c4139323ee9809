// The sparse chunk index: few entries for many small chunks, yet exact answers for the chunk holding an
// offset and the first chunk at a timestamp (scanning one span's headers), readers starting mid-span, and
// entries dropped with retention; the same after a reopen (rebuilt from the segments).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileStreamLog } from '../../../src/storage/streams/stream-log.js';
import { SPACING } from '../../../src/storage/streams/chunk-index.js';
import { releaseVirtualClock, useVirtualClock } from '../../../src/util/clock.js';
import '../../../src/frontend/amqp/format.js';

/** An AMQP 1.0 message of one data section. */
function msg(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([0x00, 0x53, 0x75, 0xa0, b.length]), b]);
}

const hooks = { appended() {}, failure() {}, deleted() {} };

test('sparse index: exact chunkStartFor / offsetForTimestamp and readers over 6,000 small chunks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-chunk-index-'));
  const clock = useVirtualClock();
  t.after(() => {
    releaseVirtualClock();
    rmSync(dir, { recursive: true, force: true });
  });
  let log = new FileStreamLog(dir, 200_000, hooks);
  const body = 'x'.repeat(60);
  const start = clock.time;
  // 2,000 chunks of 3 messages, the clock one ms further every 10 chunks
  for (let c = 0; c < 2000; c++) {
    for (let k = 0; k < 3; k++) {
      const m = msg(`${c * 3 + k}:${body}`);
      log.append(m, 0, m.length, null);
    }
    log.flush();
    if (c % 10 === 9) clock.time++;
  }
  const check = (l: FileStreamLog): void => {
    assert.equal(l.nextOffset, 6000);
    assert.ok(l.index.length < 2000 / 10, `${l.index.length} index entries for 2000 chunks`);
    assert.ok(l.segments >= 3, 'several segments');
    for (const o of [0, 1, 2, 3, 1234, 2999, 4000, 5998, 5999]) assert.equal(l.chunkStartFor(o), o - (o % 3), `${o}`);
    for (const ms of [0, 1, 57, 123, 199]) assert.equal(l.offsetForTimestamp(start + ms), ms * 30, `ts +${ms}`);
    assert.equal(l.offsetForTimestamp(start + 10_000), 6000);
    assert.equal(l.lastChunkId, 5997);
  };
  check(log);
  const read = async (l: FileStreamLog, from: number, n: number): Promise<number[]> => {
    const r = l.reader(from, 'q');
    const out: number[] = [];
    while (out.length < n && (await r.fill())) {
      for (let m = r.take(); m !== null && out.length < n; m = r.take()) {
        assert.equal(m.body.toString().split(':')[0], String(r.offset));
        out.push(r.offset);
      }
    }
    r.close();
    return out;
  };
  assert.deepEqual(await read(log, 4001, 4), [4001, 4002, 4003, 4004]);
  assert.deepEqual(await read(log, 0, 2), [0, 1]);
  log.close();
  log = new FileStreamLog(dir, 200_000, hooks);
  check(log);
  assert.deepEqual(await read(log, 5999, 1), [5999]);
  // retention drops whole segments and their entries
  log.configure(SPACING * 4, -1, 200_000);
  assert.ok(log.firstOffset > 0);
  assert.equal(log.index.id(0), log.firstOffset);
  assert.equal(log.chunkStartFor(0), log.firstOffset);
  assert.deepEqual(await read(log, 0, 1), [log.firstOffset]);
  log.close();
});
