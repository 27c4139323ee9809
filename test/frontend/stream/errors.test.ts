// Raw frames: RabbitMQ's response codes (checked against the anchor RabbitMQ 3.10's stream plugin), metadata
// and MetadataUpdate when a stream is deleted, refused logins and vhosts, and permissions as RabbitMQ applies
// them (write to publish, read to subscribe, configure to create and delete).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, sleep, startStreamBroker, type StreamTestBroker } from './helpers.js';

let t: StreamTestBroker;
before(async () => {
  t = await startStreamBroker();
  const users = t.b.broker.users;
  users.add('limited', 'pw');
  // may write to and read "ro-*"/"wo-*" streams as named, configure nothing
  users.setPermissions('limited', '/', { configure: '^$', write: '^wo-', read: '^ro-' });
});
after(async () => {
  await t.close();
});

/** An AMQP 1.0 message with one data section "a". */
const MSG = Buffer.from([0, 0x53, 0x75, 0xa0, 1, 0x61]);

test('response codes: missing stream, ids in use, unknown ids, existing stream, amq. names', async () => {
  const c = await RawClient.connect(t.port);
  try {
    await c.open();
    const code = async (p: Promise<{ responseCode: number }>) => (await p).responseCode;
    assert.equal(await code(c.request('CreateRequest', { stream: 'e1', arguments: {} }, 'CreateResponse')), 1);
    assert.equal(await code(c.request('CreateRequest', { stream: 'e1', arguments: {} }, 'CreateResponse')), 5);
    assert.equal(await code(c.request('CreateRequest', { stream: 'amq.x', arguments: {} }, 'CreateResponse')), 17);
    const sub = (id: number, stream: string) =>
      c.request(
        'SubscribeRequest',
        { subscriptionId: id, stream, offsetSpec: { type: 'first' }, credit: 1, properties: {} },
        'SubscribeResponse',
      );
    assert.equal(await code(sub(1, 'nope')), 2);
    assert.equal(await code(sub(1, 'e1')), 1);
    assert.equal(await code(sub(1, 'e1')), 3);
    assert.equal(await code(c.request('UnsubscribeRequest', { subscriptionId: 9 }, 'UnsubscribeResponse')), 4);
    const decl = (id: number, ref: string | null, stream: string) =>
      c.request(
        'DeclarePublisherRequest',
        { publisherId: id, publisherReference: ref, stream },
        'DeclarePublisherResponse',
      );
    assert.equal(await code(decl(1, 'r', 'nope')), 2);
    assert.equal(await code(decl(1, 'r', 'e1')), 1);
    assert.equal(await code(decl(2, 'r', 'e1')), 17, 'reference in use');
    assert.equal(await code(decl(1, '', 'e1')), 17, 'publisher id in use');
    assert.equal(await code(c.request('DeletePublisherRequest', { publisherId: 9 }, 'DeletePublisherResponse')), 18);
    c.send('Credit', { subscriptionId: 9, credit: 1 });
    const cr = await c.waitFor('CreditResponse');
    assert.deepEqual([cr.responseCode, cr.subscriptionId], [4, 9]);
    c.send('Publish', { publisherId: 7, messages: [{ publishingId: 5, message: MSG }] });
    const pe = await c.waitFor('PublishError');
    assert.deepEqual(pe.errors, [{ publishingId: 5, code: 18 }]);
    const qs = await c.request(
      'QueryPublisherSequenceRequest',
      { publisherReference: 'r', stream: 'nope' },
      'QueryPublisherSequenceResponse',
    );
    assert.equal(qs.responseCode, 2);
    const st = await c.request('StreamStatsRequest', { stream: 'nope' }, 'StreamStatsResponse');
    assert.equal(st.responseCode, 2);
    assert.equal(await code(c.request('DeleteRequest', { stream: 'nope' }, 'DeleteResponse')), 2);
  } finally {
    c.close();
  }
});

test('metadata, stream stats, and a MetadataUpdate to publishers and consumers when the stream is deleted', async () => {
  const c = await RawClient.connect(t.port);
  const other = await RawClient.connect(t.port);
  try {
    await c.open();
    await other.open();
    await c.request('CreateRequest', { stream: 'md', arguments: { 'max-age': '1h' } }, 'CreateResponse');
    const md = await c.request('MetadataRequest', { streams: ['md', 'nope'] }, 'MetadataResponse');
    assert.deepEqual(md.brokers, [{ reference: 0, host: 'localhost', port: t.port }]);
    assert.deepEqual(md.streamMetadata, [
      { stream: 'md', responseCode: 1, leaderReference: 0, replicasReferences: [] },
      { stream: 'nope', responseCode: 2, leaderReference: 0xffff, replicasReferences: [] },
    ]);
    const none = await c.request('MetadataRequest', { streams: ['nope'] }, 'MetadataResponse');
    assert.deepEqual(none.brokers, []);
    await c.request(
      'DeclarePublisherRequest',
      { publisherId: 1, publisherReference: '', stream: 'md' },
      'DeclarePublisherResponse',
    );
    c.send('Publish', { publisherId: 1, messages: [{ publishingId: 1, message: MSG }] });
    await c.waitFor('PublishConfirm');
    const stats = await c.request('StreamStatsRequest', { stream: 'md' }, 'StreamStatsResponse');
    assert.deepEqual(stats.stats, { first_chunk_id: 0, last_chunk_id: 0, committed_chunk_id: 0 });
    await other.request(
      'SubscribeRequest',
      { subscriptionId: 4, stream: 'md', offsetSpec: { type: 'first' }, credit: 10, properties: {} },
      'SubscribeResponse',
    );
    const del = await c.request('DeleteRequest', { stream: 'md' }, 'DeleteResponse');
    assert.equal(del.responseCode, 1);
    const u1 = await c.waitFor('MetadataUpdate');
    const u2 = await other.waitFor('MetadataUpdate');
    assert.deepEqual([u1.code, u1.stream], [6, 'md']);
    assert.deepEqual([u2.code, u2.stream], [6, 'md']);
    // the publisher is gone with its stream
    c.send('Publish', { publisherId: 1, messages: [{ publishingId: 2, message: MSG }] });
    const pe = await c.waitFor('PublishError');
    assert.deepEqual(pe.errors, [{ publishingId: 2, code: 18 }]);
  } finally {
    c.close();
    other.close();
  }
});

test('refused logins and vhosts: authentication failure (8), loopback-only user, unknown vhost (12)', async () => {
  const c = await RawClient.connect(t.port);
  await c.request('PeerPropertiesRequest', { properties: {} }, 'PeerPropertiesResponse');
  await c.request('SaslHandshakeRequest', {}, 'SaslHandshakeResponse');
  const bad = await c.request(
    'SaslAuthenticateRequest',
    { mechanism: 'PLAIN', saslOpaqueData: Buffer.from('\u0000guest\u0000wrong') },
    'SaslAuthenticateResponse',
  );
  assert.equal(bad.responseCode, 8);
  await sleep(100);
  assert.ok(c.closed, 'the connection is closed after a refused login');
  const m = await RawClient.connect(t.port);
  await m.request('PeerPropertiesRequest', { properties: {} }, 'PeerPropertiesResponse');
  const mech = await m.request(
    'SaslAuthenticateRequest',
    { mechanism: 'CRAM-MD5', saslOpaqueData: Buffer.alloc(0) },
    'SaslAuthenticateResponse',
  );
  assert.equal(mech.responseCode, 7);
  m.close();
  const v = await RawClient.connect(t.port);
  await assert.rejects(v.open('guest', 'guest', 'no-such-vhost'), /open failed: 12/);
  v.close();
});

test('permissions: write to publish, read to subscribe, configure to create and delete', async () => {
  const admin = await RawClient.connect(t.port);
  const c = await RawClient.connect(t.port);
  try {
    await admin.open();
    for (const s of ['ro-1', 'wo-1'])
      await admin.request('CreateRequest', { stream: s, arguments: {} }, 'CreateResponse');
    await c.open('limited', 'pw');
    const code = async (p: Promise<{ responseCode: number }>) => (await p).responseCode;
    assert.equal(await code(c.request('CreateRequest', { stream: 'x', arguments: {} }, 'CreateResponse')), 16);
    assert.equal(await code(c.request('DeleteRequest', { stream: 'ro-1' }, 'DeleteResponse')), 16);
    const decl = (id: number, stream: string) =>
      c.request(
        'DeclarePublisherRequest',
        { publisherId: id, publisherReference: '', stream },
        'DeclarePublisherResponse',
      );
    assert.equal(await code(decl(1, 'ro-1')), 16);
    assert.equal(await code(decl(1, 'wo-1')), 1);
    const sub = (id: number, stream: string) =>
      c.request(
        'SubscribeRequest',
        { subscriptionId: id, stream, offsetSpec: { type: 'first' }, credit: 1, properties: {} },
        'SubscribeResponse',
      );
    assert.equal(await code(sub(1, 'wo-1')), 16);
    assert.equal(await code(sub(1, 'ro-1')), 1);
    // permissions taken away: the next publish is refused with PublishError 16
    t.b.broker.users.setPermissions('limited', '/', { configure: '^$', write: '^$', read: '^ro-' });
    c.send('Publish', { publisherId: 1, messages: [{ publishingId: 1, message: MSG }] });
    const pe = await c.waitFor('PublishError');
    assert.deepEqual(pe.errors, [{ publishingId: 1, code: 16 }]);
  } finally {
    admin.close();
    c.close();
  }
});

test('a frame over the negotiated frame max closes the connection (FrameTooLarge 14)', async () => {
  const c = await RawClient.connect(t.port);
  try {
    await c.open();
    const big = Buffer.alloc(2 * 1048576);
    big.writeUInt32BE(big.length - 4, 0);
    big.writeUInt16BE(0x0002, 4);
    big.writeUInt16BE(1, 6);
    c.sendBytes(big);
    const close = await c.waitFor('CloseRequest');
    assert.equal(close.closingCode, 14);
  } finally {
    c.close();
  }
});
