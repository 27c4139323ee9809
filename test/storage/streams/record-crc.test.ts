// A stream chunk's log record carries the CRC32 of the whole stored chunk, combined from the chunk's data CRC
// (codec/stream/chunk.ts finishInto, util/crc32-combine.ts) rather than computed over the bytes again: every
// record written (with and without a deduplication trailer, one message or many) verifies, and so does each
// chunk's own data CRC.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileStreamLog } from '../../../src/storage/streams/stream-log.js';
import { CHUNK_HEADER_SIZE, chunkParts, crcMatches } from '../../../src/codec/stream/chunk.js';
import { FRAME_HEADER, frameAt } from '../../../src/storage/log/record.js';
import { MAGIC } from '../../../src/storage/log/segment-log.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('every chunk record written verifies by its frame CRC and its data CRC', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-record-crc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = new FileStreamLog(dir, 64 << 20, { appended() {}, failure() {}, deleted() {} }, 32);
  const body = Buffer.alloc(1000, 7);
  for (let turnNo = 0; turnNo < 20; turnNo++) {
    const n = 1 + turnNo * 37;
    for (let i = 0; i < n; i++)
      log.append(body, 0, 1 + ((i * 131) % body.length), i % 3 === 0 ? null : body.subarray(0, 4));
    if (turnNo % 4 === 1) log.tracking.setPublisherSequence(`producer-${turnNo}`, turnNo * 1000);
    await turn();
    await turn();
  }
  log.close();
  const seg = readdirSync(dir).find((n) => n.endsWith('.seg'))!;
  const file = readFileSync(join(dir, seg));
  let records = 0;
  let trailers = 0;
  for (let at = MAGIC.length; at < file.length; records++) {
    const n = frameAt(file, at, file.length, true, CHUNK_HEADER_SIZE);
    assert.ok(n > 0, `record ${records} at ${at} verifies`);
    const { header, data, trailer } = chunkParts(file.subarray(at + FRAME_HEADER, at + n));
    assert.ok(crcMatches(header, data), `chunk ${records}'s data CRC`);
    if (trailer.length > 0) trailers++;
    at += n;
  }
  assert.ok(records >= 5, `${records} records`);
  assert.ok(trailers >= 1, 'some chunks carry a trailer');
});
