// AMQP 1.0 message sections (part 3, §3.2): a message with every section encodes in bare-message order, scans
// back to the same spans without decoding, and decodes each section lazily; symbolic descriptors are accepted;
// raw bytes are never modified; malformed sections are refused; every truncation of a message is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../../src/codec/buffer/writer.js';
import {
  Amqp10Error,
  Amqp10Message,
  SECTION,
  amqp,
  encodeMessage,
  encodeValue,
  plain,
  scanMessage,
  type MessageSections,
} from '../../../../src/codec/amqp10/index.js';

const FULL: MessageSections = {
  header: { durable: true, priority: 4, ttl: 60000, firstAcquirer: false, deliveryCount: 2 },
  deliveryAnnotations: [[amqp.symbol('x-da'), amqp.int(1)]],
  messageAnnotations: [[amqp.symbol('x-routing-key'), amqp.string('rk')]],
  properties: {
    messageId: amqp.ulong(42),
    userId: Buffer.from('guest'),
    to: '/queues/q',
    subject: 'subj',
    replyTo: '/queues/r',
    correlationId: amqp.uuid(Buffer.alloc(16, 0xab)),
    contentType: 'text/plain',
    contentEncoding: 'gzip',
    absoluteExpiryTime: 1700000060000,
    creationTime: 1700000000000,
    groupId: 'g',
    groupSequence: 7,
    replyToGroupId: 'rg',
  },
  applicationProperties: [
    [amqp.string('color'), amqp.string('red')],
    [amqp.string('n'), amqp.long(5)],
  ],
  data: [Buffer.from('hello '), Buffer.from('world')],
  footer: [[amqp.symbol('x-f'), amqp.boolean(true)]],
};

function encode(m: MessageSections): Buffer {
  const w = new Writer(64);
  encodeMessage(w, m);
  return w.take()!;
}

test('a message with every section scans and decodes lazily to what was encoded', () => {
  const raw = encode(FULL);
  const copy = Buffer.from(raw);
  const msg = new Amqp10Message(raw);
  const l = msg.layout;
  assert.deepEqual(
    [
      l.header,
      l.deliveryAnnotations,
      l.messageAnnotations,
      l.properties,
      l.applicationProperties,
      ...l.body,
      l.footer,
    ].map((s) => s!.code),
    [0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x75, 0x78],
  );
  assert.equal(l.header!.start, 0);
  assert.equal(l.footer!.end, raw.length);
  assert.deepEqual(msg.header, FULL.header);
  assert.deepEqual(msg.properties, FULL.properties);
  assert.deepEqual(msg.applicationProperties, FULL.applicationProperties);
  assert.deepEqual(msg.messageAnnotations, FULL.messageAnnotations);
  assert.deepEqual(msg.deliveryAnnotations, FULL.deliveryAnnotations);
  assert.deepEqual(msg.footer, FULL.footer);
  assert.equal(msg.isDataBody, true);
  assert.equal(msg.data.toString(), 'hello world');
  assert.equal(msg.rawBody.subarray(0, 3).toString('hex'), '005375');
  assert.deepEqual(raw, copy, 'the raw bytes are untouched');
  assert.equal(msg.properties, msg.properties, 'decoded once and cached');
});

test('a single data section body is a view of the raw message; a message without sections is empty', () => {
  const raw = encode({ data: Buffer.from('abc') });
  assert.equal(raw.toString('hex'), '005375a003616263');
  const msg = new Amqp10Message(raw);
  assert.equal(msg.data.buffer, raw.buffer);
  assert.equal(msg.properties, undefined);
  assert.deepEqual(msg.applicationProperties, []);
  const empty = new Amqp10Message(Buffer.alloc(0));
  assert.equal(empty.layout.body.length, 0);
  assert.equal(empty.layout.bodyStart, 0);
});

test('amqp-value and amqp-sequence bodies', () => {
  const v = new Amqp10Message(encode({ value: amqp.string('hi') }));
  assert.equal(v.isDataBody, false);
  assert.equal(plain(v.amqpValue!), 'hi');
  const s = new Amqp10Message(encode({ sequence: [[amqp.int(1)], [amqp.int(2)]] }));
  assert.deepEqual(
    s.sequence.map((x) => x.map(plain)),
    [[1], [2]],
  );
  assert.equal(s.layout.body.length, 2);
});

test('trailing nulls of header and properties are left out (§1.4)', () => {
  assert.equal(encode({ header: { durable: true } }).toString('hex'), '005370c0020141');
  assert.equal(encode({ properties: { messageId: amqp.string('m') } }).toString('hex'), '005373c00401a1016d');
  assert.equal(encode({ properties: {} }).toString('hex'), '00537345');
});

test('symbolic section descriptors are read as their numeric ones', () => {
  const w = new Writer(64);
  encodeValue(
    w,
    amqp.described(amqp.symbol('amqp:application-properties:map'), amqp.map([[amqp.string('k'), amqp.int(1)]])),
  );
  encodeValue(w, amqp.described(amqp.symbol('amqp:data:binary'), amqp.binary(Buffer.from('x'))));
  const msg = new Amqp10Message(w.take()!);
  assert.equal(msg.layout.applicationProperties!.code, SECTION.APPLICATION_PROPERTIES);
  assert.equal(msg.data.toString(), 'x');
});

test('malformed messages are refused: not described, unknown section, truncated at every offset', () => {
  assert.throws(() => scanMessage(Buffer.from('40', 'hex')), /not a described value/);
  assert.throws(() => scanMessage(Buffer.from('00537940', 'hex')), /unknown AMQP 1.0 message section/);
  const raw = encode(FULL);
  const l = new Amqp10Message(raw).layout;
  // a cut at a section boundary leaves a shorter valid message
  const boundaries = new Set(
    [
      l.header,
      l.deliveryAnnotations,
      l.messageAnnotations,
      l.properties,
      l.applicationProperties,
      ...l.body,
      l.footer,
    ].map((x) => x!.end),
  );
  for (let cut = 1; cut < raw.length; cut++) {
    if (boundaries.has(cut)) continue;
    let ok = true;
    try {
      const m = new Amqp10Message(raw.subarray(0, cut));
      void m.properties;
      void m.applicationProperties;
      void m.footer;
    } catch (e) {
      ok = false;
      assert.ok(e instanceof Amqp10Error, `cut ${cut}: ${String(e)}`);
    }
    assert.equal(ok, false, `cut at ${cut} must fail`);
  }
});
