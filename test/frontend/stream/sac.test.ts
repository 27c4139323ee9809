// Single active consumer on a stream: two consumers with the same name, one gets messages; when it closes the
// other takes over from the stored offset (the client answers the ConsumerUpdate with it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as rs from 'rabbitmq-stream-js-client';
import { connectClient, sleep, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

let t: StreamTestBroker;
before(async () => {
  t = await startStreamBroker();
});
after(async () => {
  await t.close();
});

test('two consumers with the same name: one active, the other takes over when it closes', async () => {
  const c1 = await connectClient(t);
  const c2 = await connectClient(t);
  const pc = await connectClient(t);
  try {
    await pc.createStream({ stream: 'sac', arguments: {} });
    const pub = await pc.declarePublisher({ stream: 'sac' });
    const a: string[] = [];
    const b: string[] = [];
    const ca = await c1.declareConsumer(
      { stream: 'sac', offset: rs.Offset.first(), singleActive: true, consumerRef: 'group' },
      (m) => {
        a.push(m.content.toString());
      },
    );
    await c2.declareConsumer(
      {
        stream: 'sac',
        offset: rs.Offset.first(),
        singleActive: true,
        consumerRef: 'group',
        // RabbitMQ's documented pattern: the newly active consumer resumes after the stored offset
        consumerUpdateListener: async (ref, stream) =>
          rs.Offset.offset((await c2.queryOffset({ reference: ref, stream })) + 1n),
      },
      (m) => {
        b.push(m.content.toString());
      },
    );
    for (let i = 0; i < 5; i++) await pub.send(Buffer.from(`x${i}`));
    await pub.flush();
    await until(() => a.length === 5, 5000, 'the active consumer');
    await sleep(200);
    assert.equal(b.length, 0, 'the inactive consumer gets nothing');
    await ca.storeOffset(4n);
    await sleep(100);
    await c1.closeConsumer(ca.extendedId);
    for (let i = 5; i < 8; i++) await pub.send(Buffer.from(`x${i}`));
    await pub.flush();
    // the new active consumer starts where its ConsumerUpdate answer says: after the stored offset
    await until(() => b.includes('x7'), 5000, 'the other consumer takes over');
    assert.ok(!b.includes('x0'), `resumed after the stored offset, got ${b.join(',')}`);
  } finally {
    await c1.close();
    await c2.close();
    await pc.close();
  }
});
