// Quorum-queue semantics across a leader failover on a real 3-node cluster (issue 14): x-delivery-limit
// keeps counting returns across the failover and dead-letters the message past it, a message dead-lettered
// before the failover is in its dead-letter queue after it, and a stream queue is replicated and read from
// the first offset on the new leader.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Channel, type ConsumeMessage } from 'amqplib';
import { startTestCluster, type TestCluster, type TestNode } from '../helpers/cluster/cluster.js';
import { connectAny, waitInSync } from './helpers.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ nodes: 3, leaseTtl: 2 });
});
after(async () => {
  await c?.close();
});

/** kill -9 the leader once every node is in sync; the new leader once it serves. */
async function failover(): Promise<{ old: TestNode; leader: TestNode }> {
  const old = await c.waitForLeader();
  await waitInSync(
    c,
    c.nodes.map((n) => n.nodeName),
  );
  await old.kill();
  const leader = await c.waitForLeader(15000, old.nodeName);
  await old.start(); // back as a follower, for the next test
  return { old, leader };
}

/** The next message `ch` is given from `queue` (basic.get, ack required), waiting for it up to `ms`. */
async function next(ch: Channel, queue: string, ms = 5000): Promise<ConsumeMessage> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await ch.get(queue, { noAck: false });
    if (m !== false) return m as unknown as ConsumeMessage;
    assert.ok(Date.now() < deadline, `nothing in ${queue}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('x-delivery-limit counts returns across a failover; dead-lettered messages survive it', async () => {
  const leader = await c.waitForLeader();
  const conn = await connect(leader.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange('dlx', 'fanout', { durable: true });
  await ch.assertQueue('dead', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue('dead', 'dlx', '');
  await ch.assertQueue('work', {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 1, 'x-dead-letter-exchange': 'dlx' },
  });
  await ch.assertQueue('marker', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  // 'early': returned twice before the failover, so dead-lettered before it (delivery limit 1)
  ch.sendToQueue('work', Buffer.from('early'), { persistent: true });
  await ch.waitForConfirms();
  const e1 = await next(ch, 'work');
  assert.equal(e1.content.toString(), 'early');
  assert.equal(e1.properties.headers?.['x-delivery-count'], 0);
  ch.nack(e1, false, true);
  const e2 = await next(ch, 'work');
  assert.equal(e2.content.toString(), 'early');
  assert.equal(e2.properties.headers?.['x-delivery-count'], 1);
  ch.nack(e2, false, true); // over the limit: to 'dlx' → 'dead'
  // 'poison': delivered and returned once before the failover
  ch.sendToQueue('work', Buffer.from('poison'), { persistent: true });
  await ch.waitForConfirms();
  const m1 = await next(ch, 'work');
  assert.equal(m1.content.toString(), 'poison');
  ch.nack(m1, false, true);
  // a publish with a confirm after the returns: the log holding them has reached a follower
  ch.sendToQueue('marker', Buffer.from('m'), { persistent: true });
  await ch.waitForConfirms();
  await conn.close();

  const { leader: l2 } = await failover();
  const { conn: conn2 } = await connectAny([l2.url]);
  const ch2 = await conn2.createChannel();
  // the message dead-lettered before the failover is in its dead-letter queue after it, with its x-death
  const d = await next(ch2, 'dead');
  assert.equal(d.content.toString(), 'early');
  const death = (d.properties.headers?.['x-death'] as { reason: string; queue: string }[])[0]!;
  assert.deepEqual([death.reason, death.queue], ['delivery_limit', 'work']);
  ch2.ack(d);
  // 'poison' was returned once before the failover: redelivered, and its count kept
  const m2 = await next(ch2, 'work');
  assert.equal(m2.content.toString(), 'poison');
  assert.equal(m2.fields.redelivered, true);
  assert.equal(m2.properties.headers?.['x-delivery-count'], 1, 'the returns before the failover still count');
  ch2.nack(m2, false, true); // its second return: over the limit, dead-lettered by the new leader
  const d2 = await next(ch2, 'dead');
  assert.equal(d2.content.toString(), 'poison');
  ch2.ack(d2);
  assert.equal((await ch2.checkQueue('work')).messageCount, 0);
  await conn2.close();
});

test('a stream queue is replicated: read from the first offset after a failover', async () => {
  const leader = await c.waitForLeader();
  const conn = await connect(leader.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue('events', { durable: true, arguments: { 'x-queue-type': 'stream' } });
  const bodies = Array.from({ length: 500 }, (_, i) => `event-${i}`);
  for (const b of bodies) ch.sendToQueue('events', Buffer.from(b), { persistent: true });
  await ch.waitForConfirms();
  await conn.close();

  const { leader: l2 } = await failover();
  // a stream consumer: manual ack, prefetch, x-stream-offset first (RabbitMQ's stream queue over AMQP)
  const { conn: conn2 } = await connectAny([l2.url]);
  const ch2 = await conn2.createChannel();
  await ch2.prefetch(100);
  const got: { body: string; offset: unknown }[] = [];
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${got.length} of 500 read`)), 10000);
    void ch2.consume(
      'events',
      (m) => {
        if (m === null) return;
        got.push({ body: m.content.toString(), offset: m.properties.headers?.['x-stream-offset'] });
        ch2.ack(m);
        if (got.length === bodies.length) {
          clearTimeout(t);
          resolve();
        }
      },
      { arguments: { 'x-stream-offset': 'first' } },
    );
  });
  assert.deepEqual(
    got.map((g) => g.body),
    bodies,
  );
  assert.equal(got[0]!.offset, 0);
  // the stream goes on on the new leader: appended after the old entries, to the same consumer
  const ch3 = await conn2.createConfirmChannel();
  ch3.sendToQueue('events', Buffer.from('after'), { persistent: true });
  await ch3.waitForConfirms();
  for (let i = 0; got.length < 501 && i < 200; i++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(got[500], { body: 'after', offset: 500 });
  await conn2.close();
});
