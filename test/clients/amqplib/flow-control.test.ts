// amqplib: per-queue flow control never stalls a publisher behind a consumer that does not keep up
// (src/core/queue/flow.ts). A work queue whose only worker holds its one prefetched message: RabbitMQ keeps
// confirming publishes into it; Warren held the publisher's connection for as long as the worker did, so a
// publisher of 30,000 tasks stopped at 20,000 for good.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName, useTestBroker } from '../../helpers/broker.js';
import { Client, within } from './util.js';

describe('amqplib: flow control and a stuck consumer', () => {
  const broker = useTestBroker();

  test('30,000 confirmed publishes into a queue whose consumer holds its prefetch and never acks', async (t) => {
    const c = await Client.open(t, broker.url);
    const q = uniqueName('stuck-worker');
    const worker = await c.channel();
    await worker.assertQueue(q, { durable: false });
    await worker.prefetch(1);
    let held = 0;
    await worker.consume(q, (m) => m && held++);
    const pub = await Client.open(t, broker.url);
    const ch = await pub.confirmChannel();
    for (let i = 0; i < 30; i++) {
      for (let j = 0; j < 1000; j++) ch.sendToQueue(q, Buffer.from(`task ${i * 1000 + j}`));
      await within(ch.waitForConfirms(), 5000, `confirms of batch ${i}`);
    }
    assert.equal((await ch.checkQueue(q)).messageCount, 29_999);
    assert.equal(held, 1);
  });
});
