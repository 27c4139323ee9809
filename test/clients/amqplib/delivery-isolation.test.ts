// A failure while writing a delivery (a bug: no known input causes one, so the test injects it) runs in the
// publisher's call stack. It must close only the consumer's connection (541 INTERNAL_ERROR), leave the
// publisher's connection and its confirms alone, and lose nothing: the message goes back to its queue.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelDeliveries } from '../../../src/frontend/amqp/deliveries.js';
import type { Message } from '../../../src/core/message.js';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { Client, within } from './util.js';

type WriteDeliver = (this: unknown, tag: string, n: number, redelivered: boolean, msg: Message) => void;

describe('amqplib: a failing delivery is isolated', () => {
  const broker = useTestBroker();

  test('only the consumer connection closes (541); the publisher confirms; the message is requeued', async (t) => {
    if (broker.external) return t.skip('injects a fault into Warren');
    const proto = ChannelDeliveries.prototype as unknown as { writeDeliver: WriteDeliver };
    const original = proto.writeDeliver;
    proto.writeDeliver = function (this: unknown, tag, n, redelivered, msg) {
      if (msg.body.toString() === 'boom') throw new Error('injected delivery failure');
      original.call(this, tag, n, redelivered, msg);
    };
    t.after(() => {
      proto.writeDeliver = original;
    });

    const q = uniqueName('iso');
    const consumer = await Client.open(t, broker.url);
    const cch = await consumer.channel();
    await cch.assertQueue(q);
    t.after(async () => {
      const c = await Client.open(t, broker.url);
      await (await c.channel()).deleteQueue(q);
    });
    const closed = consumer.closedWith(5000);
    await cch.consume(q, () => {});

    const publisher = await Client.open(t, broker.url);
    const pch = await publisher.confirmChannel();
    pch.sendToQueue(q, Buffer.from('boom'));
    await within(pch.waitForConfirms(), 3000, 'confirm');

    const err = await closed;
    assert.equal(err.code, 541);
    assert.match(err.message, /INTERNAL_ERROR/);

    // the publisher's connection carries on
    pch.sendToQueue(q, Buffer.from('after'));
    await within(pch.waitForConfirms(), 3000, 'second confirm');
    // and nothing was lost: both are in the queue, the first one marked redelivered
    proto.writeDeliver = original;
    const m1 = (await eventually(async () => (await pch.get(q, { noAck: true })) || undefined))!;
    assert.equal(m1.content.toString(), 'boom');
    assert.equal(m1.fields.redelivered, true);
    const m2 = (await eventually(async () => (await pch.get(q, { noAck: true })) || undefined))!;
    assert.equal(m2.content.toString(), 'after');
  });
});
