// The bytes checked by a real client: rabbitmq-stream-js-client (1.0.0) connects to a fake server built from this
// codec (fake-server.ts), subscribes, and parses Deliver frames (v2 with committed chunk id, and v1) carrying
// chunks from ChunkBuilder — with a bloom filter in the stored chunk that deliveryParts leaves out, as osiris
// send_file/3 does — whose entries are AMQP 1.0 messages from encodeMessage; and a sub-batch entry. It also
// publishes (v1 and v2 with a filter value), and the codec reads the client's Publish frames and AMQP 1.0
// sections back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../../src/codec/buffer/writer.js';
import { Amqp10Message, amqp, encodeMessage, type MessageSections } from '../../../../src/codec/amqp10/index.js';
import { ChunkBuilder, Compression, deliveryParts } from '../../../../src/codec/stream/index.js';
import { FakeStreamServer } from './fake-server.js';
import * as rs from 'rabbitmq-stream-js-client';

function amqpMessage(s: MessageSections): Buffer {
  const w = new Writer(256);
  encodeMessage(w, s);
  return w.take()!;
}

const silent = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: () => undefined };

test('rabbitmq-stream-js-client parses our Deliver frames, chunks and AMQP 1.0 messages', async () => {
  const server = new FakeStreamServer();
  await server.start();
  const m1 = amqpMessage({
    header: { durable: true, priority: 3 },
    messageAnnotations: [[amqp.symbol('x-routing-key'), amqp.string('rk')]],
    properties: {
      messageId: amqp.string('m-1'),
      userId: Buffer.from('guest'),
      to: 'to',
      subject: 'subj',
      replyTo: 'rq',
      correlationId: amqp.string('c-1'),
      contentType: 'text/plain',
      contentEncoding: 'utf-8',
      creationTime: 1700000000000,
      groupId: 'g',
    },
    applicationProperties: [
      [amqp.string('color'), amqp.string('red')],
      [amqp.string('n'), amqp.int(5)],
      [amqp.string('b'), amqp.boolean(true)],
    ],
    data: Buffer.from('first'),
  });
  const m2 = amqpMessage({ data: Buffer.alloc(300, 0x61) });
  server.onSubscribe = (send) => {
    const b = new ChunkBuilder();
    b.addMessage(m1, 0, m1.length, Buffer.from('apple'));
    b.addMessage(m2, 0, m2.length);
    const stored = b.finish({ chunkId: 10, epoch: 1, timestamp: Date.now(), trailer: Buffer.from('trk') });
    send(deliveryParts(stored), 11);
    const sub = Buffer.concat(
      [m1.length, m1, m2.length, m2].map((x) =>
        typeof x === 'number' ? Buffer.from([0, 0, 0, x >>> 0].map((_, i) => (x >>> (24 - 8 * i)) & 0xff)) : x,
      ),
    );
    b.addSubBatch(Compression.None, 2, sub.length, sub);
    send(deliveryParts(b.finish({ chunkId: 12, epoch: 1, timestamp: Date.now() })));
  };
  const client = await rs.connect(
    { hostname: '127.0.0.1', port: server.port, username: 'guest', password: 'guest', vhost: '/', heartbeat: 0 },
    silent as never,
  );
  try {
    const got: Array<{
      content: Buffer;
      offset?: bigint;
      messageProperties: unknown;
      applicationProperties: unknown;
      messageHeader: unknown;
      messageAnnotations: unknown;
    }> = [];
    const done = new Promise<void>((res) => {
      void client.declareConsumer({ stream: 's', offset: rs.Offset.first() }, (msg) => {
        got.push(msg as never);
        if (got.length === 4) res();
      });
    });
    await done;
    // the client hands chunks to the callback as it finishes parsing them: order across chunks may vary
    const first = got.find((g) => g.offset === 10n)!;
    const second = got.find((g) => g.offset === 11n)!;
    // sub-batch records: the client numbers them from 0 within the batch (its decodeSubEntries)
    const batch = got.filter((g) => g !== first && g !== second).map((g) => g.content.toString());
    assert.equal(first.content.toString(), 'first');
    assert.deepEqual(first.messageProperties, {
      messageId: 'm-1',
      userId: Buffer.from('guest'),
      to: 'to',
      subject: 'subj',
      replyTo: 'rq',
      correlationId: 'c-1',
      contentType: 'text/plain',
      contentEncoding: 'utf-8',
      creationTime: new Date(1700000000000),
      groupId: 'g',
    });
    assert.deepEqual(first.applicationProperties, { color: 'red', n: 5, b: true });
    assert.deepEqual(first.messageAnnotations, { 'x-routing-key': 'rk' });
    assert.equal((first.messageHeader as { durable?: boolean }).durable, true);
    assert.equal(second.content.toString(), 'a'.repeat(300));
    assert.deepEqual(batch, ['first', 'a'.repeat(300)], 'sub-batch entry records');
    const sub = server.frames.find((f) => f.name === 'SubscribeRequest');
    assert.deepEqual(sub && sub.name === 'SubscribeRequest' ? sub.offsetSpec : null, { type: 'first' });
    const versions = server.frames.find((f) => f.name === 'ExchangeCommandVersionsRequest');
    assert.ok(versions, 'the client exchanged command versions');
  } finally {
    await client.close().catch(() => undefined);
    await server.stop();
  }
});

test('the codec reads rabbitmq-stream-js-client publishes (v1 and v2 with a filter value) and their AMQP 1.0 sections', async () => {
  const server = new FakeStreamServer();
  await server.start();
  const client = await rs.connect(
    { hostname: '127.0.0.1', port: server.port, username: 'guest', password: 'guest', vhost: '/', heartbeat: 0 },
    silent as never,
  );
  try {
    const pub = await client.declarePublisher({ stream: 's' });
    await pub.send(Buffer.from('hello'), {
      messageProperties: {
        messageId: 'id-1',
        contentType: 'text/plain',
        correlationId: 'c',
        replyTo: 'r',
        creationTime: new Date(1700000000000),
      },
      applicationProperties: { color: 'red', n: 7 },
    });
    const filtered = await client.declarePublisher(
      { stream: 's' },
      (msg) => (msg.applicationProperties?.['color'] as string) ?? undefined,
    );
    await filtered.send(Buffer.from('apple pie'), { applicationProperties: { color: 'green' } });
    await pub.flush();
    await filtered.flush();
    for (let i = 0; i < 100 && server.published.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.published.length, 2);
    const [a, b] = server.published;
    const ma = new Amqp10Message(a!.message);
    assert.equal(ma.data.toString(), 'hello');
    assert.deepEqual(ma.properties?.messageId, amqp.string('id-1'));
    assert.equal(ma.properties?.contentType, 'text/plain');
    assert.equal(ma.properties?.creationTime, 1700000000000);
    const ap = Object.fromEntries(ma.applicationProperties.map(([k, v]) => [k.value, v.value]));
    assert.deepEqual(ap, { color: 'red', n: 7 });
    assert.equal(b!.filterValue, 'green');
    assert.equal(new Amqp10Message(b!.message).data.toString(), 'apple pie');
  } finally {
    await client.close().catch(() => undefined);
    await server.stop();
  }
});
