// Every Stream protocol frame (PROTOCOL.adoc, 3.13) encodes and decodes back to the same fields; byte layouts
// of representative frames match rabbit_stream_core.erl's (frame/1, request_body/1, response_body/1); unknown
// keys/versions, truncations and trailing bytes are refused; the hot-path writers and PublishReader agree
// with the table codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../../src/codec/buffer/writer.js';
import {
  COMMAND_VERSIONS,
  Command,
  FRAMES,
  PublishReader,
  ResponseCode,
  StreamCodecError,
  decodeFrame,
  encodeFrame,
  frameBytes,
  writeDeliver,
  writePublishConfirm,
  type FrameName,
} from '../../../../src/codec/stream/index.js';
import { SAMPLES } from './samples.js';

const hex = (s: string): string => s.replace(/\s+/g, '');

test('every frame of the table round-trips (and the table covers commands 1-30 with their responses)', () => {
  const names = Object.keys(FRAMES) as FrameName[];
  for (const name of names) {
    const bytes = frameBytes(name, SAMPLES[name] as never, new Writer(64));
    assert.equal(bytes.readUInt32BE(0), bytes.length - 4, name);
    const f = decodeFrame(bytes, 4);
    assert.deepEqual(f, { name, ...SAMPLES[name] }, name);
  }
  const keys = new Set(names.map((n) => FRAMES[n].key));
  for (const k of Object.values(Command)) assert.ok(keys.has(k), `key ${k} covered`);
  assert.equal(Object.keys(ResponseCode).length, 19);
});

test('byte layouts match rabbit_stream_core: declare publisher, subscribe, open response, credit response, tune', () => {
  const w = new Writer(64);
  const b = (name: FrameName): string => frameBytes(name, SAMPLES[name] as never, w).toString('hex');
  assert.equal(b('DeclarePublisherRequest'), hex('00000011 0001 0001 00000001 03 0003 726566 0001 73'));
  assert.equal(b('DeclarePublisherResponse'), hex('0000000a 8001 0001 00000001 0001'));
  assert.equal(
    frameBytes(
      'SubscribeRequest',
      { ...SAMPLES.SubscribeRequest, offsetSpec: { type: 'first' }, properties: undefined },
      w,
    ).toString('hex'),
    hex('00000010 0007 0001 00000004 00 0001 73 0001 000a'),
  );
  assert.equal(b('CreditResponse'), hex('00000007 8009 0001 0004 07'));
  assert.equal(b('TuneRequest'), hex('0000000c 0014 0001 00100000 0000003c'));
  assert.equal(b('Heartbeat'), hex('00000004 0017 0001'));
  assert.equal(
    frameBytes('OpenResponse', { correlationId: 1, responseCode: 1, connectionProperties: { a: 'b' } }, w).toString(
      'hex',
    ),
    hex('00000014 8015 0001 00000001 0001 00000001 0001 61 0001 62'),
  );
  assert.equal(
    frameBytes('MetadataResponse', SAMPLES.MetadataResponse, w).toString('hex'),
    hex(
      '00000037 800f 0001 00000009' +
        '00000001 0000 0009 6c6f63616c686f7374 000015b0' +
        '00000002 0001 73 0001 0000 00000000 0001 74 0002 ffff 00000000',
    ),
  );
});

test('unknown command keys and versions, truncated frames and trailing bytes are refused', () => {
  const unknown = Buffer.from(hex('0063 0001'), 'hex');
  assert.throws(
    () => decodeFrame(unknown),
    (e: unknown) => e instanceof StreamCodecError && e.code === ResponseCode.UnknownFrame && /0x63/.test(e.message),
  );
  assert.throws(() => decodeFrame(Buffer.from(hex('0017 0009'), 'hex')), /version 9/);
  for (const name of Object.keys(FRAMES) as FrameName[]) {
    const bytes = frameBytes(name, SAMPLES[name] as never, new Writer(64));
    for (let cut = 4; cut < bytes.length; cut++) {
      let threw = false;
      try {
        const f = decodeFrame(bytes, 4, cut);
        // a frame whose last field is optional (props, bytes) or "the rest" may end early
        assert.ok(
          ['SubscribeRequest', 'OpenResponse', 'SaslAuthenticateResponse', 'Deliver', 'DeliverV2'].includes(f.name),
          `${name} at ${cut}`,
        );
      } catch (e) {
        threw = true;
        assert.ok(e instanceof StreamCodecError, `${name} at ${cut}: ${String(e)}`);
      }
      void threw;
    }
  }
  const extra = Buffer.concat([frameBytes('Heartbeat', {}, new Writer(16)), Buffer.from([0])]);
  assert.throws(() => decodeFrame(extra, 4), /1 unexpected bytes at the end of Heartbeat/);
});

test('64-bit values above 2^53 are refused rather than rounded', () => {
  const b = Buffer.from(hex('000a 0001 0000 0000 ffffffffffffffff'), 'hex');
  assert.throws(() => decodeFrame(b), /uint64 above 2\^53/);
});

test('PublishReader reads v1 and v2 publishes in place, as the table decodes them', () => {
  for (const name of ['Publish', 'PublishV2'] as const) {
    const bytes = frameBytes(name, SAMPLES[name] as never, new Writer(64));
    const r = new PublishReader(bytes, 4, bytes.length);
    assert.equal(r.publisherId, 3);
    assert.equal(r.count, 2);
    const got: unknown[] = [];
    while (r.next())
      got.push({
        publishingId: r.publishingId,
        ...(name === 'PublishV2' ? { filterValue: r.filterValue?.toString() ?? null } : {}),
        message: bytes.subarray(r.messageStart, r.messageEnd),
      });
    assert.deepEqual(got, SAMPLES[name].messages);
    for (let cut = 13; cut < bytes.length; cut++) {
      const t = new PublishReader(bytes, 4, cut);
      assert.throws(() => {
        while (t.next());
      }, StreamCodecError);
    }
  }
});

test('writeDeliver and writePublishConfirm produce what the table decodes', () => {
  const w = new Writer(64);
  writeDeliver(w, 5, [Buffer.from('head'), Buffer.from('data')], 77);
  writeDeliver(w, 6, [Buffer.from('h'), Buffer.alloc(0)]);
  writePublishConfirm(w, 2, [7, 8, 9], 1);
  const b = w.take()!;
  let p = 0;
  const frames = [];
  while (p < b.length) {
    const n = b.readUInt32BE(p);
    frames.push(decodeFrame(b, p + 4, p + 4 + n));
    p += 4 + n;
  }
  assert.deepEqual(frames, [
    { name: 'DeliverV2', subscriptionId: 5, committedChunkId: 77, chunk: Buffer.from('headdata') },
    { name: 'Deliver', subscriptionId: 6, chunk: Buffer.from('h') },
    { name: 'PublishConfirm', publisherId: 2, publishingIds: [8, 9] },
  ]);
});

test('COMMAND_VERSIONS advertises v2 for publish and deliver, v1 for the rest', () => {
  const w = new Writer(64);
  encodeFrame(w, 'ExchangeCommandVersionsResponse', {
    correlationId: 1,
    responseCode: 1,
    commands: [...COMMAND_VERSIONS],
  });
  const f = decodeFrame(w.take()!, 4);
  assert.equal(f.name, 'ExchangeCommandVersionsResponse');
  if (f.name === 'ExchangeCommandVersionsResponse') {
    assert.equal(f.commands.length, 30);
    assert.deepEqual(
      f.commands.find((c) => c.key === Command.Deliver),
      { key: 8, minVersion: 1, maxVersion: 2 },
    );
  }
});
