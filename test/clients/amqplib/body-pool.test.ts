// amqplib: bodies stay intact while Warren reuses body buffers (util/body-pool.ts) and reads every plain
// connection into one shared buffer (frontend/net/shared-read.ts). A no-ack consumer's bodies go back to the
// pool once written, and the next publishes reuse them; these check that no delivery ever shows another
// message's bytes: no-ack and acked consumers, a fanout copy (two queues share one body), a persistent message
// on a durable queue with file storage (logged: never handed back), a backlog read back from disk (handed back
// once acked), sizes below, at and above the pool's range,
// frame_max 4096 (a body in many frames) and 131072, and several publishers at once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { poolStats } from '../../../src/util/body-pool.js';
import { Client } from './util.js';

/** A body whose every byte depends on its message number (so a reused buffer shows). */
function body(n: number, seq: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seq * 13 + (i >>> 9)) & 255;
  b.writeUInt32BE(seq, 0);
  return b;
}

function check(m: { content: Buffer }, seen: Set<number>): void {
  const seq = m.content.readUInt32BE(0);
  assert.ok(
    m.content.equals(body(m.content.length, seq)),
    `message ${seq} (${m.content.length} bytes) was overwritten`,
  );
  assert.ok(!seen.has(seq), `message ${seq} twice`);
  seen.add(seq);
}

const SIZES = [1000, 8191, 8192, 20000, 65536, 65537, 131064, 300000, 1024 * 1024 + 1];

async function publishAll(ch: Channel, n: number, first: number, to: (seq: number) => [string, string]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const seq = first + i;
    const [x, rk] = to(seq);
    if (!ch.publish(x, rk, body(SIZES[seq % SIZES.length]!, seq))) await new Promise((r) => ch.once('drain', r));
  }
}

describe('amqplib: bodies intact while body buffers are reused', () => {
  const broker = useTestBroker({}, { dirPrefix: 'warren-pool-' });

  for (const frameMax of [4096, 131072]) {
    test(`frame_max ${frameMax}: no-ack, acked, fanout and persistent deliveries, three publishers`, async (t) => {
      const c = await Client.open(t, `${broker.url}?frameMax=${frameMax}`);
      const ch = await c.channel();
      const solo = uniqueName('pool-solo');
      const acked = uniqueName('pool-acked');
      const durable = uniqueName('pool-durable');
      const fan = uniqueName('pool-fan');
      await ch.assertQueue(solo, { exclusive: true });
      await ch.assertQueue(acked, { exclusive: true });
      await ch.assertQueue(durable, { durable: true });
      await ch.assertExchange(fan, 'fanout', { autoDelete: true });
      const fanQs = [uniqueName('pool-fan-a'), uniqueName('pool-fan-b')];
      for (const q of fanQs) {
        await ch.assertQueue(q, { exclusive: true });
        await ch.bindQueue(q, fan, '');
      }
      const seen = new Map<string, Set<number>>();
      for (const q of [solo, acked, durable, ...fanQs]) seen.set(q, new Set());
      const cc = await c.channel();
      await cc.prefetch(50);
      for (const q of [solo, durable, fanQs[0]!])
        await cc.consume(q, (m) => m && check(m, seen.get(q)!), { noAck: true });
      for (const q of [acked, fanQs[1]!]) {
        await cc.consume(q, (m) => {
          if (m === null) return;
          check(m, seen.get(q)!);
          // acks now and then later, so acked bodies stay held while no-ack ones are reused
          if (m.content.readUInt32BE(0) % 3 === 0) setTimeout(() => cc.ack(m), 5);
          else cc.ack(m);
        });
      }
      const { reused } = poolStats();
      // seq % 4: 0, 1 to the no-ack queue, 2 to the acked one, 3 to the fanout or (every other) the durable queue
      const route = (seq: number): [string, string] =>
        seq % 4 < 2 ? ['', solo] : seq % 4 === 2 ? ['', acked] : seq % 8 === 3 ? [fan, ''] : ['', durable];
      const N = 600;
      const pubs = await Promise.all([0, 1, 2].map(() => Client.open(t, `${broker.url}?frameMax=${frameMax}`)));
      await Promise.all(
        pubs.map(async (p, k) => {
          const pch = await p.channel();
          await publishAll(pch, N, k * N, route);
        }),
      );
      const all = 3 * N;
      const expect = (pred: (s: number) => boolean): number =>
        Array.from({ length: all }, (_, s) => s).filter(pred).length;
      await eventually(
        () =>
          seen.get(solo)!.size === expect((s) => s % 4 < 2) &&
          seen.get(acked)!.size === expect((s) => s % 4 === 2) &&
          seen.get(durable)!.size === expect((s) => s % 8 === 7) &&
          fanQs.every((q) => seen.get(q)!.size === expect((s) => s % 8 === 3)),
        30000,
      );
      if (!broker.external) assert.ok(poolStats().reused > reused, 'no body buffer was reused');
      await ch.deleteQueue(durable);
    });
  }

  test('basic.get with no-ack and with an ack hands bodies back too: the next batch reuses them, all intact', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('pool-get');
    await ch.assertQueue(q, { exclusive: true });
    const seen = new Set<number>();
    const { reused } = poolStats();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) ch.sendToQueue(q, body(65536, round * 50 + i));
      for (let i = 0; i < 50; i++) {
        const noAck = (i & 1) === 0;
        const m = await eventually(async () => {
          const r = await ch.get(q, { noAck });
          if (r === false) throw new Error('queue empty');
          return r;
        });
        check(m, seen);
        if (!noAck) ch.ack(m);
      }
    }
    assert.equal(seen.size, 150);
    if (!broker.external) assert.ok(poolStats().reused >= reused + 50, 'basic.get bodies were not reused');
  });

  test('a backlog read back from disk hands its bodies back once acked: later pages reuse them, all intact', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('pool-backlog');
    await ch.assertQueue(q, { durable: true });
    // past the queue's in-memory window (4,096 messages): the rest waits on disk and is read back in pages
    const n = 8000;
    // each message's properties name it too: a message and its entry read back from disk are reused once
    // acked (Message.reinit), so a field left over from the last message over that object would show
    for (let i = 0; i < n; i++)
      ch.sendToQueue(q, body(1000, i), { persistent: true, messageId: `m${i}`, headers: { seq: i } });
    await ch.waitForConfirms();
    const { reused } = poolStats();
    const seen = new Set<number>();
    const requeues = new Set<number>();
    await ch.prefetch(200);
    const errors: unknown[] = [];
    await new Promise<void>((resolve) => {
      void ch.consume(q, (m) => {
        if (m === null) return; // basic.cancel: the queue is deleted at the end
        try {
          const seq = m.content.readUInt32BE(0);
          assert.equal(m.properties.messageId, `m${seq}`);
          assert.equal((m.properties.headers as { seq: number }).seq, seq);
          // every 97th is put back once: only its second delivery is marked redelivered
          const requeued = requeues.has(seq);
          assert.equal(m.fields.redelivered, requeued, `message ${seq}: redelivered`);
          if (seq % 97 === 0 && !requeued) {
            requeues.add(seq);
            ch.nack(m, false, true);
            return;
          }
          check(m, seen);
        } catch (e) {
          errors.push(e); // (thrown here, it would end amqplib's connection instead of failing the test)
        }
        ch.ack(m);
        if (seen.size + errors.length >= n) resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 200)); // nothing more (no message twice)
    assert.deepEqual(errors, []);
    assert.equal(seen.size, n);
    if (!broker.external) assert.ok(poolStats().reused >= reused + 1000, 'bodies read back from disk were not reused');
    await ch.deleteQueue(q);
  });
});
