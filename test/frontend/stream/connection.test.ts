// The Stream protocol listener with rabbitmq-stream-js-client: handshake (server version 3.13 so the client
// turns on filtering and v2 frames), advertised host and port, publish with confirms, consume from each offset
// specification.
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

test('the handshake: server version 3.13 (filtering and v2 frames on), advertised localhost and the port', async () => {
  const raw = await RawClient.connect(t.port);
  try {
    await raw.open();
    const pp = raw.frames.find((f) => f.name === 'PeerPropertiesResponse');
    assert.ok(pp && pp.name === 'PeerPropertiesResponse');
    assert.equal(pp.properties['version'], '3.13.7');
    assert.equal(pp.properties['product'], 'RabbitMQ');
    const open = raw.frames.find((f) => f.name === 'OpenResponse');
    assert.ok(open && open.name === 'OpenResponse');
    assert.deepEqual(open.connectionProperties, { advertised_host: 'localhost', advertised_port: String(t.port) });
    const mech = raw.frames.find((f) => f.name === 'SaslHandshakeResponse');
    assert.ok(mech && mech.name === 'SaslHandshakeResponse');
    assert.deepEqual(mech.mechanisms, ['AMQPLAIN', 'PLAIN']);
    const versions = await raw.request(
      'ExchangeCommandVersionsRequest',
      { commands: [] },
      'ExchangeCommandVersionsResponse',
    );
    assert.deepEqual(
      versions.commands.find((c) => c.key === 0x0008),
      { key: 0x0008, minVersion: 1, maxVersion: 2 },
    );
  } finally {
    raw.close();
  }
});

test('consume from each offset specification: first, last, next, offset, timestamp', async () => {
  const c = await connectClient(t);
  try {
    await c.createStream({ stream: 'offs', arguments: {} });
    const pub = await c.declarePublisher({ stream: 'offs' });
    // three chunks: a batch per turn
    for (let i = 0; i < 3; i++) await pub.send(Buffer.from(`a${i}`));
    await pub.flush();
    await sleep(50);
    const tsBetween = Date.now();
    await sleep(20);
    for (let i = 0; i < 3; i++) await pub.send(Buffer.from(`b${i}`));
    await pub.flush();
    await sleep(50);
    const read = async (offset: rs.Offset, want: number): Promise<{ body: string; offset: bigint }[]> => {
      const got: { body: string; offset: bigint }[] = [];
      const consumer = await c.declareConsumer({ stream: 'offs', offset }, (m) => {
        got.push({ body: m.content.toString(), offset: m.offset! });
      });
      await until(() => got.length >= want, 5000, `${want} messages`);
      await sleep(50);
      await c.closeConsumer(consumer.extendedId);
      return got;
    };
    assert.deepEqual(
      (await read(rs.Offset.first(), 6)).map((g) => g.body),
      ['a0', 'a1', 'a2', 'b0', 'b1', 'b2'],
    );
    // last: the last chunk (b0..b2)
    assert.deepEqual(
      (await read(rs.Offset.last(), 3)).map((g) => g.body),
      ['b0', 'b1', 'b2'],
    );
    // offset 4: the client drops the chunk's messages before it
    assert.deepEqual(
      (await read(rs.Offset.offset(4n), 2)).map((g) => g.body),
      ['b1', 'b2'],
    );
    assert.deepEqual(
      (await read(rs.Offset.timestamp(new Date(tsBetween)), 3)).map((g) => g.body),
      ['b0', 'b1', 'b2'],
    );
    // next: only what is published after
    const got: string[] = [];
    await c.declareConsumer({ stream: 'offs', offset: rs.Offset.next() }, (m) => {
      got.push(m.content.toString());
    });
    await sleep(100);
    await pub.send(Buffer.from('c0'));
    await pub.flush();
    await until(() => got.length === 1, 5000, 'next');
    assert.deepEqual(got, ['c0']);
  } finally {
    await c.close();
  }
});

test('credit: each Deliver (one chunk) takes one credit; nothing more until Credit', async () => {
  const c = await connectClient(t);
  const raw = await RawClient.connect(t.port);
  try {
    await c.createStream({ stream: 'credit', arguments: {} });
    const pub = await c.declarePublisher({ stream: 'credit' });
    for (let k = 0; k < 3; k++) {
      await pub.send(Buffer.from(`m${k}`));
      await pub.flush();
      await sleep(30);
    }
    await raw.open();
    const sub = await raw.request(
      'SubscribeRequest',
      { subscriptionId: 1, stream: 'credit', offsetSpec: { type: 'first' }, credit: 1, properties: {} },
      'SubscribeResponse',
    );
    assert.equal(sub.responseCode, 1);
    await raw.waitFor('Deliver');
    await sleep(200);
    const delivers = () => raw.frames.filter((f) => f.name === 'Deliver' || f.name === 'DeliverV2').length;
    assert.equal(delivers(), 1, 'one chunk for one credit');
    raw.send('Credit', { subscriptionId: 1, credit: 5 });
    await until(() => delivers() === 3, 5000, 'the other chunks');
  } finally {
    raw.close();
    await c.close();
  }
});
