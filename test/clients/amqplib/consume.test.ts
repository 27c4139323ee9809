// amqplib: consuming and acknowledging as a RabbitMQ user sees it — basic.get, ack/nack/reject (single,
// multiple, requeue), requeue to the original position with redelivered=true, unknown delivery tags (406),
// cancel and server-sent cancel, consumer priorities, exclusive consumers, requeue on channel close,
// basic.recover, and prefetch per consumer vs per channel.
// The last tests cover where Warren follows the AMQP spec and RabbitMQ refuses (basic.recover requeue=false,
// basic.qos prefetch_size, channel.flow active=false): they are skipped against RabbitMQ.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Channel, GetMessage } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import {
  basicQos,
  basicRecover,
  buf,
  channelCloseMessage,
  channelFlow,
  Client,
  closedWith,
  collect,
  drain,
} from './util.js';

describe('amqplib: consume and acknowledge', () => {
  const broker = useTestBroker();
  /** Skip (at run time, once the broker is known) a test of Warren's spec behaviour that RabbitMQ refuses. */
  function warrenOnly(t: TestContext): boolean {
    if (broker.external) t.skip('RabbitMQ refuses this; Warren implements it per spec');
    return broker.external;
  }

  /** An exclusive queue holding m0..m(n-1), all enqueued. */
  async function queueWith(ch: Channel, n: number, prefix = 'm'): Promise<string> {
    const q = uniqueName('q');
    await ch.assertQueue(q, { exclusive: true });
    for (let i = 0; i < n; i++) ch.sendToQueue(q, buf(`${prefix}${i}`));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === n);
    return q;
  }

  async function getOne(ch: Channel, q: string, noAck = false): Promise<GetMessage> {
    const m = await ch.get(q, { noAck });
    assert.ok(m, 'expected a message');
    return m;
  }

  test('basic.get: get-ok with the remaining count, get-empty as false', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 2);
    const m = await getOne(ch, q, true);
    assert.equal(m.content.toString(), 'm0');
    assert.deepEqual(
      { ...m.fields },
      { deliveryTag: 1, redelivered: false, exchange: '', routingKey: q, messageCount: 1 },
    );
    const m2 = await getOne(ch, q);
    assert.equal(m2.fields.messageCount, 0);
    assert.equal(m2.fields.deliveryTag, 2, 'delivery tags count up per channel');
    assert.equal(await ch.get(q), false);
    ch.ack(m2);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });

  test('ack multiple acks everything up to the tag; ackAll acks the rest', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 5);
    const ms: GetMessage[] = [];
    for (let i = 0; i < 5; i++) ms.push(await getOne(ch, q));
    ch.ack(ms[2]!, true); // m0..m2
    await ch.close();
    // closing the channel requeues what was still unacked: m3 and m4, redelivered
    const ch2 = await c.channel();
    const left = [await getOne(ch2, q), await getOne(ch2, q)];
    assert.deepEqual(
      left.map((m) => [m.content.toString(), m.fields.redelivered]),
      [
        ['m3', true],
        ['m4', true],
      ],
    );
    ch2.ackAll();
    assert.deepEqual((await ch2.checkQueue(q)).messageCount, 0);
    await ch2.close();
    const ch3 = await c.channel();
    assert.equal(await ch3.get(q), false, 'ackAll acked them: nothing requeued on close');
  });

  test('nack and reject: requeue=false drops, requeue=true puts back at the original position', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 6);
    const ms: GetMessage[] = [];
    for (let i = 0; i < 4; i++) ms.push(await getOne(ch, q)); // m0..m3 unacked; m4, m5 ready
    ch.reject(ms[1]!, false); // m1 dropped
    ch.nack(ms[3]!, false, true); // m3 back
    ch.reject(ms[0]!, true); // m0 back, ahead of m3
    ch.nack(ms[2]!, false, true); // m2 back, between m0 and m3
    const again: Array<[string, boolean]> = [];
    for (;;) {
      const m = await ch.get(q, { noAck: true });
      if (m === false) break;
      again.push([m.content.toString(), m.fields.redelivered]);
    }
    assert.deepEqual(again, [
      ['m0', true],
      ['m2', true],
      ['m3', true],
      ['m4', false],
      ['m5', false],
    ]);
  });

  test('nack multiple (with and without requeue) and nackAll', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 6);
    const ms: GetMessage[] = [];
    for (let i = 0; i < 6; i++) ms.push(await getOne(ch, q));
    ch.nack(ms[1]!, true, false); // m0, m1 dropped
    ch.nack(ms[3]!, true, true); // m2, m3 requeued
    assert.deepEqual(await drain(ch, q), ['m2', 'm3']);
    ch.nackAll(true); // m4, m5 requeued
    assert.deepEqual(await drain(ch, q), ['m4', 'm5']);
  });

  test('requeued messages go back to a consumer with redelivered=true, in order', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 3);
    const got = await collect(ch, q);
    await eventually(() => got.messages.length === 3);
    ch.nack(got.messages[2]!, true, true);
    await eventually(() => got.messages.length === 6);
    assert.deepEqual(
      got.messages.map((m) => `${m.content.toString()}:${m.fields.redelivered}`),
      ['m0:false', 'm1:false', 'm2:false', 'm0:true', 'm1:true', 'm2:true'],
    );
    assert.deepEqual(
      got.messages.map((m) => m.fields.deliveryTag),
      [1, 2, 3, 4, 5, 6],
      'a redelivery gets a new delivery tag',
    );
    ch.ackAll();
  });

  test('acking an unknown or already-acked delivery tag closes the channel with 406', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 1);
    const m = await getOne(ch, q);
    ch.ack(m);
    ch.ack(m); // again
    const err = await closedWith(ch);
    assert.equal(err.code, 406);
    assert.equal(
      err.message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - unknown delivery tag 1'),
    );

    const ch2 = await c.channel();
    const fake = { ...m, fields: { ...m.fields, deliveryTag: 42 } };
    ch2.nack(fake, false, true);
    const err2 = await closedWith(ch2);
    assert.equal(
      err2.message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - unknown delivery tag 42'),
    );

    const ch3 = await c.channel();
    ch3.reject(fake, false);
    assert.equal((await closedWith(ch3)).code, 406);

    // the connection and its other channels are fine
    const ch4 = await c.channel();
    await ch4.checkQueue(q);
  });

  test('messages delivered with no-ack cannot be acked: unknown delivery tag', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 1);
    const m = await getOne(ch, q, true);
    ch.ack(m);
    const err = await closedWith(ch);
    assert.equal(
      err.message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - unknown delivery tag 1'),
    );
  });

  test('consumer tags: generated amq.ctag-…, or the client-chosen one', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 0);
    const a = await ch.consume(q, () => {});
    assert.match(a.consumerTag, /^amq\.ctag-[A-Za-z0-9_-]{22}$/);
    const b = await ch.consume(q, () => {}, { consumerTag: 'my-tag' });
    assert.equal(b.consumerTag, 'my-tag');
    assert.deepEqual(await ch.cancel('my-tag'), { consumerTag: 'my-tag' });
    assert.equal((await ch.checkQueue(q)).consumerCount, 1);
  });

  test('cancel stops deliveries; unacked messages of the cancelled consumer can still be acked', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 3);
    await ch.prefetch(1);
    const got = await collect(ch, q);
    await eventually(() => got.messages.length === 1);
    await ch.cancel(got.tag);
    ch.ack(got.messages[0]!);
    assert.deepEqual(await drain(ch, q), ['m1', 'm2']);
    assert.equal(got.messages.length, 1);
    const ok = await ch.checkQueue(q);
    assert.deepEqual(ok, { queue: q, messageCount: 0, consumerCount: 0 });
  });

  test('the server cancels consumers of a deleted queue (callback called with null)', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('doomed');
    await ch.assertQueue(q);
    const cancels: string[] = [];
    ch.on('cancel', (f: { consumerTag: string }) => cancels.push(f.consumerTag));
    const got = await collect(ch, q);
    const other = await Client.open(t, broker.url);
    await (await other.channel()).deleteQueue(q);
    await eventually(() => got.cancelledByServer);
    assert.deepEqual(cancels, [got.tag]);
    // the channel is still open
    await ch.assertQueue(q, { exclusive: true });
  });

  test('consumer priorities: the highest-priority consumer with capacity gets the messages', async (t) => {
    const c = await Client.open(t, broker.url);
    const setup = await c.channel();
    const q = uniqueName('prio');
    await setup.assertQueue(q, { exclusive: true });
    const lowCh = await c.channel();
    await lowCh.prefetch(2);
    const low = await collect(lowCh, q, { priority: 1 });
    const highCh = await c.channel();
    await highCh.prefetch(2);
    const high = await collect(highCh, q, { priority: 10 });
    const defCh = await c.channel();
    await defCh.prefetch(2);
    const def = await collect(defCh, q); // priority 0

    for (let i = 0; i < 7; i++) setup.sendToQueue(q, buf(`m${i}`));
    await eventually(() => high.messages.length + low.messages.length + def.messages.length === 6);
    assert.deepEqual(high.bodies(), ['m0', 'm1']);
    assert.deepEqual(low.bodies(), ['m2', 'm3']);
    assert.deepEqual(def.bodies(), ['m4', 'm5']);
    highCh.ack(high.messages[0]!);
    await eventually(() => high.messages.length === 3);
    assert.equal(high.messages[2]!.content.toString(), 'm6');
    assert.equal(low.messages.length + def.messages.length, 4);
  });

  test('an exclusive consumer locks out other consumers (403)', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('excl-consumer');
    await ch.assertQueue(q, { exclusive: true });
    const first = await collect(ch, q, { exclusive: true });
    const text = `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`;

    const ch2 = await c.channel();
    await assert.rejects(ch2.consume(q, () => {}));
    const err = await closedWith(ch2);
    assert.equal(err.code, 403);
    assert.equal(err.message, channelCloseMessage(403, 'ACCESS-REFUSED', text));

    await ch.cancel(first.tag);
    // with an ordinary consumer present, an exclusive one is refused too
    await collect(ch, q);
    const ch3 = await c.channel();
    await assert.rejects(ch3.consume(q, () => {}, { exclusive: true }));
    const err3 = await closedWith(ch3);
    assert.equal(err3.message, channelCloseMessage(403, 'ACCESS-REFUSED', text));
  });

  test('closing a channel (or its connection) requeues its unacked messages', async (t) => {
    const owner = await Client.open(t, broker.url);
    const och = await owner.channel();
    const q = uniqueName('requeue');
    await och.assertQueue(q);
    for (let i = 0; i < 3; i++) och.sendToQueue(q, buf(`m${i}`));

    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const got = await collect(ch, q);
    await eventually(() => got.messages.length === 3);
    ch.ack(got.messages[1]!);
    await ch.close();
    await eventually(async () => (await och.checkQueue(q)).messageCount === 2);

    const ch2 = await c.channel();
    const got2 = await collect(ch2, q);
    await eventually(() => got2.messages.length === 2);
    assert.deepEqual(
      got2.messages.map((m) => `${m.content.toString()}:${m.fields.redelivered}`),
      ['m0:true', 'm2:true'],
    );
    await c.close();
    await eventually(async () => (await och.checkQueue(q)).messageCount === 2);
    await och.deleteQueue(q);
  });

  test('basic.recover redelivers the unacked messages with redelivered=true', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 2);
    const got = await collect(ch, q);
    await eventually(() => got.messages.length === 2);
    await ch.recover();
    await eventually(() => got.messages.length === 4);
    assert.deepEqual(
      got.messages.map((m) => `${m.content.toString()}:${m.fields.redelivered}`),
      ['m0:false', 'm1:false', 'm0:true', 'm1:true'],
    );
    ch.ack(got.messages[3]!, true);
    // the first deliveries' tags are no longer valid: acking one closes the channel
    ch.ack(got.messages[0]!);
    assert.equal((await closedWith(ch)).code, 406);
  });

  test('prefetch per consumer (global=false) applies to consumers started afterwards', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const [q1, q2] = [await queueWith(ch, 5, 'a'), await queueWith(ch, 5, 'b')];
    const cch = await c.channel();
    await cch.prefetch(1);
    const c1 = await collect(cch, q1);
    await cch.prefetch(3);
    const c2 = await collect(cch, q2);
    await eventually(async () => {
      const [r1, r2] = [await ch.checkQueue(q1), await ch.checkQueue(q2)];
      return r1.messageCount === 4 && r2.messageCount === 2 && c1.messages.length === 1 && c2.messages.length === 3;
    });
    cch.ack(c1.messages[0]!);
    await eventually(() => c1.messages.length === 2);
    assert.equal(c2.messages.length, 3);
  });

  test('prefetch per channel (global=true) is shared by the channel’s consumers', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const [q1, q2] = [await queueWith(ch, 5, 'a'), await queueWith(ch, 5, 'b')];
    const cch = await c.channel();
    await cch.prefetch(3, true);
    const c1 = await collect(cch, q1);
    const c2 = await collect(cch, q2);
    await eventually(async () => {
      const [r1, r2] = [await ch.checkQueue(q1), await ch.checkQueue(q2)];
      return r1.messageCount + r2.messageCount === 7 && c1.messages.length + c2.messages.length === 3;
    });
    cch.ackAll();
    await eventually(() => c1.messages.length + c2.messages.length === 6);
    cch.ackAll();
  });

  test('both limits: the per-consumer and the per-channel prefetch each hold', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const [q1, q2] = [await queueWith(ch, 5, 'a'), await queueWith(ch, 5, 'b')];
    const cch = await c.channel();
    await cch.prefetch(2, false);
    await cch.prefetch(3, true);
    const c1 = await collect(cch, q1);
    await eventually(() => c1.messages.length === 2);
    const c2 = await collect(cch, q2);
    await eventually(async () => {
      const [r1, r2] = [await ch.checkQueue(q1), await ch.checkQueue(q2)];
      return r1.messageCount === 3 && r2.messageCount === 4 && c2.messages.length === 1;
    });
    assert.equal(c1.messages.length, 2);
  });

  // ---- Warren follows the spec where RabbitMQ answers 540 NOT_IMPLEMENTED ---------------------------------

  test('basic.recover requeue=false redelivers to the same consumer', async (t) => {
    if (warrenOnly(t)) return;
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = await queueWith(ch, 2);
    const got = await collect(ch, q);
    await eventually(() => got.messages.length === 2);
    await basicRecover(ch, false);
    await eventually(() => got.messages.length === 4);
    assert.deepEqual(
      got.messages.map((m) => `${m.content.toString()}:${m.fields.redelivered}`),
      ['m0:false', 'm1:false', 'm0:true', 'm1:true'],
    );
    ch.ackAll();
  });

  test('basic.qos prefetch_size limits the bytes in flight', async (t) => {
    if (warrenOnly(t)) return;
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('bytes');
    await ch.assertQueue(q, { exclusive: true });
    const body = (i: number) => buf(`${i}`.padEnd(60, '.'));
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, body(i));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 3);
    const cch = await c.channel();
    await basicQos(cch, 100, 0, false); // room for one 60-byte body, not two
    const got = await collect(cch, q);
    await eventually(async () => got.messages.length === 1 && (await ch.checkQueue(q)).messageCount === 2);
    cch.ack(got.messages[0]!);
    await eventually(async () => got.messages.length === 2 && (await ch.checkQueue(q)).messageCount === 1);
    cch.ack(got.messages[1]!);
    await eventually(() => got.messages.length === 3);
    cch.ack(got.messages[2]!);
  });

  test('channel.flow active=false pauses deliveries until active=true', async (t) => {
    if (warrenOnly(t)) return;
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('flow');
    await ch.assertQueue(q, { exclusive: true });
    const cch = await c.channel();
    const got = await collect(cch, q, { noAck: true });
    assert.deepEqual(await channelFlow(cch, false), { active: false });
    ch.sendToQueue(q, buf('held'));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 1);
    assert.equal(got.messages.length, 0);
    assert.deepEqual(await channelFlow(cch, true), { active: true });
    await eventually(() => got.messages.length === 1);
    assert.equal((await ch.checkQueue(q)).messageCount, 0);
  });
});
