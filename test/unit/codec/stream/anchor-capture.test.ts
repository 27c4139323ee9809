// Chunks captured from RabbitMQ's own stream plugin (fixtures/rabbitmq-3.10-deliver.hex: the anchor RabbitMQ
// 3.10.8 on port 5552) read with this codec: Deliver frame, chunk header (osiris chunk version 0: no filter),
// CRC, entries and the AMQP 1.0 sections RabbitMQ wrote; and ChunkBuilder, given the same entry and header
// fields, produces the same delivered bytes except the version nibble (ChunkBuilder writes version 1, 3.13's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CHUNK_HEADER_SIZE,
  ChunkBuilder,
  ChunkEntryReader,
  crcMatches,
  decodeFrame,
  deliveryParts,
  readChunkHeader,
} from '../../../../src/codec/stream/index.js';
import { Amqp10Message, amqp, amqp10ToAmqp091 } from '../../../../src/codec/amqp10/index.js';

// dist/test/... → test/... (the fixture is not compiled)
const here = fileURLToPath(new URL('.', import.meta.url)).replace('/dist/test/', '/test/');
const FRAMES = readFileSync(`${here}fixtures/rabbitmq-3.10-deliver.hex`, 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => Buffer.from(l, 'hex'));

test('RabbitMQ 3.10 Deliver frames decode: header, CRC, entries, AMQP 1.0 sections', () => {
  const f = decodeFrame(FRAMES[0]!, 4);
  assert.equal(f.name, 'Deliver');
  if (f.name !== 'Deliver') return;
  assert.equal(f.subscriptionId, 1);
  const h = readChunkHeader(f.chunk);
  assert.equal(f.chunk[0], 0x50, 'osiris chunk version 0 in 3.10');
  assert.deepEqual(
    { ...h, timestamp: 0, crc: 0 },
    {
      chunkType: 0,
      numEntries: 1,
      numRecords: 1,
      timestamp: 0,
      epoch: 1,
      chunkId: 0,
      crc: 0,
      dataLength: 298,
      trailerLength: 45,
      bloomSize: 0,
    },
  );
  // the trailer is declared but not sent: the data ends the frame
  assert.equal(f.chunk.length, CHUNK_HEADER_SIZE + h.dataLength);
  const data = f.chunk.subarray(CHUNK_HEADER_SIZE);
  assert.ok(crcMatches(h, data));
  const r = new ChunkEntryReader(f.chunk, CHUNK_HEADER_SIZE, f.chunk.length);
  assert.ok(r.next());
  assert.equal(r.subBatch, false);
  const msg = new Amqp10Message(f.chunk.subarray(r.start, r.end));
  assert.equal(r.next(), false);
  assert.equal(msg.data.toString(), 'hello stream');
  assert.deepEqual(msg.properties, {
    messageId: amqp.string('m-1'),
    userId: Buffer.from('guest'),
    replyTo: 'rq',
    correlationId: amqp.string('c-1'),
    contentType: 'text/plain',
    contentEncoding: 'utf-8',
    creationTime: 1700000000000,
  });
  // RabbitMQ 3.10 (rabbit_msg_record) kept x-basic-* in annotations and all headers as application properties;
  // 3.13 (mc_amqpl) writes a header section and maps x- headers to annotations instead (from-amqp091.ts)
  assert.deepEqual(
    msg.messageAnnotations.map(([k]) => k.value),
    ['x-routing-key', 'x-exchange', 'x-basic-priority', 'x-basic-delivery-mode', 'x-basic-expiration'],
  );
  assert.deepEqual(msg.applicationProperties, [
    [amqp.string('x-basic-type'), amqp.string('order')],
    [amqp.string('x-basic-app-id'), amqp.string('app')],
    [amqp.string('color'), amqp.string('red')],
    [amqp.string('n'), amqp.byte(7)],
    [amqp.string('x-custom'), amqp.string('xc')],
    [amqp.string('flag'), amqp.boolean(true)],
  ]);
  // read back over 0-9-1 with 3.13's rules, the x-basic-* annotations still give the properties
  const back = amqp10ToAmqp091(msg, { streamOffset: 0 });
  assert.equal(back.deliveryMode, 2);
  assert.equal(back.priority, 3);
  assert.equal(back.expiration, '60000');
  assert.equal(back.messageId, 'm-1');
  assert.equal(back.timestamp, 1700000000);
});

test('ChunkBuilder reproduces RabbitMQ delivered chunks byte for byte (but the version nibble)', () => {
  for (const frame of FRAMES) {
    const f = decodeFrame(frame, 4);
    if (f.name !== 'Deliver') throw new Error(f.name);
    const h = readChunkHeader(f.chunk);
    const b = new ChunkBuilder();
    const r = new ChunkEntryReader(f.chunk, CHUNK_HEADER_SIZE, f.chunk.length);
    while (r.next()) b.addMessage(f.chunk, r.start, r.end);
    const ours = b.finish({
      chunkId: h.chunkId,
      epoch: h.epoch,
      timestamp: h.timestamp,
      trailer: Buffer.alloc(h.trailerLength),
    });
    const delivered = Buffer.concat(deliveryParts(ours));
    assert.equal(delivered[0], 0x51);
    delivered[0] = 0x50;
    assert.deepEqual(delivered, f.chunk);
  }
});
