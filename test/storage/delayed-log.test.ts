// The delayed-message log (storage/delayed-store.ts), found by the soak (bench/soak/): delayed.log grew by
// every delayed message's body for as long as the broker ran (it was compacted only at start, where it was
// read whole), a confirm for a delayed message could come before its record was written, and the record
// of a released message could be removed on disk before the message was stored in its queue (the soak lost
// 4 confirmed delayed messages at a kill -9 that way). Now the log is compacted while running, a confirm
// waits for the record's fsync, and the remove record waits for the queue's copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { COMPACT_MIN } from '../../src/storage/delayed-store.js';
import { eventually } from '../helpers/broker.js';

const start = (dir: string): Promise<RunningBroker> =>
  startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'file', dataDir: dir, logLevel: 'warn' });

async function setup(b: RunningBroker): Promise<{ c: amqp.ChannelModel; ch: amqp.ConfirmChannel }> {
  const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
  const ch = await c.createConfirmChannel();
  await ch.assertExchange('dx', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
  await ch.assertQueue('dq', { durable: true });
  await ch.bindQueue('dq', 'dx', 'k');
  return { c, ch };
}

const publish = (ch: amqp.ConfirmChannel, body: Buffer, delay: number): Promise<void> =>
  new Promise((resolve, reject) =>
    ch.publish('dx', 'k', body, { persistent: true, headers: { 'x-delay': delay } }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );

test('delayed.log stays bounded while delayed messages come and go, and keeps the pending ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-delayed-log-'));
  let b = await start(dir);
  try {
    const { c, ch } = await setup(b);
    await publish(ch, Buffer.from('an hour from now'), 3_600_000);
    // 24 MiB of bodies through the exchange (32 MiB in the log's base64)
    const body = Buffer.alloc(128 * 1024, 7);
    for (let i = 0; i < 192; i++) await publish(ch, body, 1);
    await eventually(async () => (await ch.checkQueue('dq')).messageCount === 192, 10000);
    const size = statSync(join(dir, 'delayed.log')).size;
    assert.ok(size < COMPACT_MIN + 1024 * 1024, `delayed.log is ${size} bytes`);
    await c.close();
    await b.close();
    b = await start(dir);
    const x = b.broker.vhosts.get('/')!.exchanges.get('dx') as unknown as { delayedCount: number };
    assert.equal(x.delayedCount, 1, 'the pending message came back');
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the confirm of a delayed message waits until its record is on disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-delayed-confirm-'));
  const b = await start(dir);
  try {
    const { c, ch } = await setup(b);
    // hold the message store's "fsynced up to" notifications back
    const store = b.broker.store as unknown as { onSynced(t: number): void };
    const orig = store.onSynced;
    let last = 0;
    store.onSynced = (t: number) => void (last = Math.max(last, t));
    let confirmed = false;
    const p = publish(ch, Buffer.from('held'), 3_600_000).then(() => (confirmed = true));
    await sleep(300);
    const held = confirmed;
    store.onSynced = orig;
    orig.call(store, last);
    assert.equal(held, false, 'no confirm before the group commit that writes the delayed record');
    await p;
    assert.match(readFileSync(join(dir, 'delayed.log'), 'utf8'), /"op":"add"/);
    await c.close();
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a released message's remove record is written only after its queue's copy is on disk", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-delayed-release-'));
  const b = await start(dir);
  try {
    const { c, ch } = await setup(b);
    await publish(ch, Buffer.from('soon'), 50);
    const store = b.broker.store as unknown as { onSynced(t: number): void };
    const orig = store.onSynced;
    let last = 0;
    store.onSynced = (t: number) => void (last = Math.max(last, t));
    try {
      await eventually(async () => (await ch.checkQueue('dq')).messageCount === 1, 5000);
      await sleep(200);
      assert.doesNotMatch(readFileSync(join(dir, 'delayed.log'), 'utf8'), /"op":"del"/, 'removed before stored');
    } finally {
      store.onSynced = orig;
      orig.call(store, last);
    }
    await eventually(() => /"op":"del"/.test(readFileSync(join(dir, 'delayed.log'), 'utf8')), 5000);
    await c.close();
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
