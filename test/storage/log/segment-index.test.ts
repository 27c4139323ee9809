// Segment indexes (src/storage/log/segment-index.ts): a sealed segment of messages gets one, a segment of acks
// does not (its index would be bigger than the segment: recovery and compaction scan it instead), and a
// restart after kill -9 reads both kinds right: nothing confirmed is lost, nothing acked comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { MARK_LEN } from '../../../src/storage/log/record.js';
import { ENTRY, worthIndexing } from '../../../src/storage/log/segment-index.js';
import { eventually } from '../../helpers/broker.js';
import { kill9, OTHER_LISTENERS_OFF, spawnWarren, tempDir, type WarrenChild } from '../../helpers/warren-child.js';

test('an index is worth writing for a segment of messages, not for one of acks', () => {
  const records = 10_000;
  assert.equal(worthIndexing(records * ENTRY, records * MARK_LEN), false);
  assert.equal(worthIndexing(records * ENTRY, records * 1100), true);
});

function start(dir: string): Promise<WarrenChild> {
  return spawnWarren(
    ['--amqp-port', '0', '--bind', '127.0.0.1', '--data-dir', dir, '--segment-size', '32KiB', ...OTHER_LISTENERS_OFF],
    {},
  );
}

/** Sealed segments (all but the newest) of the message log, with whether each has an index. */
function sealed(dir: string): { seg: string; size: number; idx: number | null }[] {
  const m = join(dir, 'messages');
  const segs = readdirSync(m)
    .filter((f) => /^\d{8}\.seg$/.test(f))
    .sort();
  return segs.slice(0, -1).map((f) => {
    const idx = join(m, f.slice(0, 8) + '.idx');
    return {
      seg: f,
      size: statSync(join(m, f), { throwIfNoEntry: false })?.size ?? 0,
      idx: existsSync(idx) ? (statSync(idx, { throwIfNoEntry: false })?.size ?? null) : null,
    };
  });
}

test('segments of acks are left without an index and still read right after kill -9', async () => {
  const dir = tempDir('warren-idx-');
  let s = await start(dir);
  const c = await amqp.connect(s.url);
  c.on('error', () => {}); // (killed under it)
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('old', { durable: true });
  await ch.assertQueue('q', { durable: true });
  // one message that stays (older segments are then needed: the acks after it are kept on disk). It fills most
  // of its 32 KiB segment, so that the segment stays more than half live once the rest of it is acked and is never
  // compacted: a small one was copied forward, and then the segments of acks were deleted before they were looked
  // at (the test failed 1 run in 4)
  ch.sendToQueue('old', Buffer.alloc(20 * 1024, 'o'), { persistent: true });
  const N = 6000;
  for (let i = 0; i < N; i++) ch.sendToQueue('q', Buffer.from(String(i)), { persistent: true });
  await ch.waitForConfirms();
  // segments of these small messages are indexed (once sealed: on the thread pool)
  await eventually(() => sealed(dir).some((x) => x.idx !== null), 10000);
  // all but the last 100 consumed and acked: ~6,000 REMOVE records of 25 bytes, several segments of nothing else
  const con = await c.createChannel();
  let seen = 0;
  await new Promise<void>((resolve) => {
    void con.consume('q', (m) => {
      if (m === null) return;
      if (++seen <= N - 100) con.ack(m);
      if (seen === N - 100) resolve();
    });
  });
  await con.checkQueue('q'); // (after the acks, on the same channel: they are processed)
  const segs = sealed(dir);
  for (const x of segs)
    if (x.idx !== null) assert.ok(x.idx < x.size / 2, `${x.seg}: an index of ${x.idx} bytes for ${x.size}`);
  assert.ok(
    segs.some((x) => x.idx === null && x.size > 16 * 1024),
    `a sealed segment of acks without an index: ${JSON.stringify(segs)}`,
  );
  await kill9(s);
  s = await start(dir);
  const c2 = await amqp.connect(s.url);
  const ch2 = await c2.createChannel();
  assert.equal((await ch2.checkQueue('old')).messageCount, 1);
  // the 100 delivered but not acked come back, the acked ones do not
  assert.equal((await ch2.checkQueue('q')).messageCount, 100);
  const first = await ch2.get('q', { noAck: true });
  assert.ok(first !== false);
  assert.equal(first.content.toString(), String(N - 100));
  assert.equal(first.fields.redelivered, true);
  await c2.close();
  await kill9(s);
});
