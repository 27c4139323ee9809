// Super streams over the Stream protocol (CreateSuperStream, Partitions, Route, DeleteSuperStream) with
// rabbitmq-stream-js-client's super stream publisher (hash routing over the partitions it asks for) and
// consumer; and filtering (Publish v2 filter values, filter.N / match-unfiltered on Subscribe).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as rs from 'rabbitmq-stream-js-client';
import { connectClient, RawClient, sleep, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

let t: StreamTestBroker;
before(async () => {
  t = await startStreamBroker();
});
after(async () => {
  await t.close();
});

test('super streams: create, partitions, route, publish by key, consume every partition, delete', async () => {
  const c = await connectClient(t);
  try {
    await c.createSuperStream({ streamName: 'orders' }, undefined, 3);
    const raw = await RawClient.connect(t.port);
    await raw.open();
    const parts = await raw.request('PartitionsRequest', { superStream: 'orders' }, 'PartitionsResponse');
    assert.deepEqual(parts.streams, ['orders-0', 'orders-1', 'orders-2']);
    const route = await raw.request('RouteRequest', { routingKey: '1', superStream: 'orders' }, 'RouteResponse');
    assert.deepEqual([route.responseCode, route.streams], [1, ['orders-1']]);
    const none = await raw.request('RouteRequest', { routingKey: 'zz', superStream: 'orders' }, 'RouteResponse');
    assert.deepEqual([none.responseCode, none.streams], [1, []]);
    const missing = await raw.request('PartitionsRequest', { superStream: 'nope' }, 'PartitionsResponse');
    assert.equal(missing.responseCode, 2);
    const dup = await raw.request(
      'CreateSuperStreamRequest',
      { superStream: 'orders', partitions: ['o-a'], bindingKeys: ['a'], arguments: {} },
      'CreateSuperStreamResponse',
    );
    assert.equal(dup.responseCode, 5);
    const pub = await c.declareSuperStreamPublisher({ superStream: 'orders' }, (_content, opts) =>
      opts.messageProperties?.messageId?.toString(),
    );
    for (let i = 0; i < 30; i++) await pub.send(Buffer.from(`o${i}`), { messageProperties: { messageId: `k${i}` } });
    const got: string[] = [];
    await c.declareSuperStreamConsumer({ superStream: 'orders', offset: rs.Offset.first() }, (m) => {
      got.push(m.content.toString());
    });
    await until(() => got.length === 30, 10000, 'every partition consumed');
    assert.deepEqual([...got].sort(), Array.from({ length: 30 }, (_, i) => `o${i}`).sort());
    const used = (['orders-0', 'orders-1', 'orders-2'] as const).filter(
      (p) => (t.b.broker.vhosts.get('/')!.queues.get(p)?.messageCount ?? 0) > 0,
    );
    assert.ok(used.length >= 2, `hash routing spreads keys over partitions (${used.join(',')})`);
    // (closed first: rabbitmq-stream-js-client 1.0's close() waits for ever once its streams were deleted)
    await c.close();
    const del = await raw.request('DeleteSuperStreamRequest', { superStream: 'orders' }, 'DeleteSuperStreamResponse');
    assert.equal(del.responseCode, 1);
    assert.equal(t.b.broker.vhosts.get('/')!.queues.has('orders-0'), false);
    const gone = await raw.request('PartitionsRequest', { superStream: 'orders' }, 'PartitionsResponse');
    assert.equal(gone.responseCode, 2);
    raw.close();
  } finally {
    await c.close().catch(() => undefined);
  }
});

test('filtering: chunks without the wanted filter values are not delivered; match-unfiltered', async () => {
  const c = await connectClient(t);
  try {
    await c.createStream({ stream: 'flt', arguments: {} });
    const pub = await c.declarePublisher(
      { stream: 'flt' },
      (m) => m.applicationProperties?.['region'] as string | undefined,
    );
    // one chunk per region (a flush and a pause between them)
    for (const region of ['emea', 'amer', undefined]) {
      for (let i = 0; i < 5; i++) {
        await pub.send(Buffer.from(`${region ?? 'none'}-${i}`), {
          applicationProperties: region === undefined ? {} : { region },
        });
      }
      await pub.flush();
      await sleep(50);
    }
    const read = async (filter: rs.ConsumerFilter, want: number): Promise<string[]> => {
      const got: string[] = [];
      const consumer = await c.declareConsumer({ stream: 'flt', offset: rs.Offset.first(), filter }, (m) => {
        got.push(m.content.toString());
      });
      await until(() => got.length >= want, 5000, `${want} messages`);
      await sleep(150);
      await c.closeConsumer(consumer.extendedId);
      return got;
    };
    const emea = await read(
      {
        values: ['emea'],
        postFilterFunc: (m) => m.applicationProperties?.['region'] === 'emea',
        matchUnfiltered: false,
      },
      5,
    );
    assert.deepEqual(emea, ['emea-0', 'emea-1', 'emea-2', 'emea-3', 'emea-4']);
    const withUnfiltered = await read(
      {
        values: ['amer'],
        postFilterFunc: (m) => m.applicationProperties?.['region'] !== 'emea',
        matchUnfiltered: true,
      },
      10,
    );
    assert.deepEqual(withUnfiltered.length, 10);
    assert.ok(withUnfiltered.every((x) => !x.startsWith('emea')));
    // the server skips whole chunks by their bloom filter: one chunk (emea's) of three is delivered
    const raw = await RawClient.connect(t.port);
    await raw.open();
    await raw.request(
      'SubscribeRequest',
      {
        subscriptionId: 1,
        stream: 'flt',
        offsetSpec: { type: 'first' },
        credit: 10,
        properties: { 'filter.0': 'emea' },
      },
      'SubscribeResponse',
    );
    await raw.waitFor('Deliver');
    await sleep(200);
    assert.equal(raw.frames.filter((f) => f.name === 'Deliver').length, 1);
    raw.close();
  } finally {
    await c.close();
  }
});
