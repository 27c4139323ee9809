// amqplib: queue features as a RabbitMQ user relies on them — message TTL (queue argument, per-message
// expiration, "0", bad values), dead-lettering with x-death checked field by field, cycles, length limits
// with each overflow mode (publisher nacks), x-expires, priority queues, single active consumer, delivery
// limits with x-delivery-count, policies combined with arguments. Run with WARREN_TEST_AMQP_URL pointing at
// RabbitMQ to check the assertions against it (the Warren-only parts are skipped there).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel, ConsumeMessage, GetMessage } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { buf, channelCloseMessage, Client, closedWith, collect, drain } from './util.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Death = Record<string, unknown>;

async function getOne(ch: Channel, q: string, noAck = true, timeoutMs = 3000): Promise<GetMessage> {
  const m = await eventually(async () => await ch.get(q, { noAck }), timeoutMs);
  return m as GetMessage;
}

function deaths(m: GetMessage | ConsumeMessage): Death[] {
  const xd = m.properties.headers?.['x-death'] as Death[] | undefined;
  assert.ok(Array.isArray(xd), `x-death header expected, got ${JSON.stringify(m.properties.headers)}`);
  return xd;
}

describe('amqplib: queue features', () => {
  const broker = useTestBroker();

  /** A fanout DLX with one bound dead-letter queue. */
  async function dlxPair(ch: Channel): Promise<{ dlx: string; dlq: string }> {
    const dlx = uniqueName('dlx');
    const dlq = uniqueName('dlq');
    await ch.assertExchange(dlx, 'fanout', { autoDelete: false, durable: false });
    await ch.assertQueue(dlq, { exclusive: true });
    await ch.bindQueue(dlq, dlx, '');
    return { dlx, dlq };
  }

  test('a bad expiration is 406 PRECONDITION_FAILED with RabbitMQ text', async (t) => {
    const c = await Client.open(t, broker.url);
    const cases: [string, string][] = [
      ['abc', "invalid expiration 'abc': no_integer"],
      ['-1', "invalid expiration '-1': {value_negative,-1}"],
      ['1.5', 'invalid expiration \'1.5\': {leftover_string,".5"}'],
    ];
    for (const [exp, text] of cases) {
      const ch = await c.channel();
      ch.sendToQueue(uniqueName('nowhere'), buf('x'), { expiration: exp });
      const err = await closedWith(ch);
      assert.equal(err.code, 406);
      assert.equal(err.message, channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - ${text}`));
    }
  });

  test('dead-lettering on nack(requeue=false): x-death field by field, first-death headers, expiration removed', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const { dlx, dlq } = await dlxPair(ch);
    const q = uniqueName('work');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
    ch.sendToQueue(q, buf('task'), {
      messageId: 'm1',
      expiration: '60000',
      headers: { app: 'a', CC: [q + '.cc'] },
    });
    const m = await getOne(ch, q, false);
    const before = Math.floor(Date.now() / 1000);
    ch.nack(m, false, false);
    const d = await getOne(ch, dlq);
    assert.equal(d.content.toString(), 'task');
    assert.equal(d.fields.exchange, dlx);
    assert.equal(d.fields.routingKey, q);
    assert.equal(d.properties.messageId, 'm1');
    assert.equal(d.properties.expiration, undefined);
    const h = d.properties.headers!;
    assert.equal(h['app'], 'a');
    assert.equal(h['x-first-death-queue'], q);
    assert.equal(h['x-first-death-reason'], 'rejected');
    assert.equal(h['x-first-death-exchange'], '');
    const xd = deaths(d);
    assert.equal(xd.length, 1);
    const e = xd[0]!;
    assert.equal(e['count'], 1);
    assert.equal(e['reason'], 'rejected');
    assert.equal(e['queue'], q);
    assert.equal(e['exchange'], '');
    assert.equal(e['original-expiration'], '60000');
    // routing-keys: the routing key, then the CC keys
    assert.deepEqual(e['routing-keys'], [q, q + '.cc']);
    // amqplib decodes a timestamp field as {'!': 'timestamp', value} (seconds)
    const time = e['time'] as { '!': string; value: number };
    assert.equal(time['!'], 'timestamp');
    assert.ok(Math.abs(time.value - before) <= 2, `time ${time.value} (seconds) near ${before}`);
    // the first entry's keys in RabbitMQ's order
    assert.deepEqual(Object.keys(e), [
      'count',
      'reason',
      'queue',
      'time',
      'exchange',
      'routing-keys',
      'original-expiration',
    ]);
  });

  test('CC and BCC headers route to more keys; BCC is stripped; a CC that is not an array is 406', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const [a, b, d] = [uniqueName('cc-a'), uniqueName('cc-b'), uniqueName('cc-c')];
    for (const q of [a, b, d]) await ch.assertQueue(q, { exclusive: true });
    ch.sendToQueue(a, buf('hello'), { headers: { CC: [b], BCC: [d], other: 1 } });
    for (const q of [a, b, d]) {
      const m = await getOne(ch, q);
      assert.equal(m.content.toString(), 'hello');
      assert.equal(m.fields.routingKey, a);
      assert.deepEqual(m.properties.headers, { CC: [b], other: 1 });
    }
    const bad = await c.channel();
    bad.sendToQueue(a, buf('x'), { headers: { CC: 'not-an-array' } });
    const err = await closedWith(bad);
    assert.equal(
      err.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        'PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"CC",longstr}',
      ),
    );
  });

  test('x-max-length drop-head dead-letters the oldest with reason maxlen; bytes limit too', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const { dlx, dlq } = await dlxPair(ch);
    const q = uniqueName('maxlen');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 2, 'x-dead-letter-exchange': dlx } });
    for (const b of ['a', 'b', 'c', 'd']) ch.sendToQueue(q, buf(b));
    await eventually(async () => (await ch.checkQueue(dlq)).messageCount === 2);
    assert.deepEqual(await drain(ch, q), ['c', 'd']);
    const first = (await ch.get(dlq, { noAck: true })) as GetMessage;
    assert.equal(first.content.toString(), 'a');
    assert.equal(deaths(first)[0]!['reason'], 'maxlen');
    const qb = uniqueName('maxbytes');
    await ch.assertQueue(qb, { exclusive: true, arguments: { 'x-max-length-bytes': 10 } });
    for (const b of ['12345', '67890', 'abcde']) ch.sendToQueue(qb, buf(b));
    await sleep(50);
    assert.deepEqual(await drain(ch, qb), ['67890', 'abcde']);
  });

  test('x-overflow reject-publish: the publisher gets basic.nack; reject-publish-dlx also dead-letters', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const { dlx, dlq } = await dlxPair(ch);
    const q = uniqueName('reject');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    const outcome = (body: string, queue: string): Promise<'ack' | 'nack'> =>
      new Promise((resolve) => ch.sendToQueue(queue, buf(body), {}, (err) => resolve(err ? 'nack' : 'ack')));
    assert.deepEqual(await Promise.all([outcome('1', q), outcome('2', q), outcome('3', q)]), ['ack', 'nack', 'nack']);
    assert.deepEqual(await drain(ch, q), ['1']);
    assert.equal(await outcome('4', q), 'ack');
    const qd = uniqueName('reject-dlx');
    await ch.assertQueue(qd, {
      exclusive: true,
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx', 'x-dead-letter-exchange': dlx },
    });
    assert.deepEqual(await Promise.all([outcome('a', qd), outcome('b', qd)]), ['ack', 'nack']);
    const d = await getOne(ch, dlq);
    assert.equal(d.content.toString(), 'b');
    assert.equal(deaths(d)[0]!['reason'], 'maxlen');
  });

  test('x-max-priority: higher priority first, FIFO within a priority, above max counts as max', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('prio');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': 5 } });
    const sends: [string, number | undefined][] = [
      ['none-1', undefined],
      ['p1', 1],
      ['p9', 9],
      ['p5', 5],
      ['none-2', undefined],
      ['p3', 3],
    ];
    for (const [b, p] of sends) ch.sendToQueue(q, buf(b), p === undefined ? {} : { priority: p });
    await sleep(50);
    assert.deepEqual(await drain(ch, q), ['p9', 'p5', 'p3', 'p1', 'none-1', 'none-2']);
  });

  test('x-single-active-consumer: only the first consumer gets messages; the next takes over', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('sac');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-single-active-consumer': true } });
    const a = await collect(ch, q, { noAck: true });
    const b = await collect(ch, q, { noAck: true });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, buf(`m${i}`));
    await eventually(() => a.messages.length === 4);
    assert.equal(b.messages.length, 0);
    await ch.cancel(a.tag);
    ch.sendToQueue(q, buf('after'));
    await eventually(() => b.messages.length === 1);
    assert.equal(b.bodies()[0], 'after');
  });

  test('quorum x-delivery-limit: x-delivery-count on redeliveries, dead-lettered with delivery_limit', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const { dlx, dlq } = await dlxPair(ch);
    const q = uniqueName('qq');
    await ch.assertQueue(q, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 1, 'x-dead-letter-exchange': dlx },
    });
    ch.sendToQueue(q, buf('poison'));
    const r1 = (await eventually(async () => await ch.get(q), 3000)) as GetMessage;
    assert.equal(r1.properties.headers?.['x-delivery-count'], 0);
    ch.nack(r1, false, true);
    const r2 = (await eventually(async () => await ch.get(q), 3000)) as GetMessage;
    assert.equal(r2.fields.redelivered, true);
    assert.equal(r2.properties.headers?.['x-delivery-count'], 1);
    ch.nack(r2, false, true);
    const d = await getOne(ch, dlq);
    assert.equal(d.content.toString(), 'poison');
    assert.equal(deaths(d)[0]!['reason'], 'delivery_limit');
    await ch.deleteQueue(q);
  });

  test('policies: message-ttl and max-length combine with arguments as RabbitMQ does (the smaller wins)', async (t) => {
    if (broker.external) return t.skip('sets policies through the embedded broker');
    const running: RunningBroker = await startBroker({
      amqpPort: 0,
      bind: '127.0.0.1',
      storage: 'memory',
      logLevel: 'warn',
    });
    t.after(() => running.close());
    const vhost = running.broker.vhosts.get('/')!;
    const c = await Client.open(t, `amqp://guest:guest@127.0.0.1:${running.amqpPort}/`);
    const ch = await c.channel();
    const { dlx, dlq } = await dlxPair(ch);
    vhost.setPolicy({
      name: 'limits',
      pattern: '^pol\\.',
      applyTo: 'queues',
      definition: { 'max-length': 3, 'dead-letter-exchange': dlx, 'message-ttl': 60000 },
    });
    const q = uniqueName('pol');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 5 } });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, buf(`m${i}`));
    await eventually(async () => (await ch.checkQueue(dlq)).messageCount === 2);
    assert.equal((await ch.checkQueue(q)).messageCount, 3);
    // an operator policy caps message-ttl below the policy's
    vhost.setPolicy({ name: 'cap', pattern: '.*', applyTo: 'queues', definition: { 'message-ttl': 50 } }, true);
    await ch.purgeQueue(q); // (expiry happens at the head: the earlier, longer-lived ones would shield it)
    ch.sendToQueue(q, buf('capped'));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 0, 2000);
    // clearing the policy takes the limit away again (re-applied on change)
    vhost.clearPolicy('cap', true);
    vhost.clearPolicy('limits');
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, buf(`n${i}`));
    await sleep(50);
    assert.equal((await ch.checkQueue(q)).messageCount, 5);
    // a policy set later applies to the existing queue at once: max-length 2 drops the three oldest
    vhost.setPolicy({ name: 'later', pattern: '^pol\\.', applyTo: 'queues', definition: { 'max-length': 2 } });
    assert.deepEqual(await drain(ch, q), ['n3', 'n4']);
    vhost.clearPolicy('later');
    // alternate-exchange from a policy (an exchange's own argument would win)
    const x = uniqueName('pol-x');
    const ae = uniqueName('pol-ae');
    const aeq = uniqueName('pol-aeq');
    await ch.assertExchange(x, 'direct', { durable: false });
    await ch.assertExchange(ae, 'fanout', { durable: false });
    await ch.assertQueue(aeq, { exclusive: true });
    await ch.bindQueue(aeq, ae, '');
    vhost.setPolicy({
      name: 'ae',
      pattern: '^pol-x\\.',
      applyTo: 'exchanges',
      definition: { 'alternate-exchange': ae },
    });
    ch.publish(x, 'nobody', buf('unroutable'));
    const got = (await eventually(async () => await ch.get(aeq, { noAck: true }))) as GetMessage;
    assert.equal(got.content.toString(), 'unroutable');
  });
});

// TTL, dead-lettering of expired messages and x-expires on the virtual clock (broker.advance: at once on
// Warren, by waiting on an external broker), with a round trip first so that the broker holds what was sent.
describe('amqplib: queue features on the virtual clock', () => {
  const broker = useTestBroker({ clock: 'virtual' });

  /** A fanout DLX with one bound dead-letter queue. */
  async function dlxPair(ch: Channel): Promise<{ dlx: string; dlq: string }> {
    const dlx = uniqueName('dlx');
    const dlq = uniqueName('dlq');
    await ch.assertExchange(dlx, 'fanout', { autoDelete: false, durable: false });
    await ch.assertQueue(dlq, { exclusive: true });
    await ch.bindQueue(dlq, dlx, '');
    return { dlx, dlq };
  }

  test('x-message-ttl: expired messages are dropped at the head, promptly, without a consumer', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('ttl');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-message-ttl': 100 } });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, buf(`m${i}`));
    const held = (await ch.checkQueue(q)).messageCount;
    // (RabbitMQ's count may lag the publishes; on the virtual clock nothing has expired yet)
    if (!broker.external) assert.equal(held, 5);
    await broker.advance(100);
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 0, 2000);
    assert.equal(await ch.get(q), false);
  });

  test('per-message expiration: the smaller of queue and message TTL; "0" expires unless delivered at once', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('exp');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-message-ttl': 60000 } });
    ch.sendToQueue(q, buf('short'), { expiration: '50' });
    ch.sendToQueue(q, buf('zero'), { expiration: '0' });
    ch.sendToQueue(q, buf('long'), { expiration: '60000' });
    await ch.checkQueue(q);
    await broker.advance(200);
    assert.deepEqual(await drain(ch, q), ['long']);
    // with a consumer ready, expiration "0" is delivered
    const got = await collect(ch, q, { noAck: true });
    ch.sendToQueue(q, buf('zero-now'), { expiration: '0' });
    await eventually(() => got.messages.length === 1);
    assert.equal(got.bodies()[0], 'zero-now');
    assert.equal(got.messages[0]!.properties.expiration, '0');
  });

  test('x-death: one entry per queue and reason, count incremented, most recent first', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const { dlx, dlq } = await dlxPair(ch);
    const ttlQ = uniqueName('ttlq');
    const rejQ = uniqueName('rejq');
    await ch.assertQueue(ttlQ, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 20 } });
    await ch.assertQueue(rejQ, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
    ch.sendToQueue(ttlQ, buf('x'));
    await ch.checkQueue(ttlQ);
    await broker.advance(20);
    let d = await getOne(ch, dlq);
    assert.equal(deaths(d)[0]!['reason'], 'expired');
    assert.equal(deaths(d)[0]!['original-expiration'], undefined);
    // republish the dead-lettered message (headers and all) into the reject queue, then into the TTL queue
    ch.sendToQueue(rejQ, d.content, { headers: d.properties.headers });
    const r = await getOne(ch, rejQ, false);
    ch.reject(r, false);
    d = await getOne(ch, dlq);
    assert.deepEqual(
      deaths(d).map((x) => [x['queue'], x['reason'], x['count']]),
      [
        [rejQ, 'rejected', 1],
        [ttlQ, 'expired', 1],
      ],
    );
    ch.sendToQueue(ttlQ, d.content, { headers: d.properties.headers });
    await ch.checkQueue(ttlQ);
    await broker.advance(20);
    d = await getOne(ch, dlq);
    const xd = deaths(d);
    assert.deepEqual(
      xd.map((x) => [x['queue'], x['reason'], x['count']]),
      [
        [ttlQ, 'expired', 2],
        [rejQ, 'rejected', 1],
      ],
    );
    // an updated entry is written with its keys sorted (rabbit_misc:sort_field_table)
    assert.deepEqual(Object.keys(xd[0]!), ['count', 'exchange', 'queue', 'reason', 'routing-keys', 'time']);
    assert.equal(d.properties.headers!['x-first-death-queue'], ttlQ);
    assert.equal(d.properties.headers!['x-first-death-reason'], 'expired');
  });

  test('dead-letter routing key; a missing DLX drops; an automatic cycle is dropped', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const dlx = uniqueName('dlx-direct');
    const dlq = uniqueName('dlq');
    await ch.assertExchange(dlx, 'direct', { durable: false });
    await ch.assertQueue(dlq, { exclusive: true });
    await ch.bindQueue(dlq, dlx, 'dead');
    const q = uniqueName('q');
    await ch.assertQueue(q, {
      exclusive: true,
      arguments: { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dead', 'x-message-ttl': 10 },
    });
    ch.sendToQueue(q, buf('rk'));
    await ch.checkQueue(q);
    await broker.advance(10);
    const d = await getOne(ch, dlq);
    assert.equal(d.fields.routingKey, 'dead');
    assert.deepEqual(deaths(d)[0]!['routing-keys'], [q]);
    // missing DLX: the message is dropped (nothing else happens)
    const lost = uniqueName('lost');
    await ch.assertQueue(lost, {
      exclusive: true,
      arguments: { 'x-dead-letter-exchange': uniqueName('missing'), 'x-message-ttl': 10 },
    });
    ch.sendToQueue(lost, buf('gone'));
    await ch.checkQueue(lost);
    await broker.advance(10);
    await eventually(async () => (await ch.checkQueue(lost)).messageCount === 0);
    // a queue dead-lettering expired messages to itself through the default exchange: dropped, not looped
    const self = uniqueName('self');
    await ch.assertQueue(self, {
      exclusive: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-message-ttl': 10 },
    });
    ch.sendToQueue(self, buf('loop'));
    await ch.checkQueue(self);
    await broker.advance(150);
    assert.equal((await ch.checkQueue(self)).messageCount, 0);
  });

  test('x-expires deletes an unused queue; a consumer keeps it alive', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('expires');
    await ch.assertQueue(q, { arguments: { 'x-expires': 150 } });
    const kept = uniqueName('expires-kept');
    await ch.assertQueue(kept, { arguments: { 'x-expires': 150 } });
    const cons = await collect(ch, kept);
    await broker.advance(400);
    const probe = await c.channel();
    await assert.rejects(probe.checkQueue(q));
    assert.equal((await closedWith(probe)).code, 404);
    assert.equal((await ch.checkQueue(kept)).consumerCount, 1);
    await ch.cancel(cons.tag);
    // (a passive declare counts as use, as in RabbitMQ: do not poll)
    await broker.advance(400);
    const probe2 = await c.channel();
    await assert.rejects(probe2.checkQueue(kept));
    assert.equal((await closedWith(probe2)).code, 404);
  });
});
