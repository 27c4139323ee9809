// amqplib: large messages arrive byte for byte whatever the frame size. Warren copies a large body into a
// pool buffer as it arrives (util/body-pool.ts) and writes it to consumers by reference (writeBody with
// pieces), so these check the sizes around the thresholds, bodies split over many frames, both frame_max values
// amqplib users meet (4096 and 131072), interleaving with small messages, basic.get, basic.return, a
// dead-lettered copy, a persistent message on a durable queue with file storage, and per-queue flow control
// by bytes (a fast publisher of 256 KiB messages and a slow consumer: nothing lost, order kept).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { Client, within, type ReturnFields } from './util.js';

/** A body of `n` bytes whose content depends on `seed` and the offset (so a misplaced piece shows). */
function body(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >>> 8)) & 255;
  return b;
}

/** basic.get's result, or a throw to retry (for eventually). */
function got<T>(m: T | false): T {
  if (m === false) throw new Error('queue empty');
  return m;
}

const SIZES = [32767, 32768, 40000, 65536, 65537, 131064, 200000, 1024 * 1024];

describe('amqplib: large messages', () => {
  const broker = useTestBroker();

  for (const frameMax of [4096, 131072]) {
    test(`frame_max ${frameMax}: sizes around the threshold and far above, interleaved with small ones`, async (t) => {
      const c = await Client.open(t, `${broker.url}?frameMax=${frameMax}`);
      const ch = await c.channel();
      const q = uniqueName('large');
      await ch.assertQueue(q, { exclusive: true });
      const sent: Buffer[] = [];
      SIZES.forEach((n, i) => {
        sent.push(body(n, i), Buffer.from(`small-${i}`));
      });
      for (const b of sent) ch.sendToQueue(q, b);
      const got: Buffer[] = [];
      await ch.consume(q, (m) => m && got.push(m.content), { noAck: true });
      await eventually(() => got.length === sent.length, 10000);
      got.forEach((b, i) => assert.ok(b.equals(sent[i]!), `message ${i} (${sent[i]!.length} bytes) differs`));
    });
  }

  test('basic.get and basic.return carry a large body intact', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('large-get');
    await ch.assertQueue(q, { exclusive: true });
    const b = body(300000, 5);
    ch.sendToQueue(q, b);
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 1);
    const m = await ch.get(q, { noAck: true });
    assert.ok(m && m.content.equals(b));

    const returned = new Promise<{ fields: ReturnFields; content: Buffer }>((resolve) =>
      ch.once('return', (r: ConsumeMessage) => resolve(r as never)),
    );
    ch.publish('', uniqueName('nowhere'), b, { mandatory: true });
    const r = await within(returned, 3000, 'basic.return');
    assert.equal(r.fields.replyCode, 312);
    assert.ok(r.content.equals(b));
  });

  test('a dead-lettered large message keeps its body', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const dlq = uniqueName('large-dlq');
    const q = uniqueName('large-src');
    await ch.assertQueue(dlq, { exclusive: true });
    await ch.assertQueue(q, { exclusive: true, deadLetterExchange: '', deadLetterRoutingKey: dlq });
    const b = body(100000, 9);
    ch.sendToQueue(q, b);
    const m = await eventually(async () => got(await ch.get(q)));
    ch.nack(m, false, false);
    const d = await eventually(async () => got(await ch.get(dlq, { noAck: true })));
    assert.ok(d.content.equals(b));
    assert.equal((d.properties.headers?.['x-death'] as unknown[]).length, 1);
  });

  test('a slow consumer throttles a fast publisher of 256 KiB messages by bytes: none lost, order kept', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('large-flow');
    await ch.assertQueue(q, { exclusive: true });
    const N = 200; // 50 MiB in all: well past the 16 MiB per-queue flow threshold
    const got: number[] = [];
    let acked = 0;
    const cc = await c.channel();
    await cc.prefetch(4);
    await cc.consume(q, (m) => {
      if (m === null) return;
      got.push(m.content.readUInt32BE(0));
      assert.equal(m.content.length, 262144);
      setTimeout(() => {
        cc.ack(m);
        acked++;
      }, 1);
    });
    const pub = await Client.open(t, broker.url);
    const pch = await pub.channel();
    for (let i = 0; i < N; i++) {
      const b = Buffer.alloc(262144, i & 255);
      b.writeUInt32BE(i, 0);
      if (!pch.sendToQueue(q, b)) await new Promise((r) => pch.once('drain', r));
    }
    // every ack sent before the test's connections close
    await eventually(() => got.length === N && acked === N, 20000);
    assert.deepEqual(
      got,
      Array.from({ length: N }, (_, i) => i),
    );
  });
});

describe('amqplib: large persistent messages with file storage', () => {
  const broker = useTestBroker({}, { dirPrefix: 'warren-large-' });

  test('persistent large messages on a durable queue, confirmed, come back intact', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('large-durable');
    await ch.assertQueue(q, { durable: true });
    const sent = SIZES.map((n, i) => body(n, 20 + i));
    for (const b of sent) ch.sendToQueue(q, b, { persistent: true });
    await within(ch.waitForConfirms(), 5000, 'confirms');
    const got: Buffer[] = [];
    for (let i = 0; i < sent.length; i++) {
      const m = await ch.get(q, { noAck: true });
      assert.ok(m, `message ${i}`);
      got.push(m.content);
    }
    got.forEach((b, i) => assert.ok(b.equals(sent[i]!), `message ${i} differs`));
    await ch.deleteQueue(q);
  });
});
