// Segment compaction as a user sees it (issue 12): records of a queue that keeps its messages are copied
// forward while traffic through another queue dies around them; messages held unacked in memory, in the
// ready window and in the on-disk tail all follow. Acks after the move stay acked across kill -9; the rest
// come back in order, the unacked ones redelivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { MOVE_BATCH } from '../../src/storage/messages/compactor.js';
import { eventually } from '../helpers/broker.js';
import { kill9, OTHER_LISTENERS_OFF, spawnWarren, tempDir, type WarrenChild } from '../helpers/warren-child.js';

function start(dir: string, segmentSize: string): Promise<WarrenChild> {
  return spawnWarren(
    [
      '--amqp-port',
      '0',
      '--bind',
      '127.0.0.1',
      '--data-dir',
      dir,
      '--segment-size',
      segmentSize,
      ...OTHER_LISTENERS_OFF,
    ],
    {},
  );
}

const segBytes = (dir: string): number =>
  readdirSync(join(dir, 'messages'))
    .filter((f) => f.endsWith('.seg'))
    .reduce((n, f) => n + (statSync(join(dir, 'messages', f), { throwIfNoEntry: false })?.size ?? 0), 0);

// 256 KiB segments hold ~500 of keep's records each: compaction moves them in batches over several turns
// (compactor.ts MOVE_BATCH), with flow's acks and keep's page-ins between them
for (const segmentSize of ['32KiB', '256KiB'])
  test(`compaction moves live messages (unacked, ready, paged) without losing one or bringing back an ack (${segmentSize} segments)`, async () => {
    const dir = tempDir('warren-compact-');
    let s = await start(dir, segmentSize);
    const c = await amqp.connect(s.url);
    c.on('error', () => {});
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('keep', { durable: true });
    await ch.assertQueue('flow', { durable: true });
    const KEEP = 5000; // more than the in-memory window: part of it is paged to disk
    for (let i = 0; i < KEEP; i++) {
      const b = Buffer.alloc(64, 1);
      b.writeUInt32BE(i, 0);
      ch.sendToQueue('keep', b, { persistent: true });
      ch.sendToQueue('flow', Buffer.alloc(300, 2), { persistent: true });
    }
    await ch.waitForConfirms();
    // 40 of keep's oldest are delivered and held unacked
    const con = await c.createChannel();
    await con.prefetch(40);
    const held: amqp.ConsumeMessage[] = [];
    await con.consume('keep', (m) => m && held.push(m));
    await eventually(() => held.length === 40);
    // flow is consumed: its records die around keep's; more flow rounds make more garbage
    const fc = await c.createChannel();
    await fc.consume('flow', (m) => m && fc.ack(m));
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < 2000; i++) ch.sendToQueue('flow', Buffer.alloc(300, 3), { persistent: true });
      await ch.waitForConfirms();
    }
    await eventually(async () => (await fc.checkQueue('flow')).messageCount === 0, 20000);
    await eventually(() => (s.stderr().match(/segment compacted/g)?.length ?? 0) >= 3, 20000);
    // the data left is about keep's records: far less than what was written
    await eventually(() => segBytes(dir) < 2_000_000, 20000);
    if (segmentSize === '256KiB') {
      const moved = [...s.stderr().matchAll(/"moved":(\d+)[^\n]*segment compacted/g)].map((m) => Number(m[1]));
      assert.ok(
        moved.some((n) => n > MOVE_BATCH),
        `a segment moved in several batches: ${moved.join(', ')}`,
      );
    }
    // acks after the move: these never come back
    for (const m of held.slice(0, 20)) con.ack(m);
    await con.checkQueue('keep');
    await kill9(s);

    s = await start(dir, segmentSize);
    const c2 = await amqp.connect(s.url);
    const ch2 = await c2.createChannel();
    assert.equal((await ch2.checkQueue('flow')).messageCount, 0);
    assert.equal((await ch2.checkQueue('keep')).messageCount, KEEP - 20);
    const got: { id: number; redelivered: boolean }[] = [];
    await new Promise<void>((resolve) => {
      void ch2.consume('keep', (m) => {
        if (m === null) return;
        got.push({ id: m.content.readUInt32BE(0), redelivered: m.fields.redelivered });
        ch2.ack(m);
        if (got.length === KEEP - 20) resolve();
      });
    });
    assert.deepEqual(
      got.map((g) => g.id),
      Array.from({ length: KEEP - 20 }, (_, i) => i + 20),
    );
    // the 20 still unacked at the kill were delivered: they come back redelivered
    for (const g of got.slice(0, 20)) assert.equal(g.redelivered, true, `message ${g.id}`);
    await c2.close();
    await kill9(s);
  });
