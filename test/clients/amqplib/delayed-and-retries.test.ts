// amqplib: Warren's answers to what RabbitMQ users build with plugins and TTL ladders — the
// x-delayed-message exchange (rabbitmq-delayed-message-exchange compatible, durable across restarts),
// x-requeue-delay backoff on requeue, x-delivery-limit on classic queues, and x-consumer-timeout per queue.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { GetMessage } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../../src/index.js';
import { buf, channelCloseMessage, Client, closedWith, collect } from './util.js';

describe('amqplib: delayed messages and retries', () => {
  const broker = useTestBroker();

  test('x-delayed-message needs a valid x-delayed-type (406 with the plugin text)', async (t) => {
    if (broker.external) return t.skip('RabbitMQ needs the delayed-message plugin for this');
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    await assert.rejects(ch.assertExchange(uniqueName('bad'), 'x-delayed-message', { durable: false }));
    const err = await closedWith(ch);
    assert.equal(
      err.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must be an existing exchange type",
      ),
    );
  });

  test('delayed messages of a durable delayed exchange survive a restart', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-delayed-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const opts = { amqpPort: 0, bind: '127.0.0.1', storage: 'file' as const, dataDir: dir, logLevel: 'warn' as const };
    const x = uniqueName('durable-delayed');
    const q = uniqueName('durable-delayed-q');
    let b = await startBroker(opts);
    {
      const c = await Client.open(t, `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
      const ch = await c.channel();
      await ch.assertExchange(x, 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'fanout' } });
      await ch.assertQueue(q, { durable: true });
      await ch.bindQueue(q, x, '');
      ch.publish(x, '', buf('survivor'), { headers: { 'x-delay': 700 }, persistent: true });
      ch.publish(x, '', buf('soon'), { headers: { 'x-delay': 10 } });
      await eventually(async () => (await ch.checkQueue(q)).messageCount === 1);
      await c.close();
    }
    await b.close();
    b = await startBroker(opts);
    t.after(() => b.close());
    const c = await Client.open(t, `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    const ch = await c.channel();
    const m = (await eventually(async () => await ch.get(q, { noAck: true }), 3000)) as GetMessage;
    // the queue itself held 'soon' only in memory (message durability is separate work): the delayed one came back
    assert.equal(m.content.toString(), 'survivor');
    assert.equal(m.properties.headers!['x-delay'], -700);
  });

  test('x-delivery-limit on a classic queue dead-letters with reason delivery_limit', async (t) => {
    if (broker.external) return t.skip('RabbitMQ 3.10 has delivery limits on quorum queues only');
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const dlx = uniqueName('dlx');
    const dlq = uniqueName('dlq');
    await ch.assertExchange(dlx, 'fanout', { durable: false });
    await ch.assertQueue(dlq, { exclusive: true });
    await ch.bindQueue(dlq, dlx, '');
    const q = uniqueName('limited');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-delivery-limit': 2, 'x-dead-letter-exchange': dlx } });
    ch.sendToQueue(q, buf('poison'));
    let deliveries = 0;
    await ch.consume(q, (m) => {
      if (m === null) return;
      deliveries++;
      ch.nack(m, false, true);
    });
    const d = (await eventually(async () => await ch.get(dlq, { noAck: true }), 3000)) as GetMessage;
    assert.equal(deliveries, 3);
    const xd = d.properties.headers!['x-death'] as unknown as Record<string, unknown>[];
    assert.equal(xd[0]!['reason'], 'delivery_limit');
    assert.equal(xd[0]!['queue'], q);
  });
});

// The time-based behaviour on the virtual clock (broker.clock.advance): exact due times, no waiting.
describe('amqplib: delayed messages and retries on the virtual clock', () => {
  const broker = useTestBroker({ clock: 'virtual' });

  test('x-delayed-message: x-delay holds a message, then routes it by x-delayed-type with x-delay negated', async (t) => {
    if (broker.external) return t.skip('RabbitMQ needs the delayed-message plugin for this');
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const x = uniqueName('delayed');
    const q = uniqueName('delayed-q');
    await ch.assertExchange(x, 'x-delayed-message', { durable: false, arguments: { 'x-delayed-type': 'direct' } });
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, x, 'k');
    const got = await collect(ch, q, { noAck: true });
    ch.publish(x, 'k', buf('later'), { headers: { 'x-delay': 300, app: 1 } });
    ch.publish(x, 'k', buf('now'), { headers: { app: 2 } });
    ch.publish(x, 'other', buf('unrouted'), { headers: { 'x-delay': 50 } });
    await eventually(() => got.messages.length === 1);
    assert.equal(got.bodies()[0], 'now');
    // held until 300 ms of broker time have passed, not one less
    await broker.advance(299);
    await ch.checkQueue(q);
    assert.equal(got.messages.length, 1, 'still held at 299 ms');
    await broker.advance(1);
    await eventually(() => got.messages.length === 2, 2000);
    const late = got.messages[1]!;
    assert.equal(late.content.toString(), 'later');
    assert.equal(late.properties.headers!['x-delay'], -300);
    assert.equal(late.properties.headers!['app'], 1);
    assert.equal(late.fields.exchange, x);
  });

  test('a held message does not go to the alternate exchange; an unroutable one does when released', async (t) => {
    if (broker.external) return t.skip('RabbitMQ needs the delayed-message plugin for this');
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const x = uniqueName('delayed-ae');
    const ae = uniqueName('ae');
    const q = uniqueName('delayed-ae-q');
    const aeq = uniqueName('ae-q');
    await ch.assertExchange(ae, 'fanout', { durable: false });
    await ch.assertQueue(aeq, { exclusive: true });
    await ch.bindQueue(aeq, ae, '');
    await ch.assertExchange(x, 'x-delayed-message', {
      durable: false,
      arguments: { 'x-delayed-type': 'direct', 'alternate-exchange': ae },
    });
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, x, 'k');
    ch.publish(x, 'k', buf('held'), { headers: { 'x-delay': 100 } });
    ch.publish(x, 'none', buf('nowhere'), { headers: { 'x-delay': 100 } });
    await ch.checkQueue(q); // a round trip on the channel: the broker holds both now
    await broker.advance(40);
    assert.equal((await ch.checkQueue(aeq)).messageCount, 0, 'nothing reached the AE while held');
    assert.equal((await ch.checkQueue(q)).messageCount, 0, 'nothing reached the queue while held');
    await broker.advance(60);
    const got = (await eventually(async () => await ch.get(q, { noAck: true }), 2000)) as GetMessage;
    assert.equal(got.content.toString(), 'held');
    const viaAe = (await eventually(async () => await ch.get(aeq, { noAck: true }), 2000)) as GetMessage;
    assert.equal(viaAe.content.toString(), 'nowhere');
  });

  test('x-requeue-delay: a requeued message comes back after a delay growing with its deliveries', async (t) => {
    if (broker.external) return t.skip('Warren extension');
    const clock = broker.running!.clock!;
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('backoff');
    await ch.assertQueue(q, {
      exclusive: true,
      arguments: { 'x-requeue-delay': { base: 100, factor: 2, max: 1000 } },
    });
    ch.sendToQueue(q, buf('retry-me'));
    const times: number[] = [];
    const got = await collect(ch, q);
    const deliveredAt = () => {
      while (times.length < got.messages.length) times.push(clock.now());
      return times.length;
    };
    await eventually(() => deliveredAt() === 1);
    ch.nack(got.messages[0]!, false, true);
    await ch.checkQueue(q); // the nack has reached the broker
    await broker.advance(99);
    await ch.checkQueue(q);
    assert.equal(deliveredAt(), 1, 'not back before base (100 ms)');
    await broker.advance(1);
    await eventually(() => deliveredAt() === 2, 3000);
    ch.nack(got.messages[1]!, false, true);
    await ch.checkQueue(q);
    await broker.advance(199);
    await ch.checkQueue(q);
    assert.equal(deliveredAt(), 2, 'not back before 100 * 2 ms');
    await broker.advance(1);
    await eventually(() => deliveredAt() === 3, 3000);
    ch.ack(got.messages[2]!);
    assert.equal(times[1]! - times[0]!, 100, 'first retry after base');
    assert.equal(times[2]! - times[1]!, 200, 'second retry after base * factor');
    assert.equal(got.messages[1]!.fields.redelivered, true);
  });

  test('x-consumer-timeout on a queue closes the channel of a consumer that holds a message too long', async (t) => {
    if (broker.external) return t.skip('RabbitMQ 3.10 has no per-queue consumer timeout');
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('ctimeout');
    // auto-delete: the queue goes with the consumer when the channel is closed
    await ch.assertQueue(q, { autoDelete: true, arguments: { 'x-consumer-timeout': 500 } });
    const got = await collect(ch, q);
    ch.sendToQueue(q, buf('held'));
    await eventually(() => got.messages.length === 1);
    const closed = closedWith(ch, 4000);
    // the connection's once-a-second check (RabbitMQ checks periodically too) sees it held over 500 ms
    await broker.advance(2000);
    const err = await closed;
    assert.equal(err.code, 406);
    assert.match(err.message, /delivery acknowledgement on channel \d+ timed out\. Timeout value used: 500 ms/);
  });
});
