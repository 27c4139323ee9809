// rascal (npm): the config-driven wrapper around amqplib's callback API. A user describes exchanges, queues,
// bindings, publications and subscriptions in one config; rascal asserts the topology (namespaced names
// here, as its own tests do), publishes on confirm channels, redelivers with recovery strategies
// (republish with attempts, then nack to a dead-letter exchange), forwards, reconnects and resubscribes
// after a connection error, and nukes the topology at the end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import rascal, { type AckOrNack, type BrokerAsPromised, type Message } from 'rascal';
import { uniqueName } from '../../helpers/broker.js';
import { closeConnectionsNamed, until, useFrameworkBroker } from './util.js';

interface Received {
  content: unknown;
  message: Message;
}

describe('rascal', () => {
  const broker = useFrameworkBroker();

  async function create(name: string, t: { after(fn: () => Promise<void>): void }): Promise<BrokerAsPromised> {
    const config = rascal.withDefaultConfig({
      vhosts: {
        '/': {
          namespace: true, // rascal prefixes every exchange and queue name (and x-dead-letter-exchange) with a uuid
          connection: {
            url: broker.url,
            retry: { min: 100, max: 500, factor: 2, strategy: 'exponential' },
            socketOptions: { clientProperties: { connection_name: name } },
          },
          exchanges: { orders: { type: 'topic' }, dlx: { type: 'fanout' } },
          queues: {
            work: { options: { arguments: { 'x-dead-letter-exchange': 'dlx' } } },
            audit: {},
            dlq: {},
          },
          bindings: ['orders[order.#] -> work', 'dlx -> dlq'],
          publications: {
            order: { exchange: 'orders', routingKey: 'order.new', confirm: true },
            audit: { queue: 'audit' },
          },
          subscriptions: {
            work: { queue: 'work', prefetch: 5 },
            audit: { queue: 'audit' },
            dlq: { queue: 'dlq' },
          },
        },
      },
    });
    const b = await rascal.BrokerAsPromised.create(config);
    b.on('error', () => {}); // connection errors are recovered from (asserted through the events below)
    t.after(async () => {
      await b.nuke().catch(() => {});
    });
    return b;
  }

  async function subscribe(
    b: BrokerAsPromised,
    name: string,
    onMessage: (r: Received, ackOrNack: AckOrNack) => void,
  ): Promise<void> {
    const s = await b.subscribe(name);
    s.on('message', (message: Message, content: unknown, ackOrNack: AckOrNack) =>
      onMessage({ content, message }, ackOrNack),
    );
    s.on('error', () => {});
  }

  test('publish with confirms, subscribe with prefetch, JSON content, forward to another publication', async (t) => {
    const b = await create(uniqueName('rascal-basic'), t);
    const got: Received[] = [];
    await subscribe(b, 'work', (r, ackOrNack) => {
      got.push(r);
      ackOrNack();
    });
    const audited: Received[] = [];
    await subscribe(b, 'audit', (r, ackOrNack) => {
      audited.push(r);
      ackOrNack();
    });
    const confirmed: string[] = [];
    for (let i = 0; i < 10; i++) {
      const p = await b.publish('order', { id: i, item: 'book' });
      p.on('success', (messageId: string) => confirmed.push(messageId));
    }
    await until(() => got.length === 10 && confirmed.length === 10, '10 confirmed deliveries');
    assert.deepEqual(
      got.map((r) => (r.content as { id: number }).id),
      [...Array(10).keys()],
    );
    assert.equal(got[0]!.message.properties.contentType, 'application/json');
    assert.equal(got[0]!.message.fields.routingKey, 'order.new');
    await b.forward('audit', got[3]!.message);
    await until(() => audited.length === 1, 'the forwarded message');
    assert.deepEqual(audited[0]!.content, { id: 3, item: 'book' });
  });

  test('recovery: republish twice, then nack to the dead-letter exchange', async (t) => {
    const b = await create(uniqueName('rascal-recovery'), t);
    let attempts = 0;
    await subscribe(b, 'work', (_r, ackOrNack) => {
      attempts++;
      ackOrNack(new Error('cannot process'), [{ strategy: 'republish', attempts: 2, defer: 20 }, { strategy: 'nack' }]);
    });
    const dead: Received[] = [];
    await subscribe(b, 'dlq', (r, ackOrNack) => {
      dead.push(r);
      ackOrNack();
    });
    await b.publish('order', { id: 'poison' });
    await until(() => dead.length === 1, 'the dead-lettered message');
    assert.equal(attempts, 3, 'delivered once, then republished twice');
    assert.deepEqual(dead[0]!.content, { id: 'poison' });
    const headers = dead[0]!.message.properties.headers!;
    const death = (headers['x-death'] as Array<{ reason: string; count: number }>)[0]!;
    assert.equal(death.reason, 'rejected');
    // rascal's own annotation of the republished copy: rascal.recovery.<queue>.republished
    const recovery = (headers['rascal'] as { recovery: Record<string, { republished: number }> }).recovery;
    assert.equal(Object.values(recovery)[0]!.republished, 2);
  });

  test('connection closed by the management API: rascal reconnects and resubscribes', async (t) => {
    const name = uniqueName('rascal-drop');
    const b = await create(name, t);
    const events: string[] = [];
    b.on('disconnect', () => events.push('disconnect'));
    b.on('connect', () => events.push('connect'));
    const got: unknown[] = [];
    await subscribe(b, 'work', (r, ackOrNack) => {
      got.push(r.content);
      ackOrNack();
    });
    await b.publish('order', { id: 'before' });
    await until(() => got.length === 1, 'the delivery before the drop');
    assert.equal(await closeConnectionsNamed(broker.management, name), 1);
    await until(() => events.includes('connect'), 'the reconnect', 10_000);
    // the subscription is re-established on the new connection: keep publishing until one arrives
    await until(
      () => {
        if (got.length === 1) void b.publish('order', { id: 'after' }).catch(() => {});
        return got.length >= 2;
      },
      'a delivery after the reconnect',
      10_000,
    );
    assert.deepEqual(got[1], { id: 'after' });
    assert.deepEqual(events.slice(0, 2), ['disconnect', 'connect']);
  });
});
