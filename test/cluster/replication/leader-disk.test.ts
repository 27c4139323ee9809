// A leader whose disk reads fail while a follower catches up (issue 15): the leader's reads for followers
// (initial sync, changed files, manifests) go through storage/io.ts, so failDisk(EIO on read) on its data
// directory fails them. The sync stops with a clear warning naming the error (before, an unreadable file was
// skipped and the follower declared in sync without it); the leader keeps serving and confirming (its writes
// are fine); the follower keeps coming back; once the disk is healed it catches up, and a broker started on
// its copy holds every message the leader confirmed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import pino from 'pino';
import { failDisk, healDisk } from '../../../src/storage/io.js';
import type { Logger } from '../../../src/util/logger.js';
import { eventually } from '../../helpers/broker.js';
import { fileBroker, publish, sameFiles, withReplication } from './fixture.js';

test("a leader's disk reads fail (EIO) while a follower catches up: a clear error, no crash, nothing confirmed lost; healed, it catches up", async () => {
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void warnings.push(s) }) as unknown as Logger;
  const o = { prefix: 'warren-ldisk', broker: { logLevel: 'silent' as const }, requiredAcks: 0, logger };
  await withReplication(o, async (r) => {
    const { a, b } = r;
    const c = await r.connect();
    r.defer(() => healDisk(a));
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    await ch.assertQueue('s', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    for (let i = 0; i < 200; i++) await Promise.all([publish(ch, 'q', `before ${i}`), publish(ch, 's', `before ${i}`)]);

    failDisk(a, 'EIO', 'read');
    const f = r.follow();
    let synced = 0;
    f.on('synced', () => synced++);
    f.on('error', () => undefined);
    // the sync fails, said with its cause; the follower is not declared in sync
    await eventually(() => warnings.some((w) => w.includes('initial sync failed') && w.includes('EIO')), 10000);
    assert.equal(synced, 0, 'a follower missing files is never in sync');
    // the leader keeps serving and confirming: its writes do not read
    for (let i = 0; i < 50; i++) await Promise.all([publish(ch, 'q', `during ${i}`), publish(ch, 's', `during ${i}`)]);
    const q = await ch.checkQueue('q');
    assert.equal(q.messageCount, 250);

    healDisk(a);
    await sameFiles(r, f, 20000, () => synced > 0);
    await c.close();
    await r.stop();
    // the follower's copy holds every confirmed message
    const copy = await fileBroker(b, { logLevel: 'silent' });
    try {
      const c2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${copy.amqpPort}/`);
      const ch2 = await c2.createChannel();
      assert.equal((await ch2.checkQueue('q')).messageCount, 250);
      await ch2.prefetch(1000);
      const got: string[] = [];
      await ch2.consume('s', (m) => m && got.push(m.content.toString()), {
        noAck: false,
        arguments: { 'x-stream-offset': 'first' },
      });
      await eventually(() => got.length >= 250, 10000);
      assert.equal(got.length, 250);
      assert.equal(got[0], 'before 0');
      assert.equal(got[249], 'during 49');
      await c2.close();
    } finally {
      await copy.close();
    }
  });
});
