// The osiris chunk (osiris_log.erl "Chunk format"): ChunkBuilder writes the 48-byte header field by field as
// osiris does (magic/version 0x51, type, entries, records, timestamp, epoch, first offset, CRC32 of the data,
// data/trailer lengths, bloom size), then the bloom filter, data and trailer; ChunkEntryReader walks simple and
// sub-batch entries; deliveryParts is what osiris send_file/3 puts on the wire for a consumer (header, then the
// data without filter and trailer); the builder is reused across chunks without allocating per message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import {
  CHUNK_HEADER_SIZE,
  ChunkBuilder,
  ChunkEntryReader,
  Compression,
  chunkParts,
  crcMatches,
  deliveryParts,
  readChunkHeader,
} from '../../../../src/codec/stream/index.js';

test('header layout, entries, CRC and bloom of a chunk of simple entries', () => {
  const b = new ChunkBuilder();
  b.addMessage(Buffer.from('xxhelloxx'), 2, 7, Buffer.from('apple'));
  b.addMessage(Buffer.from('world'), 0, 5, Buffer.from('banana'));
  const chunk = b.finish({ chunkId: 100, epoch: 3, timestamp: 1700000000000, trailer: Buffer.from('TRK') });
  const data = Buffer.from(
    '00000005' + Buffer.from('hello').toString('hex') + '00000005' + Buffer.from('world').toString('hex'),
    'hex',
  );
  const header = Buffer.alloc(48);
  header.writeUInt8(0x51, 0);
  header.writeUInt8(0, 1);
  header.writeUInt16BE(2, 2);
  header.writeUInt32BE(2, 4);
  header.writeBigInt64BE(1700000000000n, 8);
  header.writeBigUInt64BE(3n, 16);
  header.writeBigUInt64BE(100n, 24);
  header.writeUInt32BE(crc32(data), 32);
  header.writeUInt32BE(data.length, 36);
  header.writeUInt32BE(3, 40);
  header.writeUInt8(16, 44);
  // the filter osiris_bloom:to_binary/1 gives for apple and banana (computed with Erlang/OTP 25)
  const bloom = Buffer.from('04000100000000000000060000000000', 'hex');
  assert.deepEqual(chunk, Buffer.concat([header, bloom, data, Buffer.from('TRK')]));
  const parts = chunkParts(chunk);
  assert.deepEqual(parts.header, {
    chunkType: 0,
    numEntries: 2,
    numRecords: 2,
    timestamp: 1700000000000,
    epoch: 3,
    chunkId: 100,
    crc: crc32(data),
    dataLength: data.length,
    trailerLength: 3,
    bloomSize: 16,
  });
  assert.ok(crcMatches(parts.header, parts.data));
  assert.deepEqual(deliveryParts(chunk), [chunk.subarray(0, 48), data]);
  const r = new ChunkEntryReader(chunk, 64, 64 + data.length);
  const got: string[] = [];
  while (r.next()) got.push(chunk.toString('utf8', r.start, r.end));
  assert.deepEqual(got, ['hello', 'world']);
});

test('a chunk without filter values has no filter; with some unfiltered entries bit 0 is set', () => {
  const b = new ChunkBuilder();
  b.addMessage(Buffer.from('a'));
  const plain = b.finish({ chunkId: 0, epoch: 1, timestamp: 0 });
  assert.equal(readChunkHeader(plain).bloomSize, 0);
  assert.equal(plain.length, CHUNK_HEADER_SIZE + 5);
  b.addMessage(Buffer.from('a'), 0, 1, Buffer.from('apple'));
  b.addMessage(Buffer.from('b'), 0, 1, Buffer.from('banana'));
  b.addMessage(Buffer.from('c'));
  const mixed = b.finish({ chunkId: 1, epoch: 1, timestamp: 0 });
  assert.equal(chunkParts(mixed).bloom.toString('hex'), '84000100000000000000060000000000');
  const big = new ChunkBuilder(32);
  big.addMessage(Buffer.from('x'), 0, 1, Buffer.from('california'));
  assert.equal(
    chunkParts(big.finish({ chunkId: 0, epoch: 1, timestamp: 0 })).bloom.toString('hex'),
    '0000010000000000000000000000080000000000000000000000000000000000',
  );
});

test('sub-batch entries: type bit, compression, records, lengths', () => {
  const b = new ChunkBuilder();
  b.addSubBatch(Compression.Gzip, 3, 30, Buffer.from('compressed'));
  b.addMessage(Buffer.from('m'));
  const chunk = b.finish({ chunkId: 7, epoch: 1, timestamp: 5 });
  const h = readChunkHeader(chunk);
  assert.equal(h.numEntries, 2);
  assert.equal(h.numRecords, 4);
  assert.equal(chunk[48], 0x80 | (1 << 4));
  const r = new ChunkEntryReader(chunk, 48, 48 + h.dataLength);
  assert.ok(r.next());
  assert.deepEqual(
    [r.subBatch, r.compression, r.records, r.uncompressedLength, chunk.toString('utf8', r.start, r.end)],
    [true, 1, 3, 30, 'compressed'],
  );
  assert.ok(r.next());
  assert.deepEqual([r.subBatch, r.records, chunk.toString('utf8', r.start, r.end)], [false, 1, 'm']);
  assert.equal(r.next(), false);
});

test('malformed chunks are refused: bad magic, truncated header, entries overrunning the data', () => {
  const b = new ChunkBuilder();
  b.addMessage(Buffer.from('abc'));
  const chunk = b.finish({ chunkId: 0, epoch: 1, timestamp: 0 });
  const bad = Buffer.from(chunk);
  bad[0] = 0x40;
  assert.throws(() => readChunkHeader(bad), /bad chunk magic/);
  assert.throws(() => readChunkHeader(chunk.subarray(0, 47)), /truncated chunk header/);
  assert.throws(() => chunkParts(chunk.subarray(0, chunk.length - 1)), /truncated chunk/);
  const r = new ChunkEntryReader(chunk, 48, chunk.length - 1);
  assert.throws(() => r.next(), /overruns/);
});

test('encoding a chunk of many small messages does not allocate per message', () => {
  const b = new ChunkBuilder(16, 1 << 20);
  const msg = Buffer.alloc(16, 7);
  const filter = Buffer.from('f');
  for (let i = 0; i < 1000; i++) b.addMessage(msg, 0, 16, filter);
  b.finish({ chunkId: 0, epoch: 1, timestamp: 0 });
  const before = process.memoryUsage().heapUsed;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 10000; i++) b.addMessage(msg, 0, 16, filter);
    b.finish({ chunkId: round, epoch: 1, timestamp: 0 });
  }
  const grown = process.memoryUsage().heapUsed - before;
  // 200,000 messages: an object per message would be several MB of heap; chunk Buffers live off-heap
  assert.ok(grown < 2_000_000, `heap grew by ${grown} bytes`);
});
