// amqplib: stream filtering (RabbitMQ 3.13, https://www.rabbitmq.com/docs/stream-filtering) over AMQP 0-9-1:
// x-stream-filter-value on publish, x-stream-filter (string or array) and x-stream-match-unfiltered on
// consume, x-stream-filter-size-bytes on declare. Warren hands a 0-9-1 consumer only the matching messages
// (RabbitMQ skips non-matching chunks only, so its clients filter too; they still can).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel, ConsumeMessage } from 'amqplib';
import { uniqueName, useTestBroker } from '../../helpers/broker.js';
import { channelCloseMessage, Client, closedWith, within } from './util.js';

const STREAM = { 'x-queue-type': 'stream' };

/** Consume from first with `args` until a message with body "end" arrives; returns the bodies. */
async function consumeUntilEnd(ch: Channel, q: string, args: Record<string, unknown>): Promise<string[]> {
  await ch.prefetch(50);
  const got: ConsumeMessage[] = [];
  let tag = '';
  const done = new Promise<void>((resolve) => {
    void ch
      .consume(
        q,
        (m) => {
          if (m === null) return;
          got.push(m);
          ch.ack(m);
          if (m.content.toString() === 'end') resolve();
        },
        { arguments: { 'x-stream-offset': 'first', ...args } },
      )
      .then((ok) => (tag = ok.consumerTag));
  });
  await within(done, 5000, 'the end message');
  await ch.cancel(tag);
  for (const m of got) {
    const h = m.properties.headers ?? {};
    assert.equal(typeof h['x-stream-offset'], 'number');
  }
  return got.map((m) => m.content.toString());
}

describe('amqplib: stream filtering', () => {
  const broker = useTestBroker();

  test('waves of values, filtered by one value, two values, and with unfiltered ones', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('sf');
    await ch.assertQueue(q, { durable: true, arguments: { ...STREAM, 'x-stream-filter-size-bytes': 32 } });
    const wave = async (value: string | null, n: number) => {
      for (let i = 0; i < n; i++) {
        const headers = value === null ? {} : { 'x-stream-filter-value': value };
        ch.sendToQueue(q, Buffer.from(`${value ?? 'none'}${i}`), { headers });
      }
      await ch.waitForConfirms();
    };
    await wave('apple', 3);
    await wave('orange', 3);
    await wave(null, 2);
    // one turn, one chunk holding all three kinds
    ch.sendToQueue(q, Buffer.from('mixed-apple'), { headers: { 'x-stream-filter-value': 'apple' } });
    ch.sendToQueue(q, Buffer.from('mixed-orange'), { headers: { 'x-stream-filter-value': 'orange' } });
    ch.sendToQueue(q, Buffer.from('mixed-none'));
    ch.sendToQueue(q, Buffer.from('end'), { headers: { 'x-stream-filter-value': 'apple' } });
    await ch.waitForConfirms();

    const r = await c.channel();
    assert.deepEqual(await consumeUntilEnd(r, q, { 'x-stream-filter': 'apple' }), [
      'apple0',
      'apple1',
      'apple2',
      'mixed-apple',
      'end',
    ]);
    assert.deepEqual(await consumeUntilEnd(r, q, { 'x-stream-filter': ['orange', 'apple'] }), [
      'apple0',
      'apple1',
      'apple2',
      'orange0',
      'orange1',
      'orange2',
      'mixed-apple',
      'mixed-orange',
      'end',
    ]);
    assert.deepEqual(await consumeUntilEnd(r, q, { 'x-stream-filter': 'apple', 'x-stream-match-unfiltered': true }), [
      'apple0',
      'apple1',
      'apple2',
      'none0',
      'none1',
      'mixed-apple',
      'mixed-none',
      'end',
    ]);
    // no x-stream-filter: everything, the filter value still in the headers
    const all = await consumeUntilEnd(r, q, { 'x-stream-match-unfiltered': true });
    assert.equal(all.length, 12);
    await ch.deleteQueue(q);
  });

  test('the filter value header is kept for consumers; a bad filter size is refused as RabbitMQ 3.13', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('sf-h');
    await ch.assertQueue(q, { durable: true, arguments: STREAM });
    ch.sendToQueue(q, Buffer.from('end'), { headers: { 'x-stream-filter-value': 'k', app: 1 } });
    await ch.waitForConfirms();
    const r = await c.channel();
    await r.prefetch(1);
    const m = await within(
      new Promise<ConsumeMessage>((resolve) => {
        void r.consume(q, (x) => x && resolve(x), {
          arguments: { 'x-stream-offset': 'first', 'x-stream-filter': 'k' },
        });
      }),
    );
    assert.equal(m.properties.headers?.['x-stream-filter-value'], 'k');
    assert.equal(m.properties.headers?.['app'], 1);
    await ch.deleteQueue(q);

    const bad = await c.channel();
    const q2 = uniqueName('sf-bad');
    await assert.rejects(
      bad.assertQueue(q2, { durable: true, arguments: { ...STREAM, 'x-stream-filter-size-bytes': 300 } }),
    );
    assert.equal(
      (await closedWith(bad)).message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        'PRECONDITION_FAILED - Invalid value for  x-stream-filter-size-bytes',
      ),
    );
  });
});
