// amqplib: the controls startBroker() gives users' tests (README "Embedding Warren in tests"): the virtual
// clock (broker.clock.advance), faults on purpose (broker.faults) and inspection (broker.queue().messages()),
// each checked as a client observes it.
import assert from 'node:assert/strict';
import { once, type EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { eventually, sleep, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { buf, Client, closedWith, collect } from './util.js';

/** The connection's 'close' (events.once would reject on 'error'), with the error amqplib closes with. */
function closeOf(conn: EventEmitter): Promise<(Error & { code?: number }) | undefined> {
  conn.on('error', () => {});
  return new Promise((resolve) => conn.once('close', (e?: Error) => resolve(e)));
}

describe('amqplib: controls for tests (virtual clock)', () => {
  const broker = useTestBroker({ clock: 'virtual' });

  test('the README example: a consumer retry ladder (x-requeue-delay, then a DLX) in virtual minutes', async (t) => {
    if (broker.external) return t.skip('Warren controls');
    const b = broker.running!;
    // heartbeat=0: minutes pass at once, and a connection silent for two heartbeat intervals is closed
    const c = await Client.open(t, `${broker.url}?heartbeat=0`);
    const ch = await c.channel();
    const dlq = uniqueName('failed');
    const q = uniqueName('jobs');
    await ch.assertQueue(dlq, { exclusive: true });
    // retry after 1 min, 2 min, 4 min; the fourth failure goes to the dead-letter queue
    await ch.assertQueue(q, {
      exclusive: true,
      arguments: {
        'x-requeue-delay': { base: 60000, factor: 2, max: 600000 },
        'x-delivery-limit': 3,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': dlq,
      },
    });
    let attempts = 0;
    await ch.consume(q, (m) => {
      if (m === null) return;
      attempts++;
      ch.nack(m, false, true); // the handler always fails
    });
    ch.sendToQueue(q, buf('job'));
    // README's loop as it stands: wait for the n-th attempt and its nack, then advance to the retry (waiting
    // only for `attempts > 0` raced: a nack arriving after advance() schedules its retry past it)
    for (const [n, wait] of [
      [1, '1m'],
      [2, '2m'],
      [3, '4m'],
    ] as const) {
      await eventually(() => attempts === n);
      await ch.checkQueue(q); // its nack has reached the broker
      if (n === 3) assert.equal(b.queue(dlq).length, 0);
      b.clock!.advance(wait);
    }
    await eventually(() => attempts === 4);
    await eventually(() => b.queue(dlq).length === 1);
    const [dead] = b.queue(dlq).messages();
    assert.equal(dead!.content.toString(), 'job');
    const death = (dead!.headers['x-death'] as Record<string, unknown>[])[0]!;
    assert.equal(death['reason'], 'delivery_limit');
  });

  test('x-expires on the virtual clock: broker.queue(name).exists turns false, asked afresh or on a held view', async (t) => {
    if (broker.external) return t.skip('Warren controls');
    const b = broker.running!;
    const c = await Client.open(t, `${broker.url}?heartbeat=0`);
    const ch = await c.channel();
    const q = uniqueName('expiring');
    await ch.assertQueue(q, { arguments: { 'x-expires': 600000 } });
    const held = b.queue(q);
    b.clock!.advance('9m');
    assert.equal(b.queue(q).exists, true);
    b.clock!.advance('1m');
    await eventually(() => !b.queue(q).exists);
    assert.equal(held.exists, false);
  });

  test('advance past two heartbeat intervals: the broker closes the silent connection', async (t) => {
    if (broker.external) return t.skip('Warren controls');
    const c = await Client.open(t, `${broker.url}?heartbeat=5`);
    const closed = closeOf(c.conn);
    await c.channel();
    broker.running!.clock!.advance('9s'); // within 2 x 5 s: still open
    await sleep(50);
    assert.equal(broker.running!.broker.connections.size, 1);
    broker.running!.clock!.advance('2s');
    await closed;
    await eventually(() => broker.running!.broker.connections.size === 0);
  });

  test('faults.delay holds back deliveries from one queue', async (t) => {
    if (broker.external) return t.skip('Warren controls');
    const b = broker.running!;
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('slow');
    await ch.assertQueue(q, { exclusive: true });
    b.faults.delay(q, 500);
    const got = await collect(ch, q, { noAck: true });
    ch.sendToQueue(q, buf('late'));
    await ch.checkQueue(q);
    b.clock!.advance(499);
    await ch.checkQueue(q);
    assert.equal(got.messages.length, 0);
    b.clock!.advance(1);
    await eventually(() => got.messages.length === 1);
    b.faults.delay(q, 0);
    ch.sendToQueue(q, buf('prompt'));
    await eventually(() => got.messages.length === 2);
    assert.throws(() => b.faults.delay(uniqueName('none'), 10), /no queue/);
  });
});

describe('amqplib: controls for tests (faults and inspection)', () => {
  const broker = useTestBroker();

  test('queue().messages() shows the ready messages in order without consuming them', async (t) => {
    if (broker.external) return t.skip('Warren controls');
    const b = broker.running!;
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('peek');
    await ch.assertQueue(q, { exclusive: true });
    ch.sendToQueue(q, buf('one'), { headers: { n: 1 }, messageId: 'm1', contentType: 'text/plain' });
    ch.sendToQueue(q, buf('two'), { headers: { n: 2 } });
    ch.sendToQueue(q, buf('three'));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 3);
    const first = await ch.get(q);
    assert.ok(first);
    ch.nack(first, false, true); // back at the head, redelivered
    await eventually(() => b.queue(q).length === 3);
    const view = b.queue(q);
    const ms = view.messages();
    assert.deepEqual(
      ms.map((m) => [m.content.toString(), m.redelivered, m.headers['n']]),
      [
        ['one', true, 1],
        ['two', false, 2],
        ['three', false, undefined],
      ],
    );
    assert.equal(ms[0]!.properties.messageId, 'm1');
    assert.equal(ms[0]!.properties.contentType, 'text/plain');
    assert.equal(ms[0]!.routingKey, q);
    assert.deepEqual(
      view.messages(1).map((m) => m.content.toString()),
      ['one'],
    );
    assert.equal(view.consumers, 0);
    // nothing was consumed
    assert.equal((await ch.checkQueue(q)).messageCount, 3);
    await collect(ch, q);
    assert.equal(view.consumers, 1);
    // a queue that is not there: exists is false, the rest throw
    const none = b.queue(uniqueName('none'));
    assert.equal(none.exists, false);
    assert.throws(() => none.length, /no queue/);
    assert.throws(() => none.messages(), /no queue/);
  });

  test('faults.dropConnection: as management DELETE (320 with the reason), or abruptly', async (t) => {
    if (broker.external) return t.skip('Warren controls');
    const b = broker.running!;
    const polite = await Client.open(t, broker.url, { clientProperties: { connection_name: 'worker-1' } });
    await polite.channel();
    // (amqplib emits no 'error' for 320 CONNECTION_FORCED, only 'close' with it)
    const err = closeOf(polite.conn);
    assert.equal(b.faults.dropConnection('worker-1'), 1);
    const e = (await err)!;
    assert.equal(e.code, 320);
    assert.match(e.message, /CONNECTION_FORCED - Closed via management plugin/);

    const rude = await Client.open(t, broker.url, { clientProperties: { connection_name: 'worker-2' } });
    await rude.channel();
    const closed = closeOf(rude.conn);
    b.faults.dropConnection('worker-2', { abrupt: true });
    const closeErr = await closed;
    // no connection.close from the broker: the client sees the socket go (amqplib: "Unexpected close")
    assert.ok(closeErr instanceof Error);
    assert.doesNotMatch(closeErr.message, /CONNECTION_FORCED/);
    assert.throws(() => b.faults.dropConnection('nobody'), /no connection named 'nobody'/);
  });

  test('faults.setMemoryAlarm blocks publishers (connection.blocked) until cleared', async (t) => {
    if (broker.external) return t.skip('Warren controls');
    const b = broker.running!;
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('alarmed');
    await ch.assertQueue(q, { exclusive: true });
    const blocked = once(c.conn, 'blocked');
    b.faults.setMemoryAlarm(true);
    // a publisher is blocked when it publishes during the alarm (RabbitMQ's reader takes that publish, then
    // stops reading: connection.blocked); what it sends next waits
    ch.sendToQueue(q, buf('first'));
    const [reason] = (await blocked) as [string];
    assert.equal(reason, 'low on memory');
    let confirmed = false;
    ch.sendToQueue(q, buf('held'), {}, () => (confirmed = true));
    await sleep(150);
    assert.equal(confirmed, false, 'not confirmed while blocked');
    assert.equal(b.queue(q).length, 1);
    const unblocked = once(c.conn, 'unblocked');
    b.faults.setMemoryAlarm(false);
    await unblocked;
    await eventually(() => confirmed);
    assert.equal(b.queue(q).length, 2);
    b.faults.setMemoryAlarm(null); // back to the monitor
    assert.equal(b.broker.alarms.isRaised('memory'), false);
  });

  test('a consumer timeout closes the channel on real time as before (no virtual clock)', async (t) => {
    if (broker.external) return t.skip('Warren controls');
    assert.equal(broker.running!.clock, null);
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('real-timeout');
    await ch.assertQueue(q, { autoDelete: true, arguments: { 'x-consumer-timeout': 100 } });
    await collect(ch, q);
    ch.sendToQueue(q, buf('held'));
    const err = await closedWith(ch, 4000);
    assert.equal(err.code, 406);
  });
});
