// The core's stream reader over a FileStreamLog: chunk-level bloom skips and per-message filtering (values
// known from the broker's conversion; Stream protocol messages in a matching chunk handed out), sub-batches
// (uncompressed and gzip expanded with their offsets, other compressions skipped), and chunkFilter.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Writer } from '../../../src/codec/buffer/writer.js';
import { FileStreamLog } from '../../../src/storage/streams/stream-log.js';
import type { StreamFilter, StreamReader } from '../../../src/core/queue/stream/backing.js';
import { BasicProperties, encodeProperties } from '../../../src/codec/amqp/properties.js';
import { formatByName } from '../../../src/core/formats.js';
import { Message } from '../../../src/core/message.js';
import '../../../src/frontend/amqp/format.js';

/** An AMQP 1.0 message of one data section (§3.2.6: 0x00 0x53 0x75, vbin8). */
function amqp10Sections(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([0x00, 0x53, 0x75, 0xa0, b.length]), b]);
}

function open(t: { after(fn: () => void): void }): FileStreamLog {
  const dir = mkdtempSync(join(tmpdir(), 'warren-chunk-reader-'));
  const log = new FileStreamLog(dir, 1 << 20, { appended() {}, failure() {}, deleted() {} }, 32);
  t.after(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return log;
}

/** A 0-9-1 message with an optional x-stream-filter-value header. */
function amqp(body: string, filter?: string): Message {
  const bp = new BasicProperties();
  if (filter !== undefined) bp.headers = { 'x-stream-filter-value': filter, other: 'x' };
  const w = new Writer(256);
  encodeProperties(w, bp);
  const props = Buffer.from(w.take()!);
  return new Message(formatByName('amqp-0-9-1')!, '', 'q', props, Buffer.from(body), true, 0, null, 0, 0);
}

async function readAll(r: StreamReader, until: number): Promise<[number, string][]> {
  const out: [number, string][] = [];
  for (;;) {
    for (let m = r.take(); m !== null; m = r.take()) out.push([r.offset, m.body.toString()]);
    if (out.length !== 0 && out[out.length - 1]![0] >= until) break;
    if (!(await r.fill())) break;
  }
  r.close();
  return out;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('filters: chunks skipped by bloom, messages by their known value, unfiltered ones with match-unfiltered', async (t) => {
  const log = open(t);
  // chunk 1: apples; chunk 2: oranges; chunk 3: unfiltered; chunk 4: mixed
  for (const [v, n] of [
    ['apple', 3],
    ['orange', 3],
    [undefined, 3],
  ] as const) {
    for (let i = 0; i < n; i++) log.appendMessage(amqp(`${v ?? 'none'}${i}`, v));
    // a chunk per group: the end of a turn cuts none while the log's fsync runs (group commit)
    log.flush();
    await turn();
  }
  log.appendMessage(amqp('mixed-apple', 'apple'));
  log.appendMessage(amqp('mixed-orange', 'orange'));
  log.appendMessage(amqp('mixed-none'));
  log.appendMessage(amqp('end', 'apple'));
  await turn();
  const read = (f: StreamFilter | null) => readAll(log.reader(0, 'q', f), 12);
  const bodies = async (f: StreamFilter | null) => (await read(f)).map(([, b]) => b);
  assert.deepEqual(await bodies({ values: ['apple'], matchUnfiltered: false }), [
    'apple0',
    'apple1',
    'apple2',
    'mixed-apple',
    'end',
  ]);
  assert.deepEqual(await bodies({ values: ['apple'], matchUnfiltered: true }), [
    'apple0',
    'apple1',
    'apple2',
    'none0',
    'none1',
    'none2',
    'mixed-apple',
    'mixed-none',
    'end',
  ]);
  const both = await read({ values: ['orange', 'apple'], matchUnfiltered: false });
  assert.deepEqual(
    both.map(([o]) => o),
    [0, 1, 2, 3, 4, 5, 9, 10, 12],
    'offsets are the stored ones',
  );
  assert.equal((await read(null)).length, 13);
  // chunkFilter tests a stored chunk's bloom: read the raw records
  const apple = log.chunkFilter({ values: ['apple'], matchUnfiltered: false });
  const none = log.chunkFilter({ values: ['kiwi'], matchUnfiltered: true });
  const { LogCursor } = await import('../../../src/storage/log/cursor.js');
  const recs = await new LogCursor((log as unknown as { log: never }).log, log.oldestPosition()).next(1 << 20);
  assert.deepEqual(
    recs.map((r) => [apple(r.payload), none(r.payload)]),
    [
      [true, false],
      [false, false],
      [false, true],
      [true, true],
    ],
  );
});

test('sub-batches: uncompressed and gzip expanded with their offsets, other compressions skipped', async (t) => {
  const log = open(t);
  const rec = (s: string): Buffer => {
    const m = amqp10Sections(s);
    const b = Buffer.alloc(4 + m.length);
    b.writeUInt32BE(m.length, 0);
    m.copy(b, 4);
    return b;
  };
  const batch = Buffer.concat([rec('b0'), rec('b1')]);
  log.appendMessage(amqp('first'));
  log.appendSubBatch(0, 2, batch.length, batch);
  log.appendSubBatch(1, 2, batch.length, gzipSync(batch));
  log.appendSubBatch(4, 2, batch.length, Buffer.from('zstd bytes'));
  log.appendMessage(amqp('last'));
  await turn();
  assert.equal(log.nextOffset, 8);
  assert.deepEqual(await readAll(log.reader(0, 'q'), 7), [
    [0, 'first'],
    [1, 'b0'],
    [2, 'b1'],
    [3, 'b0'],
    [4, 'b1'],
    [7, 'last'],
  ]);
  // starting inside a sub-batch
  assert.deepEqual(
    (await readAll(log.reader(4, 'q'), 7)).map(([o]) => o),
    [4, 7],
  );
});
