// amqp-connection-manager (npm): the reconnecting wrapper around amqplib that many Node services use. A user
// declares topology and consumers in a channel's setup function, publishes through the ChannelWrapper (a
// confirm channel, messages queued while disconnected), and relies on it to reconnect and run setup again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import amqp, { type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { uniqueName } from '../../helpers/broker.js';
import { closeConnectionsNamed, until, useFrameworkBroker } from './util.js';

interface Order {
  id: number;
}

describe('amqp-connection-manager', () => {
  const broker = useFrameworkBroker();

  /** A manager and a JSON channel whose setup declares a topic exchange + queue and consumes (manual ack). */
  async function open(name: string, t: { after(fn: () => Promise<void>): void }) {
    const conn = amqp.connect([broker.url], {
      reconnectTimeInSeconds: 0.2,
      heartbeatIntervalInSeconds: 5,
      connectionOptions: { clientProperties: { connection_name: name } },
    });
    const events: string[] = [];
    conn.on('connect', () => events.push('connect'));
    conn.on('disconnect', ({ err }: { err: Error & { code?: number } }) => events.push(`disconnect ${err.code}`));
    const x = `${name}.orders`;
    const q = `${name}.orders.q`;
    const got: Order[] = [];
    let setups = 0;
    const ch: ChannelWrapper = conn.createChannel({
      json: true,
      setup: async (c: Channel) => {
        setups++;
        await c.assertExchange(x, 'topic', { durable: false, autoDelete: true });
        await c.assertQueue(q, { durable: false, autoDelete: true });
        await c.bindQueue(q, x, 'order.*');
        await c.prefetch(10);
        await c.consume(q, (m: ConsumeMessage | null) => {
          if (!m) return;
          got.push(JSON.parse(m.content.toString()) as Order);
          c.ack(m);
        });
      },
    });
    t.after(async () => {
      await ch.close().catch(() => {});
      await conn.close().catch(() => {});
    });
    await ch.waitForConnect();
    return { conn, ch, x, got, events, setups: () => setups };
  }

  test('publish (confirmed) and consume through setup; an unroutable publish still confirms', async (t) => {
    const s = await open(uniqueName('acm-basic'), t);
    for (let i = 0; i < 20; i++) assert.equal(await s.ch.publish(s.x, 'order.new', { id: i }), true);
    await s.ch.publish(s.x, 'nobody.listens', { id: -1 });
    await until(() => s.got.length === 20, '20 deliveries');
    assert.deepEqual(
      s.got.map((o) => o.id),
      [...Array(20).keys()],
    );
    assert.equal(s.ch.queueLength(), 0);
  });

  test('connection closed by the management API: reconnects, runs setup again, sends what was queued', async (t) => {
    const name = uniqueName('acm-drop');
    const s = await open(name, t);
    await s.ch.publish(s.x, 'order.new', { id: 0 });
    await until(() => s.got.length === 1, 'the first delivery');
    assert.equal(await closeConnectionsNamed(broker.management, name), 1);
    await until(() => s.events.includes('disconnect 320'), 'disconnect 320 CONNECTION_FORCED');
    // published while disconnected: queued by the wrapper, sent (and confirmed) after the reconnect
    const pending = [1, 2, 3].map((id) => s.ch.publish(s.x, 'order.new', { id }));
    assert.deepEqual(await Promise.all(pending), [true, true, true]);
    await until(() => s.got.length === 4, 'the deliveries after the reconnect');
    assert.deepEqual(
      s.got.map((o) => o.id),
      [0, 1, 2, 3],
    );
    assert.equal(s.setups(), 2, 'setup ran again on the new channel');
    assert.deepEqual(s.events, ['connect', 'disconnect 320', 'connect']);
  });

  test('broker restart: reconnects once the broker is back and carries on', async (t) => {
    if (broker.external) return t.skip('restarts an in-process Warren');
    const s = await open(uniqueName('acm-restart'), t);
    await s.ch.publish(s.x, 'order.new', { id: 0 });
    await until(() => s.got.length === 1, 'the first delivery');
    await broker.restart();
    await until(() => s.events.filter((e) => e === 'connect').length === 2, 'the reconnect', 10_000);
    assert.equal(await s.ch.publish(s.x, 'order.new', { id: 1 }), true);
    await until(() => s.got.length === 2, 'the delivery after the restart');
    assert.match(s.events[1]!, /^disconnect/);
    assert.equal(s.setups(), 2);
  });
});
