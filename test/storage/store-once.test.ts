// A body stored once (issue 12): a persistent message routed to 4 durable queues is one PUBLISH record and
// three REF records, not four copies. Each queue still acks its own copy; compaction moves a shared record
// with the queues still holding it (also when the queue whose PUBLISH it is has acked), and kill -9 brings
// back exactly what each queue had not acked, byte for byte, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { eventually } from '../helpers/broker.js';
import { kill9, OTHER_LISTENERS_OFF, spawnWarren, tempDir, type WarrenChild } from '../helpers/warren-child.js';

function start(dir: string): Promise<WarrenChild> {
  return spawnWarren([
    '--amqp-port',
    '0',
    '--bind',
    '127.0.0.1',
    '--data-dir',
    dir,
    '--segment-size',
    '32KiB',
    ...OTHER_LISTENERS_OFF,
  ]);
}

const segBytes = (dir: string): number =>
  readdirSync(join(dir, 'messages'))
    .filter((f) => f.endsWith('.seg'))
    .reduce((n, f) => n + (statSync(join(dir, 'messages', f), { throwIfNoEntry: false })?.size ?? 0), 0);

const body = (i: number): Buffer => {
  const b = Buffer.alloc(2048, i % 251);
  b.writeUInt32BE(i, 0);
  return b;
};

/** Consume `n` from `q`, acking each; their ids. */
async function drain(ch: amqp.Channel, q: string, n: number): Promise<number[]> {
  const got: number[] = [];
  if (n === 0) return got;
  await new Promise<void>((resolve) => {
    void ch.consume(q, (m) => {
      if (m === null || got.length === n) return;
      assert.deepEqual(m.content, body(m.content.readUInt32BE(0)));
      got.push(m.content.readUInt32BE(0));
      ch.ack(m);
      if (got.length === n) resolve();
    });
  });
  return got;
}

test('a message routed to 4 durable queues is stored once; each queue acks its own copy, also across compaction and kill -9', async () => {
  const dir = tempDir('warren-once-');
  let s = await start(dir);
  const c = await amqp.connect(s.url);
  c.on('error', () => {});
  const ch = await c.createConfirmChannel();
  await ch.assertExchange('fan', 'fanout', { durable: true });
  for (let i = 0; i < 4; i++) {
    await ch.assertQueue(`q${i}`, { durable: true });
    await ch.bindQueue(`q${i}`, 'fan', '');
  }
  await ch.assertQueue('flow', { durable: true });
  const N = 300;
  const before = segBytes(dir);
  for (let i = 0; i < N; i++) ch.publish('fan', '', body(i), { persistent: true });
  await ch.waitForConfirms();
  const written = segBytes(dir) - before;
  // one body each (plus headers and 3 REF records of 34 bytes), not four
  assert.ok(written < N * 2048 * 1.25, `${written} bytes for ${N} messages of 2 KiB to 4 queues`);
  // q0 owns the PUBLISH records: it acks all; q1 acks all; q2 acks two thirds and holds every third
  // unacked; q3 acks two thirds and returns every third to the queue. The shared records are then a
  // third live, held by q2 and q3 but not by q0 whose PUBLISH they are.
  const cc = await c.createChannel();
  await cc.prefetch(N);
  assert.equal((await drain(cc, 'q0', N)).length, N);
  assert.equal((await drain(cc, 'q1', N)).length, N);
  const keepEveryThird = async (q: string, giveBack: boolean): Promise<void> => {
    const k = await c.createChannel();
    await k.prefetch(N);
    const held: amqp.ConsumeMessage[] = [];
    let seen = 0;
    const { consumerTag } = await k.consume(q, (m) => {
      if (m === null) return;
      seen++;
      if (m.content.readUInt32BE(0) % 3 !== 0) k.ack(m);
      else held.push(m);
    });
    await eventually(() => seen === N);
    await k.cancel(consumerTag);
    if (giveBack) for (const m of held) k.nack(m, false, true);
    await k.checkQueue(q);
  };
  await keepEveryThird('q2', false);
  await keepEveryThird('q3', true);
  // traffic through another queue: the shared records end up in mostly dead segments and are moved
  const fc = await c.createChannel();
  await fc.consume('flow', (m) => m && fc.ack(m));
  for (let r = 0; r < 4; r++) {
    for (let i = 0; i < 1000; i++) ch.sendToQueue('flow', Buffer.alloc(500, 3), { persistent: true });
    await ch.waitForConfirms();
  }
  await eventually(async () => (await fc.checkQueue('flow')).messageCount === 0, 20000);
  await eventually(() => (s.stderr().match(/segment compacted/g)?.length ?? 0) >= 3, 20000);
  // the first segment held only shared records: it was compacted (its live third moved), not kept
  await eventually(() => !readdirSync(join(dir, 'messages')).includes('00000001.seg'), 20000);
  await fc.checkQueue('flow');
  await kill9(s);

  s = await start(dir);
  const c2 = await amqp.connect(s.url);
  const ch2 = await c2.createChannel();
  const counts = await Promise.all(['q0', 'q1', 'q2', 'q3'].map(async (q) => (await ch2.checkQueue(q)).messageCount));
  assert.deepEqual(counts, [0, 0, N / 3, N / 3]);
  assert.deepEqual(
    await drain(ch2, 'q2', N / 3),
    Array.from({ length: N / 3 }, (_, i) => i * 3),
  );
  assert.deepEqual(
    await drain(ch2, 'q3', N / 3),
    Array.from({ length: N / 3 }, (_, i) => i * 3),
  );
  await c2.close();
  await kill9(s);
});
