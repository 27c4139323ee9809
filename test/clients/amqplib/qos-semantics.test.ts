// basic.qos semantics follow the product name Warren advertises (issue 17, docs/compat.md): by default product
// "RabbitMQ" with RabbitMQ's (global=false: consumers started afterwards; global=true: the channel); with
// advertiseRabbitmq off product "Warren" with the spec's (global=false: the whole channel, changed at once for
// running consumers; global=true: the whole connection).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type Channel, type ConsumeMessage } from 'amqplib';
import { startBroker, type RunningBroker } from '../../../src/index.js';

async function fill(ch: Channel, q: string, n: number): Promise<void> {
  await ch.assertQueue(q, { autoDelete: false });
  for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(String(i)));
  await ch.checkQueue(q);
}

function collector(): { got: ConsumeMessage[]; settle: (ms?: number) => Promise<void> } {
  const got: ConsumeMessage[] = [];
  return { got, settle: (ms = 300) => new Promise((r) => setTimeout(r, ms)) };
}

describe('product "RabbitMQ" (default): RabbitMQ semantics', () => {
  let b: RunningBroker;
  before(async () => {
    b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
  });
  after(() => b.close());

  test('global=false applies to consumers started afterwards only', async () => {
    const c = await connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    assert.equal(c.connection.serverProperties.product, 'RabbitMQ');
    const ch = await c.createChannel();
    await fill(ch, 'qos-r', 5);
    await ch.prefetch(1, false);
    const { got, settle } = collector();
    await ch.consume('qos-r', (m) => m && got.push(m));
    await settle();
    assert.equal(got.length, 1);
    await ch.prefetch(3, false); // the running consumer keeps 1
    await settle();
    assert.equal(got.length, 1);
    await ch.deleteQueue('qos-r');
    await c.close();
  });
});

describe('product "Warren" (advertiseRabbitmq off): the spec semantics', () => {
  let b: RunningBroker;
  before(async () => {
    b = await startBroker({
      amqpPort: 0,
      bind: '127.0.0.1',
      storage: 'memory',
      logLevel: 'silent',
      advertiseRabbitmq: false,
    });
  });
  after(() => b.close());

  test('global=false is the whole channel, shared by its consumers and changed at once', async () => {
    const c = await connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    assert.equal(c.connection.serverProperties.product, 'Warren');
    const ch = await c.createChannel();
    await fill(ch, 'qos-s1', 6);
    await fill(ch, 'qos-s2', 6);
    await ch.prefetch(2, false);
    const { got, settle } = collector();
    await ch.consume('qos-s1', (m) => m && got.push(m));
    await ch.consume('qos-s2', (m) => m && got.push(m));
    await settle();
    assert.equal(got.length, 2, 'two consumers share the channel limit of 2');
    await ch.prefetch(5, false); // raised: the running consumers get more at once (Celery's ETA tasks)
    await settle();
    assert.equal(got.length, 5);
    ch.ack(got[0]!);
    await settle();
    assert.equal(got.length, 6);
    await ch.deleteQueue('qos-s1');
    await ch.deleteQueue('qos-s2');
    await c.close();
  });

  test('global=true is the whole connection, over its channels', async () => {
    const c = await connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    const ch1 = await c.createChannel();
    const ch2 = await c.createChannel();
    await fill(ch1, 'qos-c1', 4);
    await fill(ch1, 'qos-c2', 4);
    await ch1.prefetch(3, true);
    const { got, settle } = collector();
    await ch1.consume('qos-c1', (m) => m && got.push(m));
    await ch2.consume('qos-c2', (m) => m && got.push(m));
    await settle();
    assert.equal(got.length, 3, 'three unacked over both channels');
    const first = got.find((m) => m.fields.routingKey === 'qos-c2') ?? got[0]!;
    (first.fields.routingKey === 'qos-c2' ? ch2 : ch1).ack(first);
    await settle();
    assert.equal(got.length, 4, 'an ack on either channel lets one more in');
    await ch1.deleteQueue('qos-c1');
    await ch1.deleteQueue('qos-c2');
    await c.close();
  });
});
