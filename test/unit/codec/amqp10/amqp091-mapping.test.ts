// RabbitMQ 3.13's mapping between AMQP 0-9-1 messages and the AMQP 1.0 messages a stream stores, from
// deps/rabbit/src/mc_amqpl.erl (rabbitmq-server commit 002af204): convert_to(mc_amqp, ...) for 0-9-1 → 1.0
// (plus mc_amqp:protocol_state/2's x-exchange / x-routing-key), convert_from(mc_amqp, ...) for 1.0 → 0-9-1,
// with from_091/2, to_091/2, message_id/3 and is_internal_header/1. Each test names the clause it follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../../src/codec/buffer/writer.js';
import { encodeTable, Timestamp, Typed, type FieldTable } from '../../../../src/codec/amqp/field-table.js';
import {
  Amqp10Message,
  amqp,
  amqp091ToAmqp10,
  amqp10ToAmqp091,
  encodeMessage,
  plain,
  urnToUuid,
  type Basic091,
  type MessageSections,
} from '../../../../src/codec/amqp10/index.js';

const NONE: Basic091 = {
  contentType: null,
  contentEncoding: null,
  deliveryMode: null,
  priority: null,
  correlationId: null,
  replyTo: null,
  expiration: null,
  messageId: null,
  timestamp: null,
  type: null,
  userId: null,
  appId: null,
};

function convert(props: Partial<Basic091>, headers: FieldTable | null, body: Buffer, opts = {}): Amqp10Message {
  let h: { buf: Buffer; start: number; end: number } | null = null;
  if (headers !== null) {
    const hw = new Writer(256);
    encodeTable(hw, headers);
    const buf = hw.take()!;
    h = { buf, start: 4, end: buf.length };
  }
  const w = new Writer(256);
  amqp091ToAmqp10(w, { ...NONE, ...props }, h, body, opts);
  return new Amqp10Message(w.take()!);
}

test('0-9-1 → 1.0: header from delivery-mode, expiration and priority (convert_to: #v1_0.header{})', () => {
  const m = convert({ deliveryMode: 2, expiration: '5000', priority: 3 }, null, Buffer.from('b'));
  assert.deepEqual(m.header, { durable: true, priority: 3, ttl: 5000 });
  assert.deepEqual(convert({}, null, Buffer.alloc(0)).header, { durable: false });
});

test('0-9-1 → 1.0: properties (convert_to: #v1_0.properties{}, urn_string_to_uuid, creation_time × 1000, group_id = app_id)', () => {
  const m = convert(
    {
      messageId: 'urn:uuid:0123abcd-0000-1111-2222-333344445555',
      correlationId: 'c-1',
      userId: 'guest',
      replyTo: 'amq.rabbitmq.reply-to',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      timestamp: 1700000000,
      appId: 'app',
    },
    null,
    Buffer.from('{}'),
  );
  assert.deepEqual(m.properties, {
    messageId: amqp.uuid(Buffer.from('0123abcd00001111222233334444' + '5555', 'hex')),
    userId: Buffer.from('guest'),
    replyTo: 'amq.rabbitmq.reply-to',
    correlationId: amqp.string('c-1'),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    creationTime: 1700000000000,
    groupId: 'app',
  });
  assert.equal(m.data.toString(), '{}');
  assert.equal(urnToUuid('urn:uuid:not-a-uuid'), undefined);
});

test('0-9-1 → 1.0: x- headers and CC go to message annotations, the rest to application properties, typed (from_091/2)', () => {
  const headers: FieldTable = {
    color: 'red',
    n: new Typed('l', 7),
    small: new Typed('b', -1),
    u: new Typed('u', 9),
    flag: true,
    when: new Timestamp(1700000000),
    bin: Buffer.from([1, 2]),
    long: 'x'.repeat(300),
    nested: { a: 1 },
    list: ['a'],
    CC: ['rk2'],
    'x-custom': new Typed('I', 5),
    'x-match': 'all',
  };
  const m = convert({ type: 'order' }, headers, Buffer.from('b'), { exchange: 'ex', routingKey: 'rk' });
  assert.deepEqual(m.applicationProperties, [
    [amqp.string('color'), amqp.string('red')],
    [amqp.string('n'), amqp.long(7)],
    [amqp.string('small'), amqp.byte(-1)],
    [amqp.string('u'), amqp.ushort(9)],
    [amqp.string('flag'), amqp.boolean(true)],
    [amqp.string('when'), amqp.timestamp(1700000000000)],
    [amqp.string('bin'), amqp.binary(Buffer.from([1, 2]))],
    [amqp.string('long'), amqp.binary(Buffer.from('x'.repeat(300)))],
  ]);
  assert.deepEqual(m.messageAnnotations, [
    [amqp.symbol('x-exchange'), amqp.string('ex')],
    [amqp.symbol('x-routing-key'), amqp.string('rk')],
    [amqp.symbol('x-cc'), amqp.list([amqp.string('rk2')])],
    [amqp.symbol('x-custom'), amqp.int(5)],
    [amqp.symbol('x-match'), amqp.string('all')],
    [amqp.symbol('x-basic-type'), amqp.string('order')],
  ]);
});

test('0-9-1 → 1.0: type "amqp-1.0" means the body already is AMQP 1.0 sections (convert_to: ?AMQP10_TYPE)', () => {
  const w = new Writer(64);
  encodeMessage(w, { value: amqp.string('v') });
  const body = w.take()!;
  const m = convert({ type: 'amqp-1.0' }, null, body);
  assert.equal(plain(m.amqpValue!), 'v');
  assert.equal(mapKeys(m.messageAnnotations).includes('x-basic-type'), false);
});

function mapKeys(m: Array<[{ value: unknown }, unknown]>): unknown[] {
  return m.map(([k]) => k.value);
}

function msg(s: MessageSections): Amqp10Message {
  const w = new Writer(256);
  encodeMessage(w, s);
  return new Amqp10Message(w.take()!);
}

test('1.0 → 0-9-1: headers are the application properties plus x-stream-offset (convert_from + stream offset)', () => {
  const r = amqp10ToAmqp091(
    msg({
      applicationProperties: [
        [amqp.string('color'), amqp.string('red')],
        [amqp.string('n'), amqp.ulong(5)],
        [amqp.string('t'), amqp.timestamp(1700000000999)],
        [amqp.string('i'), amqp.int(-3)],
      ],
      data: Buffer.from('body'),
    }),
    { streamOffset: 12 },
  );
  assert.deepEqual(r.headers, {
    color: 'red',
    n: new Typed('l', 5),
    t: new Timestamp(1700000000),
    i: new Typed('I', -3),
    'x-stream-offset': new Typed('l', 12),
  });
  assert.equal(r.body.toString(), 'body');
  assert.equal(r.type, null);
  assert.equal(r.deliveryMode, null);
});

test('1.0 → 0-9-1: properties (convert_from: message_id/3, unwrap_shortstr, creation_time div 1000, group_id → app_id)', () => {
  const r = amqp10ToAmqp091(
    msg({
      header: { durable: true, priority: 5, ttl: 1000 },
      properties: {
        messageId: amqp.uuid(Buffer.from('0123456789abcdef0123456789abcdef', 'hex')),
        userId: Buffer.from('guest'),
        to: 'ignored',
        subject: 'ignored',
        replyTo: 'rq',
        correlationId: amqp.ulong(77),
        contentType: 'text/plain',
        contentEncoding: 'gzip',
        absoluteExpiryTime: 1,
        creationTime: 1700000000500,
        groupId: 'grp',
      },
      data: Buffer.from('x'),
    }),
  );
  assert.deepEqual(
    { ...r, body: r.body.toString() },
    {
      contentType: 'text/plain',
      contentEncoding: 'gzip',
      headers: null,
      deliveryMode: 2,
      priority: 5,
      correlationId: '77',
      replyTo: 'rq',
      expiration: '1000',
      messageId: 'urn:uuid:01234567-89ab-cdef-0123-456789abcdef',
      timestamp: 1700000000,
      type: null,
      userId: 'guest',
      appId: 'grp',
      body: 'x',
    },
  );
});

test('1.0 → 0-9-1: binary and long string ids become x-message-id / x-correlation-id headers (message_id/3)', () => {
  const r = amqp10ToAmqp091(
    msg({ properties: { messageId: amqp.binary(Buffer.from([9])), correlationId: amqp.string('c'.repeat(256)) } }),
  );
  assert.equal(r.messageId, null);
  assert.equal(r.correlationId, null);
  assert.deepEqual(r.headers, { 'x-correlation-id': 'c'.repeat(256), 'x-message-id': Buffer.from([9]) });
});

test('1.0 → 0-9-1: x- annotations become headers except internal ones; x-basic-* fill properties (is_internal_header/1)', () => {
  const r = amqp10ToAmqp091(
    msg({
      messageAnnotations: [
        [amqp.symbol('x-exchange'), amqp.string('ex')],
        [amqp.symbol('x-routing-key'), amqp.string('rk')],
        [amqp.symbol('x-basic-type'), amqp.string('t')],
        [amqp.symbol('x-basic-delivery-mode'), amqp.ubyte(2)],
        [amqp.symbol('x-basic-priority'), amqp.ubyte(1)],
        [amqp.symbol('x-basic-expiration'), amqp.string('99')],
        [amqp.symbol('x-cc'), amqp.list([amqp.string('a')])],
        [amqp.symbol('x-opt-rabbitmq-received-time'), amqp.timestamp(5)],
        [amqp.symbol('x-other'), amqp.boolean(true)],
        [amqp.symbol('not-x'), amqp.boolean(true)],
      ],
      data: Buffer.alloc(0),
    }),
  );
  assert.deepEqual(r.headers, { CC: ['a'], timestamp_in_ms: new Typed('l', 5), 'x-other': true });
  assert.equal(r.type, 't');
  assert.equal(r.deliveryMode, 2);
  assert.equal(r.priority, 1);
  assert.equal(r.expiration, '99');
});

test('1.0 → 0-9-1: a non-data body is delivered encoded, with type amqp-1.0 (convert_from: amqp_encoded_binary)', () => {
  const m = msg({ value: amqp.string('v'), footer: [[amqp.symbol('x-f'), amqp.int(1)]] });
  const r = amqp10ToAmqp091(m);
  assert.equal(r.type, 'amqp-1.0');
  assert.deepEqual(r.body, m.raw);
});

test('round trip 0-9-1 → 1.0 → 0-9-1 keeps what RabbitMQ keeps', () => {
  const m = convert(
    { deliveryMode: 2, priority: 1, messageId: 'm', correlationId: 'c', contentType: 'a/b', timestamp: 10, appId: 'x' },
    { k: 'v', 'x-y': new Typed('l', 1) },
    Buffer.from('body'),
    { exchange: 'e', routingKey: 'r' },
  );
  const r = amqp10ToAmqp091(m);
  assert.equal(r.deliveryMode, 2);
  assert.equal(r.messageId, 'm');
  assert.equal(r.correlationId, 'c');
  assert.equal(r.timestamp, 10);
  assert.equal(r.appId, 'x');
  assert.deepEqual(r.headers, { 'x-y': new Typed('l', 1), k: 'v' });
  assert.equal(r.body.toString(), 'body');
});
