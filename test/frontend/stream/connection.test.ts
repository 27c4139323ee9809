// The Stream protocol listener with rabbitmq-stream-js-client: handshake (server version 3.13 so the client
// turns on filtering and v2 frames), advertised host and port, publish with confirms, consume from each offset
// specification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as rs from 'rabbitmq-stream-js-client';
import { connectClient, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

let t: StreamTestBroker;
before(async () => {
  t = await startStreamBroker();
});
after(async () => {
  await t.close();
});

test('publish with confirms, then consume from first', async () => {
  const c = await connectClient(t);
  try {
    await c.createStream({ stream: 's1', arguments: {} });
    const confirmed: bigint[] = [];
    const pub = await c.declarePublisher({ stream: 's1' });
    pub.on('publish_confirm', (err, ids) => {
      assert.equal(err, null);
      confirmed.push(...ids);
    });
    for (let i = 0; i < 100; i++) await pub.send(Buffer.from(`m${i}`), { applicationProperties: { i: String(i) } });
    await pub.flush();
    await until(() => confirmed.length === 100, 5000, 'confirms');
    const got: string[] = [];
    const offsets: bigint[] = [];
    await c.declareConsumer({ stream: 's1', offset: rs.Offset.first() }, (m) => {
      got.push(m.content.toString());
      offsets.push(m.offset!);
    });
    await until(() => got.length === 100, 5000, 'deliveries');
    assert.equal(got[0], 'm0');
    assert.equal(got[99], 'm99');
    assert.equal(offsets[99], 99n);
  } finally {
    await c.close();
  }
});
