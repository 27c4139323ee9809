// amqplib: publisher confirms, transactions and direct reply-to as a RabbitMQ user sees them — confirm
// channels (publish callbacks, waitForConfirms, nacks from reject-publish), mandatory returns ahead of the
// ack, tx.select/commit/rollback (through amqplib's raw RPC: it has no tx API), the tx/confirm exclusivity,
// and RPC over amq.rabbitmq.reply-to. Warren's immediate=true (basic.return 313 NO_CONSUMERS, where RabbitMQ
// closes the connection with 540) is tested last and skipped against RabbitMQ.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { ConfirmChannel, Message } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import {
  buf,
  channelCloseMessage,
  Client,
  closedWith,
  collect,
  confirmSelect,
  drain,
  publishImmediate,
  txCommit,
  txRollback,
  txSelect,
  within,
  type ReturnFields,
} from './util.js';

/** Publish and resolve with the confirm outcome: 'ack' or 'nack'. */
function publishAndConfirm(ch: ConfirmChannel, exchange: string, key: string, body: string, mandatory = false) {
  return within(
    new Promise<'ack' | 'nack'>((resolve) => {
      ch.publish(exchange, key, buf(body), { mandatory }, (err) => resolve(err ? 'nack' : 'ack'));
    }),
    3000,
    'publisher confirm',
  );
}

describe('amqplib: confirms, transactions, direct reply-to', () => {
  const broker = useTestBroker();

  test('confirm channel: every publish is acked, with increasing delivery tags', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('confirm');
    await ch.assertQueue(q, { exclusive: true, durable: false });
    const acks: Array<{ deliveryTag: number; multiple: boolean }> = [];
    ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) => acks.push(f));
    const outcomes = await Promise.all([
      publishAndConfirm(ch, '', q, 'one'),
      publishAndConfirm(ch, '', q, 'two'),
      publishAndConfirm(ch, '', uniqueName('nowhere'), 'unroutable is still acked'),
      publishAndConfirm(ch, 'amq.fanout', '', 'no bindings: acked'),
    ]);
    assert.deepEqual(outcomes, ['ack', 'ack', 'ack', 'ack']);
    // the broker may coalesce acks with multiple=true; together they cover tags 1..4
    assert.equal(Math.max(...acks.map((a) => a.deliveryTag)), 4);
    await within(ch.waitForConfirms());
    assert.deepEqual(await drain(ch, q), ['one', 'two']);
  });

  test('waitForConfirms after a burst of persistent publishes to a durable queue', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('confirm-durable');
    await ch.assertQueue(q, { durable: true });
    for (let i = 0; i < 200; i++) ch.sendToQueue(q, buf(`m${i}`), { persistent: true });
    await within(ch.waitForConfirms(), 5000);
    assert.equal((await ch.checkQueue(q)).messageCount, 200);
    assert.equal((await ch.deleteQueue(q)).messageCount, 200);
  });

  test('a full queue with x-overflow reject-publish nacks the publish', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('bounded');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    assert.equal(await publishAndConfirm(ch, '', q, 'fits'), 'ack');
    assert.equal(await publishAndConfirm(ch, '', q, 'overflows'), 'nack');
    assert.deepEqual(await drain(ch, q), ['fits']);
  });

  test('mandatory + confirm: basic.return arrives before the basic.ack', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const events: string[] = [];
    ch.on('return', (m: Message) => events.push(`return ${(m.fields as ReturnFields).replyText}`));
    const outcome = await publishAndConfirm(ch, 'amq.direct', uniqueName('unbound'), 'x', true).then((o) => {
      events.push(o);
      return o;
    });
    assert.equal(outcome, 'ack');
    assert.deepEqual(events, ['return NO_ROUTE', 'ack']);
  });

  test('tx: publishes are invisible until commit, discarded by rollback', async (t) => {
    const c = await Client.open(t, broker.url);
    const watcher = await c.channel();
    const q = uniqueName('tx');
    await watcher.assertQueue(q, { exclusive: true });
    const ch = await c.channel();
    assert.deepEqual(await txSelect(ch), {});
    ch.sendToQueue(q, buf('a'));
    ch.sendToQueue(q, buf('b'));
    await ch.checkQueue(q); // a round trip on the tx channel: the publishes have reached the broker
    assert.equal((await watcher.checkQueue(q)).messageCount, 0);
    assert.deepEqual(await txCommit(ch), {});
    assert.equal((await watcher.checkQueue(q)).messageCount, 2);

    ch.sendToQueue(q, buf('c'));
    assert.deepEqual(await txRollback(ch), {});
    assert.deepEqual(await txCommit(ch), {}, 'nothing left to commit');
    assert.deepEqual(await drain(watcher, q), ['a', 'b']);

    // the channel stays transactional: the next publish again waits for a commit
    ch.sendToQueue(q, buf('d'));
    await ch.checkQueue(q);
    assert.equal((await watcher.checkQueue(q)).messageCount, 0);
    await txCommit(ch);
    assert.deepEqual(await drain(watcher, q), ['d']);
  });

  test('tx: acks take effect on commit; rollback leaves the messages unacked', async (t) => {
    const c = await Client.open(t, broker.url);
    const watcher = await c.channel();
    const q = uniqueName('tx-acks');
    await watcher.assertQueue(q, { exclusive: true });
    for (const b of ['a', 'b']) watcher.sendToQueue(q, buf(b));
    await eventually(async () => (await watcher.checkQueue(q)).messageCount === 2);

    const ch = await c.channel();
    await txSelect(ch);
    const ma = await ch.get(q);
    const mb = await ch.get(q);
    assert.ok(ma && mb);
    ch.ack(ma);
    await txRollback(ch);
    // still unacked (not requeued): not ready
    assert.equal((await watcher.checkQueue(q)).messageCount, 0);
    ch.ack(ma); // the rolled-back ack left the tag valid
    ch.nack(mb, false, true);
    await txCommit(ch);
    const m = await watcher.get(q, { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), 'b');
    assert.equal(m.fields.redelivered, true);
    await ch.close();
    assert.equal(await watcher.get(q), false, 'a was acked for good');
  });

  test('tx: mandatory returns are sent at commit', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const returns: Message[] = [];
    ch.on('return', (m: Message) => returns.push(m));
    await txSelect(ch);
    ch.publish('amq.direct', uniqueName('unbound'), buf('x'), { mandatory: true });
    await ch.checkExchange('amq.direct');
    assert.equal(returns.length, 0);
    await txCommit(ch);
    assert.equal(returns.length, 1);
    assert.equal((returns[0]!.fields as ReturnFields).replyCode, 312);
  });

  test('tx.commit / tx.rollback without tx.select: 406', async (t) => {
    const c = await Client.open(t, broker.url);
    for (const op of [txCommit, txRollback]) {
      const ch = await c.channel();
      await assert.rejects(op(ch));
      const err = await closedWith(ch);
      assert.equal(err.code, 406);
      assert.equal(
        err.message,
        channelCloseMessage(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - channel is not transactional'),
      );
    }
  });

  test('a channel is transactional or in confirm mode, not both', async (t) => {
    const c = await Client.open(t, broker.url);
    const confirm = await c.confirmChannel();
    await assert.rejects(txSelect(confirm));
    assert.equal(
      (await closedWith(confirm)).message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - cannot switch from confirm to tx mode'),
    );
    const tx = await c.channel();
    await txSelect(tx);
    await txSelect(tx); // again: fine
    await assert.rejects(confirmSelect(tx));
    assert.equal(
      (await closedWith(tx)).message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - cannot switch from tx to confirm mode'),
    );
  });

  test('direct reply-to: request/reply over amq.rabbitmq.reply-to', async (t) => {
    const server = await Client.open(t, broker.url);
    const sch = await server.channel();
    const rpcQueue = uniqueName('rpc');
    await sch.assertQueue(rpcQueue, { exclusive: true });
    const seenReplyTo: string[] = [];
    await sch.consume(rpcQueue, (req) => {
      if (!req) return;
      seenReplyTo.push(req.properties.replyTo as string);
      sch.publish('', req.properties.replyTo as string, buf(`re: ${req.content.toString()}`), {
        correlationId: req.properties.correlationId as string,
      });
      sch.ack(req);
    });

    const client = await Client.open(t, broker.url);
    const cch = await client.channel();
    const replies = await collect(cch, 'amq.rabbitmq.reply-to', { noAck: true });
    cch.sendToQueue(rpcQueue, buf('ping'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'c1' });
    cch.sendToQueue(rpcQueue, buf('pong'), { replyTo: 'amq.rabbitmq.reply-to', correlationId: 'c2' });
    await eventually(() => replies.messages.length === 2);

    // the broker rewrote reply_to into a routable per-channel address
    assert.equal(seenReplyTo.length, 2);
    assert.match(seenReplyTo[0]!, /^amq\.rabbitmq\.reply-to\..+/);
    assert.equal(seenReplyTo[0], seenReplyTo[1]);
    assert.deepEqual(replies.bodies(), ['re: ping', 're: pong']);
    const r = replies.messages[0]!;
    assert.equal(r.properties.correlationId, 'c1');
    assert.equal(r.fields.exchange, '');
    assert.equal(r.fields.routingKey, seenReplyTo[0]);
    assert.equal(r.fields.redelivered, false);
    // it is a pseudo-queue: a passive declare succeeds, on any channel, and RabbitMQ always reports
    // 0 messages and 1 consumer for it
    for (const ch of [cch, await client.channel()]) {
      assert.deepEqual(await ch.checkQueue('amq.rabbitmq.reply-to'), {
        queue: 'amq.rabbitmq.reply-to',
        messageCount: 0,
        consumerCount: 1,
      });
    }
  });

  test('direct reply-to: misuse is refused with 406', async (t) => {
    const c = await Client.open(t, broker.url);
    const q = uniqueName('rpc');
    await (await c.channel()).assertQueue(q, { exclusive: true });

    const noConsumer = await c.channel();
    noConsumer.sendToQueue(q, buf('ping'), { replyTo: 'amq.rabbitmq.reply-to' });
    assert.equal(
      (await closedWith(noConsumer)).message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - fast reply consumer does not exist'),
    );

    const acking = await c.channel();
    await assert.rejects(acking.consume('amq.rabbitmq.reply-to', () => {}, { noAck: false }));
    assert.equal(
      (await closedWith(acking)).message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - reply consumer cannot acknowledge'),
    );
  });

  test('direct reply-to: a reply to a channel that is gone is dropped, or returned if mandatory', async (t) => {
    const server = await Client.open(t, broker.url);
    const sch = await server.confirmChannel();
    const rpcQueue = uniqueName('rpc');
    await sch.assertQueue(rpcQueue, { exclusive: true });

    const client = await Client.open(t, broker.url);
    const cch = await client.channel();
    await collect(cch, 'amq.rabbitmq.reply-to', { noAck: true });
    cch.sendToQueue(rpcQueue, buf('ping'), { replyTo: 'amq.rabbitmq.reply-to' });
    const req = await eventually(() => sch.get(rpcQueue, { noAck: true }));
    assert.ok(req);
    await client.close();

    const returns: Message[] = [];
    sch.on('return', (m: Message) => returns.push(m));
    const replyTo = req.properties.replyTo as string;
    assert.equal(await publishAndConfirm(sch, '', replyTo, 'late reply'), 'ack');
    assert.equal(await publishAndConfirm(sch, '', replyTo, 'late mandatory reply', true), 'ack');
    assert.equal(returns.length, 1);
    assert.equal((returns[0]!.fields as ReturnFields).replyCode, 312);
    assert.equal(returns[0]!.content.toString(), 'late mandatory reply');
  });

  // ---- Warren follows the spec where RabbitMQ answers 540 NOT_IMPLEMENTED ---------------------------------

  function warrenOnly(t: TestContext): boolean {
    if (broker.external) t.skip('RabbitMQ refuses this; Warren implements it per spec');
    return broker.external;
  }

  test('immediate=true: basic.return 313 NO_CONSUMERS when no consumer can take it', async (t) => {
    if (warrenOnly(t)) return;
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('immediate');
    await ch.assertQueue(q, { exclusive: true });
    const returns: Message[] = [];
    ch.on('return', (m: Message) => returns.push(m));
    publishImmediate(ch, '', q, buf('nobody home'));
    await eventually(() => returns.length === 1);
    const f = returns[0]!.fields as ReturnFields;
    assert.deepEqual({ ...f }, { replyCode: 313, replyText: 'NO_CONSUMERS', exchange: '', routingKey: q });
    assert.equal((await ch.checkQueue(q)).messageCount, 0, 'not enqueued');

    const got = await collect(await c.channel(), q, { noAck: true });
    publishImmediate(ch, '', q, buf('delivered'));
    await eventually(() => got.messages.length === 1);
    assert.equal(got.messages[0]!.content.toString(), 'delivered');
    assert.equal(returns.length, 1);
  });
});
