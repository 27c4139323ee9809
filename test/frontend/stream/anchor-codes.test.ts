// What bench/fuzz/compare-stream.ts found different from the anchor RabbitMQ 3.10's stream plugin, now as
// RabbitMQ: a frame out of order before Open closes the socket without an answer (rabbit_stream_reader's
// handle_frame_pre_auth); a string whose length is -1 is not null but 65,535 bytes the frame lacks
// (DeclarePublisher's reference: Close UnknownFrame); a stream looked up by QueryOffset or StoreOffset sends
// MetadataUpdate when it is deleted, as one with a publisher or subscription does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../src/codec/buffer/writer.js';
import { frameBytes } from '../../../src/codec/stream/index.js';
import { RawClient, sleep, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

let t: StreamTestBroker;
before(async () => {
  t = await startStreamBroker();
});
after(async () => {
  await t.close();
});

const w = new Writer(256);
const peerProperties = (): Buffer =>
  frameBytes('PeerPropertiesRequest', { correlationId: 1, properties: { product: 'test' } }, w);
const raw = (key: number, body: Buffer = Buffer.alloc(0)): Buffer => {
  const b = Buffer.alloc(8 + body.length);
  b.writeUInt32BE(4 + body.length, 0);
  b.writeUInt16BE(key, 4);
  b.writeUInt16BE(1, 6);
  body.copy(b, 8);
  return b;
};

/** The client sends `steps` (each after the server answered the one before, or 100 ms); the server must close. */
async function closesSilently(steps: Buffer[], answered: number): Promise<void> {
  const c = await RawClient.connect(t.port);
  try {
    for (const s of steps) {
      c.sendBytes(s);
      await sleep(100);
    }
    await until(() => c.closed, 3000, 'the server closing the socket');
    assert.equal(c.frames.length, answered, `frames: ${c.frames.map((f) => f.name).join(', ')}`);
  } finally {
    c.close();
  }
}

test('before Open, a frame out of order closes the socket without an answer (as RabbitMQ)', async () => {
  const subscribe = frameBytes(
    'SubscribeRequest',
    { correlationId: 2, subscriptionId: 1, stream: 's', offsetSpec: { type: 'first' }, credit: 1, properties: {} },
    w,
  );
  // Subscribe as the first frame: RabbitMQ "unknown command ..., closing connection"
  await closesSilently([subscribe], 0);
  // PeerProperties twice: answered once, then closed
  await closesSilently([peerProperties(), peerProperties()], 1);
  // a heartbeat before the handshake
  await closesSilently([raw(0x0017)], 0);
  // Tune before authentication
  await closesSilently([peerProperties(), frameBytes('TuneResponse', { frameMax: 0, heartbeat: 0 }, w)], 1);
  // Open before authentication
  await closesSilently([peerProperties(), frameBytes('OpenRequest', { correlationId: 3, virtualHost: '/' }, w)], 1);
  // an unknown command key
  await closesSilently([raw(0x0099, Buffer.alloc(8))], 0);
});

test('the handshake refusals still answer with their codes (mechanism, credentials)', async () => {
  const c = await RawClient.connect(t.port);
  try {
    await c.request('PeerPropertiesRequest', { properties: {} }, 'PeerPropertiesResponse');
    const r = await c.request(
      'SaslAuthenticateRequest',
      { mechanism: 'FOO', saslOpaqueData: Buffer.from('\u0000guest\u0000guest') },
      'SaslAuthenticateResponse',
    );
    assert.equal(r.responseCode, 0x07);
    await until(() => c.closed, 3000, 'close');
  } finally {
    c.close();
  }
});

test('DeclarePublisher with a reference of length -1: Close UnknownFrame (RabbitMQ reads the length unsigned)', async () => {
  const c = await RawClient.connect(t.port);
  try {
    await c.open();
    await c.request('CreateRequest', { stream: 'ac-null', arguments: {} }, 'CreateResponse');
    // CorrelationId 9, PublisherId 1, reference length 0xffff, stream "ac-null"
    const body = Buffer.concat([Buffer.from([0, 0, 0, 9, 1, 0xff, 0xff, 0, 7]), Buffer.from('ac-null')]);
    c.sendBytes(raw(0x0001, body));
    const close = await c.waitFor('CloseRequest');
    assert.equal(close.closingCode, 0x0d);
    assert.equal(
      c.frames.find((f) => f.name === 'DeclarePublisherResponse'),
      undefined,
      'no DeclarePublisher response',
    );
    const d = await RawClient.connect(t.port);
    await d.open();
    // an empty reference is no reference, as clients send it
    const ok = await d.request(
      'DeclarePublisherRequest',
      { publisherId: 1, publisherReference: '', stream: 'ac-null' },
      'DeclarePublisherResponse',
    );
    assert.equal(ok.responseCode, 1);
    await d.request('DeleteRequest', { stream: 'ac-null' }, 'DeleteResponse');
    d.close();
  } finally {
    c.close();
  }
});

test('a stream looked up by QueryOffset or StoreOffset: its deletion sends MetadataUpdate (as RabbitMQ)', async () => {
  for (const how of ['QueryOffset', 'StoreOffset', 'none'] as const) {
    const c = await RawClient.connect(t.port);
    const admin = await RawClient.connect(t.port);
    try {
      await c.open();
      await admin.open();
      await admin.request('CreateRequest', { stream: 'ac-look', arguments: {} }, 'CreateResponse');
      if (how === 'QueryOffset') {
        const r = await c.request('QueryOffsetRequest', { reference: 'r', stream: 'ac-look' }, 'QueryOffsetResponse');
        assert.equal(r.responseCode, 0x13);
      } else if (how === 'StoreOffset') {
        c.send('StoreOffset', { reference: 'r', stream: 'ac-look', offset: 0 });
      }
      await c.request('MetadataRequest', { streams: ['ac-look'] }, 'MetadataResponse');
      await admin.request('DeleteRequest', { stream: 'ac-look' }, 'DeleteResponse');
      if (how === 'none') {
        await sleep(200);
        assert.equal(c.frames.filter((f) => f.name === 'MetadataUpdate').length, 0, 'no lookup, no update');
      } else {
        const u = await c.waitFor('MetadataUpdate');
        assert.equal(u.code, 0x06);
        assert.equal(u.stream, 'ac-look');
        await sleep(100);
        assert.equal(c.frames.filter((f) => f.name === 'MetadataUpdate').length, 1, `one update (${how})`);
      }
    } finally {
      c.close();
      admin.close();
    }
  }
});
