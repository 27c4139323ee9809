// Deduplication (publisher reference + publishing id, osiris writer tracking) and server-side offset tracking,
// across reconnects and broker restarts; QueryPublisherSequence and QueryOffset (NoOffset before any store).
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

async function readAll(c: rs.Client, stream: string, want: number): Promise<string[]> {
  const got: string[] = [];
  const consumer = await c.declareConsumer({ stream, offset: rs.Offset.first() }, (m) => {
    got.push(m.content.toString());
  });
  await until(() => got.length >= want, 5000, `${want} messages`);
  await sleep(100);
  await c.closeConsumer(consumer.extendedId);
  return got;
}

test('publishing ids at or below the sequence are confirmed and not stored again, across reconnect and restart', async () => {
  let c = await connectClient(t);
  await c.createStream({ stream: 'dd', arguments: {} });
  let pub = await c.declarePublisher({ stream: 'dd', publisherRef: 'app-1' });
  const confirmed: bigint[] = [];
  pub.on('publish_confirm', (_e, ids) => confirmed.push(...ids));
  for (let i = 1; i <= 5; i++) await pub.basicSend(BigInt(i), Buffer.from(`m${i}`));
  await pub.flush();
  await until(() => confirmed.length === 5, 5000, 'confirms');
  assert.equal(await pub.getLastPublishingId(), 5n);
  // the same ids again (a resend after a lost confirm) and two new ones
  for (let i = 3; i <= 7; i++) await pub.basicSend(BigInt(i), Buffer.from(`m${i}`));
  await pub.flush();
  await until(() => confirmed.length === 10, 5000, 'confirms of duplicates too');
  await c.close();
  // reconnect
  c = await connectClient(t);
  pub = await c.declarePublisher({ stream: 'dd', publisherRef: 'app-1' });
  assert.equal(await pub.getLastPublishingId(), 7n);
  await pub.basicSend(7n, Buffer.from('m7'));
  await pub.basicSend(8n, Buffer.from('m8'));
  await pub.flush();
  await sleep(200);
  await c.close();
  // restart
  await t.restart();
  c = await connectClient(t);
  try {
    pub = await c.declarePublisher({ stream: 'dd', publisherRef: 'app-1' });
    assert.equal(await pub.getLastPublishingId(), 8n, 'the sequence survives a restart');
    await pub.basicSend(8n, Buffer.from('m8'));
    await pub.basicSend(9n, Buffer.from('m9'));
    await pub.flush();
    await sleep(200);
    assert.deepEqual(await readAll(c, 'dd', 9), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  } finally {
    await c.close();
  }
});

test('a publisher whose ids start at 0 has its first message stored; resending 0.. after it is deduplicated, after a restart too', async () => {
  // (rabbitmq-stream-js-client's basic_publish "deduplication" test: ids 0-99 twice, 100 messages; a reference
  // with no sequence yet used to count as sequence 0 and drop id 0)
  let c = await connectClient(t);
  await c.createStream({ stream: 'dd0', arguments: {} });
  let pub = await c.declarePublisher({ stream: 'dd0', publisherRef: 'from-zero' });
  assert.equal(await pub.getLastPublishingId(), 0n, 'QueryPublisherSequence answers 0 for a new reference');
  for (let round = 0; round < 2; round++)
    for (let i = 0; i < 10; i++) await pub.basicSend(BigInt(i), Buffer.from(`z${i}`));
  await pub.flush();
  await sleep(200);
  assert.equal(await pub.getLastPublishingId(), 9n);
  await c.close();
  await t.restart();
  c = await connectClient(t);
  try {
    pub = await c.declarePublisher({ stream: 'dd0', publisherRef: 'from-zero' });
    await pub.basicSend(0n, Buffer.from('again'));
    await pub.flush();
    await sleep(200);
    assert.deepEqual(
      await readAll(c, 'dd0', 10),
      Array.from({ length: 10 }, (_, i) => `z${i}`),
    );
  } finally {
    await c.close();
  }
});

test('stored offsets: QueryOffset answers NoOffset first, then the stored offset, after a restart too', async () => {
  const raw = await RawClient.connect(t.port);
  try {
    await raw.open();
    assert.equal(
      (await raw.request('CreateRequest', { stream: 'so', arguments: {} }, 'CreateResponse')).responseCode,
      1,
    );
    const none = await raw.request('QueryOffsetRequest', { reference: 'c1', stream: 'so' }, 'QueryOffsetResponse');
    assert.equal(none.responseCode, 0x13);
    raw.send('StoreOffset', { reference: 'c1', stream: 'so', offset: 42 });
    const q = await raw.request('QueryOffsetRequest', { reference: 'c1', stream: 'so' }, 'QueryOffsetResponse');
    assert.deepEqual([q.responseCode, q.offset], [1, 42]);
    const missing = await raw.request('QueryOffsetRequest', { reference: 'c1', stream: 'nope' }, 'QueryOffsetResponse');
    assert.equal(missing.responseCode, 2);
  } finally {
    raw.close();
  }
  await t.restart();
  const c = await connectClient(t);
  try {
    assert.equal(await c.queryOffset({ reference: 'c1', stream: 'so' }), 42n);
  } finally {
    await c.close();
  }
});
