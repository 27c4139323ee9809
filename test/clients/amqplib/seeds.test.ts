// amqplib: the flows real applications run, taken from the seed documents — Evolution API's per-instance
// event queues (topic exchange, quorum queues, redeclare-before-publish), the pika tutorials' work queues
// and pub/sub, the FastAPI guide's dead-lettering, and KrakenD's AMQP consumer and producer.
// Every assertion is what a RabbitMQ user observes (checked against RabbitMQ 3.10).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { buf, Client, collect, within, type Collector, type ReturnFields } from './util.js';

const uid = (prefix: string): string => uniqueName(prefix).replace(/\./g, '_');

describe('amqplib: seed application flows', () => {
  const broker = useTestBroker();

  describe('Evolution API: per-instance event queues on a topic exchange', () => {
    // Evolution API publishes every event to one durable topic exchange with routing key
    // `<instance>.<event>`; each consumer owns a durable quorum queue `<instance>.<event>` bound with that key.
    const queueArgs = { 'x-queue-type': 'quorum' };

    test('each queue gets exactly its events, consumed with manual ack', async (t) => {
      const exchange = uniqueName('evolution_exchange');
      const [a, b] = [uid('instA'), uid('instB')];
      const queues = [`${a}.messages.upsert`, `${b}.messages.upsert`, `${a}.connection.update`];

      const consumer = await Client.open(t, broker.url);
      const cch = await consumer.channel();
      await cch.assertExchange(exchange, 'topic', { durable: true });
      const got = new Map<string, string[]>();
      for (const q of queues) {
        const ok = await cch.assertQueue(q, { durable: true, arguments: queueArgs });
        assert.equal(ok.queue, q);
        await cch.bindQueue(q, exchange, q);
        got.set(q, []);
        await cch.consume(
          q,
          (msg) => {
            if (msg === null) return; // server cancel when the queue is deleted at the end
            got.get(q)!.push(`${msg.fields.routingKey}|${msg.content.toString()}`);
            cch.ack(msg);
          },
          { noAck: false },
        );
      }

      const producer = await Client.open(t, broker.url);
      const pch = await producer.confirmChannel();
      const events = [
        `${a}.messages.upsert`,
        `${b}.messages.upsert`,
        `${a}.connection.update`,
        `${b}.connection.update`, // no queue: dropped
        `${a}.messages.update`, // no queue: dropped
        `${a}.messages.upsert`,
        `${a}.messages`, // prefix of a binding key: no match
        `${a}.messages.upsert.extra`, // longer than a binding key: no match
      ];
      events.forEach((key, i) => pch.publish(exchange, key, buf(JSON.stringify({ i })), { persistent: true }));
      await within(pch.waitForConfirms());

      const expected = new Map<string, string[]>([
        [`${a}.messages.upsert`, [`${a}.messages.upsert|{"i":0}`, `${a}.messages.upsert|{"i":5}`]],
        [`${b}.messages.upsert`, [`${b}.messages.upsert|{"i":1}`]],
        [`${a}.connection.update`, [`${a}.connection.update|{"i":2}`]],
      ]);
      await eventually(() => queues.every((q) => got.get(q)!.length >= expected.get(q)!.length));
      for (const q of queues) {
        assert.deepEqual(got.get(q), expected.get(q), q);
        const ok = await cch.checkQueue(q);
        assert.equal(ok.messageCount, 0, `${q} has nothing left`);
        assert.equal(ok.consumerCount, 1);
      }
      for (const q of queues) await cch.deleteQueue(q);
      await cch.deleteExchange(exchange);
    });

    test('redeclaring exchange, queue and binding before every publish is idempotent', async (t) => {
      const exchange = uniqueName('evolution_exchange');
      const inst = uid('inst');
      const q = `${inst}.messages.upsert`;
      const c = await Client.open(t, broker.url);
      const ch = await c.channel();
      for (let i = 0; i < 5; i++) {
        // what Evolution API's sendData does for every event
        const ex = await ch.assertExchange(exchange, 'topic', { durable: true, autoDelete: false });
        assert.equal(ex.exchange, exchange);
        const ok = await ch.assertQueue(q, { durable: true, autoDelete: false, arguments: queueArgs });
        assert.equal(ok.queue, q);
        assert.equal(ok.messageCount, i, 'previous events are still there');
        assert.equal(ok.consumerCount, 0);
        await ch.bindQueue(q, exchange, q);
        assert.equal(ch.publish(exchange, q, buf(`event ${i}`), { persistent: true }), true);
      }
      await eventually(async () => (await ch.checkQueue(q)).messageCount === 5);
      // one binding despite five bind calls: each event was delivered once
      const bodies: string[] = [];
      for (;;) {
        const m = await ch.get(q);
        if (m === false) break;
        bodies.push(m.content.toString());
        ch.ack(m);
      }
      assert.deepEqual(bodies, ['event 0', 'event 1', 'event 2', 'event 3', 'event 4']);
      await ch.deleteQueue(q);
      await ch.deleteExchange(exchange);
    });
  });

  describe('pika tutorials: work queues', () => {
    test('two consumers share a queue round-robin', async (t) => {
      const q = uniqueName('tasks');
      const c = await Client.open(t, broker.url);
      const setup = await c.channel();
      await setup.assertQueue(q, { durable: true });
      const w1 = await collect(await c.channel(), q, { noAck: true });
      const w2 = await collect(await c.channel(), q, { noAck: true });
      for (let i = 0; i < 6; i++) setup.sendToQueue(q, buf(`task ${i}`));
      await eventually(() => w1.messages.length + w2.messages.length === 6);
      assert.deepEqual(w1.bodies(), ['task 0', 'task 2', 'task 4']);
      assert.deepEqual(w2.bodies(), ['task 1', 'task 3', 'task 5']);
      await setup.deleteQueue(q);
    });

    test('prefetch 1: a busy worker holding an unacked task gets no more until it acks', async (t) => {
      const q = uniqueName('tasks');
      const c = await Client.open(t, broker.url);
      const setup = await c.channel();
      await setup.assertQueue(q, { durable: true });
      const slowCh = await c.channel();
      await slowCh.prefetch(1);
      const slow = await collect(slowCh, q); // never acks on its own
      const fastCh = await c.channel();
      await fastCh.prefetch(1);
      const fast = await collect(fastCh, q, { ack: true });

      for (let i = 0; i < 5; i++) setup.sendToQueue(q, buf(`task ${i}`), { persistent: true });
      await eventually(() => slow.messages.length + fast.messages.length === 5);
      assert.deepEqual(slow.bodies(), ['task 0']);
      assert.deepEqual(fast.bodies(), ['task 1', 'task 2', 'task 3', 'task 4']);
      assert.equal((await setup.checkQueue(q)).messageCount, 0);

      setup.sendToQueue(q, buf('task 5'));
      await eventually(() => fast.messages.length === 5);
      assert.equal(slow.messages.length, 1);

      slowCh.ack(slow.messages[0]!);
      setup.sendToQueue(q, buf('task 6'));
      setup.sendToQueue(q, buf('task 7'));
      await eventually(() => slow.messages.length + fast.messages.length === 8);
      assert.equal(slow.messages.length, 2, 'the slow worker takes work again once it acked');
      await setup.deleteQueue(q);
    });

    test('persistent messages on a durable queue keep delivery mode 2', async (t) => {
      const q = uniqueName('task_queue');
      const c = await Client.open(t, broker.url);
      const ch = await c.channel();
      const ok = await ch.assertQueue(q, { durable: true });
      assert.deepEqual(ok, { queue: q, messageCount: 0, consumerCount: 0 });
      ch.sendToQueue(q, buf('persistent'), { persistent: true });
      ch.sendToQueue(q, buf('transient'));
      await eventually(async () => (await ch.checkQueue(q)).messageCount === 2);
      const m1 = await ch.get(q, { noAck: true });
      const m2 = await ch.get(q, { noAck: true });
      assert.ok(m1 && m2);
      assert.equal(m1.content.toString(), 'persistent');
      assert.equal(m1.properties.deliveryMode, 2);
      assert.equal(m2.content.toString(), 'transient');
      assert.equal(m2.properties.deliveryMode, undefined);
      await ch.deleteQueue(q);
    });
  });

  describe('pika tutorials / FastAPI guide: publish/subscribe', () => {
    test('fanout to exclusive server-named queues, one per subscriber', async (t) => {
      const exchange = uniqueName('notifications');
      const publisher = await Client.open(t, broker.url);
      const pch = await publisher.channel();
      await pch.assertExchange(exchange, 'fanout');

      const subs: Array<{ sub: Client; queue: string; got: Collector }> = [];
      for (let i = 0; i < 2; i++) {
        const sub = await Client.open(t, broker.url);
        const ch = await sub.channel();
        await ch.assertExchange(exchange, 'fanout');
        const ok = await ch.assertQueue('', { exclusive: true });
        assert.match(ok.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
        assert.equal(ok.messageCount, 0);
        assert.equal(ok.consumerCount, 0);
        await ch.bindQueue(ok.queue, exchange, '');
        subs.push({ sub, queue: ok.queue, got: await collect(ch, ok.queue, { noAck: true }) });
      }
      assert.notEqual(subs[0]!.queue, subs[1]!.queue);

      pch.publish(exchange, '', buf('order.created 1'));
      pch.publish(exchange, 'ignored-by-fanout', buf('order.created 2'));
      await eventually(() => subs.every((s) => s.got.messages.length === 2));
      for (const s of subs) assert.deepEqual(s.got.bodies(), ['order.created 1', 'order.created 2']);

      // a subscriber going away takes its queue with it
      await subs[0]!.sub.close();
      await eventually(async () => {
        const ch = await publisher.channel();
        const err = await ch.checkQueue(subs[0]!.queue).then(
          () => null,
          (e: Error) => e,
        );
        return err !== null && /404/.test(err.message);
      });
      await pch.deleteExchange(exchange);
    });

    test('a rejected task is dead-lettered to the dlx with an x-death header', async (t) => {
      const dlx = uniqueName('dlx');
      const q = uniqueName('task_queue');
      const dead = uniqueName('dead');
      const c = await Client.open(t, broker.url);
      const ch = await c.channel();
      await ch.assertExchange(dlx, 'fanout');
      await ch.assertQueue(dead);
      await ch.bindQueue(dead, dlx, '');
      await ch.assertQueue(q, { durable: true, arguments: { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 60000 } });
      ch.sendToQueue(q, buf('bad image'), { persistent: true, messageId: 'img-1' });
      const m = await eventually(() => ch.get(q));
      assert.ok(m);
      ch.nack(m, false, false);
      const d = await eventually(() => ch.get(dead, { noAck: true }));
      assert.ok(d);
      assert.equal(d.content.toString(), 'bad image');
      assert.equal(d.properties.messageId, 'img-1');
      assert.equal(d.fields.exchange, dlx);
      assert.equal(d.fields.routingKey, q);
      const xDeath = d.properties.headers?.['x-death'];
      assert.ok(xDeath);
      assert.equal(xDeath.length, 1);
      assert.equal(xDeath[0]!.reason, 'rejected');
      assert.equal(xDeath[0]!.queue, q);
      assert.equal(xDeath[0]!.exchange, '');
      assert.equal(xDeath[0]!.count, 1);
      assert.deepEqual(xDeath[0]!['routing-keys'], [q]);
      assert.equal(d.properties.headers?.['x-first-death-reason'], 'rejected');
      assert.equal(d.properties.headers?.['x-first-death-queue'], q);
      assert.equal(d.properties.headers?.['x-first-death-exchange'], '');
      await ch.deleteQueue(q);
      await ch.deleteQueue(dead);
      await ch.deleteExchange(dlx);
    });
  });

  describe('KrakenD AMQP backend', () => {
    test('consumer: topic exchange, binding #, durable, prefetch 10, manual ack', async (t) => {
      const exchange = uniqueName('some-exchange');
      const q = uniqueName('queue-1');
      const c = await Client.open(t, broker.url);
      const ch = await c.channel();
      await ch.assertExchange(exchange, 'topic', { durable: true, autoDelete: false });
      await ch.assertQueue(q, { durable: true, autoDelete: false, exclusive: false });
      await ch.bindQueue(q, exchange, '#');
      await ch.prefetch(10);
      const got = await collect(ch, q, { noAck: false, noLocal: true });

      const producer = await Client.open(t, broker.url);
      const pch = await producer.channel();
      for (let i = 0; i < 15; i++) pch.publish(exchange, i % 2 ? 'a.b.c' : 'x', buf(`m${i}`));
      await eventually(async () => got.messages.length === 10 && (await pch.checkQueue(q)).messageCount === 5);
      assert.deepEqual(
        got.bodies(),
        Array.from({ length: 10 }, (_, i) => `m${i}`),
      );
      ch.ack(got.messages[9]!, true);
      await eventually(() => got.messages.length === 15);
      assert.deepEqual(got.bodies().slice(10), ['m10', 'm11', 'm12', 'm13', 'm14']);
      for (const m of got.messages.slice(10)) ch.ack(m);
      await eventually(async () => (await pch.checkQueue(q)).messageCount === 0);
      await pch.deleteQueue(q);
      await pch.deleteExchange(exchange);
    });

    test('consumer: no-local (RabbitMQ ignores it; Warren honours it as the spec says)', async (t) => {
      const exchange = uniqueName('some-exchange');
      const q = uniqueName('queue-1');
      const c = await Client.open(t, broker.url);
      const ch = await c.channel();
      await ch.assertExchange(exchange, 'topic', { durable: true });
      await ch.assertQueue(q, { durable: true });
      await ch.bindQueue(q, exchange, '#');
      const got = await collect(ch, q, { noLocal: true, ack: true });
      ch.publish(exchange, 'own', buf('same connection'));
      (await c.channel()).publish(exchange, 'own', buf('same connection, other channel'));
      if (broker.external) {
        await eventually(() => got.messages.length === 2);
        assert.deepEqual(got.bodies().sort(), ['same connection', 'same connection, other channel']);
      } else {
        // amqp0-9-1.xml basic.consume no-local: nothing published on this connection is delivered to it,
        // while another connection's publish is
        const other = await Client.open(t, broker.url);
        (await other.channel()).publish(exchange, 'other', buf('other connection'));
        await eventually(() => got.messages.length === 1);
        assert.deepEqual(got.bodies(), ['other connection']);
        assert.equal((await ch.checkQueue(q)).messageCount, 2);
      }
      await ch.deleteQueue(q);
      await ch.deleteExchange(exchange);
    });

    test('producer: mandatory unroutable message comes back as basic.return 312 NO_ROUTE', async (t) => {
      const exchange = uniqueName('some-exchange');
      const c = await Client.open(t, broker.url);
      const ch = await c.channel();
      await ch.assertExchange(exchange, 'topic', { durable: true });
      const returned = new Promise<Message>((resolve) => ch.once('return', resolve));
      ch.publish(exchange, 'nobody.listens', buf('{"a":1}'), {
        mandatory: true,
        messageId: 'id-42',
        contentType: 'application/json',
      });
      const r = await within(returned);
      const fields = r.fields as ReturnFields;
      assert.equal(fields.replyCode, 312);
      assert.equal(fields.replyText, 'NO_ROUTE');
      assert.equal(r.fields.exchange, exchange);
      assert.equal(r.fields.routingKey, 'nobody.listens');
      assert.equal(r.content.toString(), '{"a":1}');
      assert.equal(r.properties.messageId, 'id-42');
      assert.equal(r.properties.contentType, 'application/json');
      await ch.deleteExchange(exchange);
    });

    test('producer: expiration, reply-to, message-id and priority arrive intact', async (t) => {
      const exchange = uniqueName('some-exchange');
      const q = uniqueName('queue-1');
      const c = await Client.open(t, broker.url);
      const ch = await c.channel();
      await ch.assertExchange(exchange, 'topic', { durable: true });
      await ch.assertQueue(q, { durable: true });
      await ch.bindQueue(q, exchange, 'route.#');
      const got = await collect(ch, q, { ack: true });
      const returns: unknown[] = [];
      ch.on('return', (m) => returns.push(m));
      ch.publish(exchange, 'route.1', buf('body'), {
        mandatory: true,
        expiration: '60000',
        replyTo: 'reply-queue',
        messageId: 'msg-1',
        priority: 7,
        headers: { 'X-Custom': 'v', n: 5 },
        correlationId: 'corr',
        timestamp: 1700000000,
        type: 't',
        appId: 'krakend',
        contentEncoding: 'utf-8',
      });
      await eventually(() => got.messages.length === 1);
      const m = got.messages[0]!;
      assert.equal(returns.length, 0);
      assert.equal(m.fields.exchange, exchange);
      assert.equal(m.fields.routingKey, 'route.1');
      assert.equal(m.fields.redelivered, false);
      assert.equal(m.properties.expiration, '60000');
      assert.equal(m.properties.replyTo, 'reply-queue');
      assert.equal(m.properties.messageId, 'msg-1');
      assert.equal(m.properties.priority, 7);
      assert.equal(m.properties.correlationId, 'corr');
      assert.equal(m.properties.timestamp, 1700000000);
      assert.equal(m.properties.type, 't');
      assert.equal(m.properties.appId, 'krakend');
      assert.equal(m.properties.contentEncoding, 'utf-8');
      assert.deepEqual(m.properties.headers, { 'X-Custom': 'v', n: 5 });
      await ch.deleteQueue(q);
      await ch.deleteExchange(exchange);
    });
  });
});
