// A stream reader for the core's consumers (0-9-1, MQTT, STOMP): whole stored chunks from a LogCursor, walked
// entry by entry, each message converted for the core as it is taken. What it skips, and why:
// - chunks that are not user chunks (tracking chunks hold offsets and writer state, not messages);
// - with a filter (StreamFilter), chunks whose bloom filter cannot hold a wanted value (osiris_bloom:is_match),
//   and messages whose filter value is known and not wanted (see StreamBacking.reader);
// - messages before `start` (a reader starts at the chunk holding it).
// Sub-batches (Stream protocol publishers' batches) are expanded: uncompressed ones as RabbitMQ 3.13's
// rabbit_stream_queue does, gzip ones too (node:zlib; RabbitMQ skips every compressed sub-batch for 0-9-1);
// snappy, lz4 and zstd ones are skipped as RabbitMQ skips them (their offsets are passed over).
// A reader whose segment retention deleted moves to the oldest chunk kept.
import { gunzipSync } from 'node:zlib';
import { BloomMatcher } from '../../codec/stream/bloom.js';
import { CHUNK_HEADER_SIZE, ChunkEntryReader, Compression, readChunkHeader } from '../../codec/stream/chunk.js';
import { ChunkType } from '../../codec/stream/constants.js';
import { Amqp10Message } from '../../codec/amqp10/message.js';
import type { StreamFilter, StreamReader } from '../../core/queue/stream/backing.js';
import type { Message } from '../../core/message.js';
import type { LogCursor } from '../log/cursor.js';
import type { LogPosition } from '../log/segment-log.js';
import { storedFilterValue } from './convert.js';
import { StreamConverter } from './fast-convert.js';
import { nextChunks } from './raw-chunk-reader.js';

/** A compiled chunk test for `filter` (StreamBacking.chunkFilter). */
export function chunkFilter(filter: StreamFilter): (storedChunk: Buffer) => boolean {
  const m = new BloomMatcher(filter.values, filter.matchUnfiltered);
  return (chunk) => {
    const bloomSize = chunk[44]!;
    return m.matches(chunk.subarray(CHUNK_HEADER_SIZE, CHUNK_HEADER_SIZE + bloomSize));
  };
}

export class ChunkReader implements StreamReader {
  private chunks: Buffer[] = [];
  private ci = 0;
  private entries: ChunkEntryReader | null = null;
  /** The records of the sub-batch being expanded, and the offset after it. */
  private sub: ChunkEntryReader | null = null;
  private subEnd = 0;
  /** Offset of the next entry of the current chunk. */
  private next = 0;
  private ts = 0;
  offset = -1;
  private readonly matcher: BloomMatcher | null;
  private readonly wanted: Set<string> | null;
  private readonly matchUnfiltered: boolean;
  private readonly conv: StreamConverter;

  constructor(
    private readonly oldest: () => LogPosition,
    private readonly cursor: LogCursor,
    private readonly start: number,
    queueName: string,
    filter: StreamFilter | null,
  ) {
    this.matcher = filter === null ? null : new BloomMatcher(filter.values, filter.matchUnfiltered);
    this.wanted = filter === null ? null : new Set(filter.values);
    this.matchUnfiltered = filter?.matchUnfiltered ?? false;
    this.conv = new StreamConverter(queueName);
  }

  take(): Message | null {
    for (;;) {
      const s = this.sub;
      if (s !== null) {
        if (s.next()) {
          if (s.subBatch) continue; // no sub-batches inside a sub-batch
          const m = this.message(s.buf, s.start, s.end, this.next++);
          if (m !== null) return m;
          continue;
        }
        this.sub = null;
        this.next = this.subEnd;
      }
      const r = this.entries;
      if (r !== null && r.next()) {
        if (!r.subBatch) {
          const m = this.message(r.buf, r.start, r.end, this.next++);
          if (m !== null) return m;
          continue;
        }
        this.subEnd = this.next + r.records;
        if (this.subEnd <= this.start) {
          this.next = this.subEnd;
          continue;
        }
        const body = this.subBatchBody(r);
        if (body === null) this.next = this.subEnd;
        else this.sub = new ChunkEntryReader(body, 0, body.length);
        continue;
      }
      this.entries = null;
      if (this.ci >= this.chunks.length) return null;
      const chunk = this.chunks[this.ci++]!;
      const h = readChunkHeader(chunk);
      if (h.chunkType !== ChunkType.User) continue;
      if (h.chunkId + h.numRecords <= this.start) continue;
      const dataStart = CHUNK_HEADER_SIZE + h.bloomSize;
      if (this.matcher !== null && !this.matcher.matches(chunk.subarray(CHUNK_HEADER_SIZE, dataStart))) continue;
      this.entries = new ChunkEntryReader(chunk, dataStart, dataStart + h.dataLength);
      this.next = h.chunkId;
      this.ts = h.timestamp;
    }
  }

  /** The records of a sub-batch, or null for one this reader skips (snappy, lz4, zstd; damaged gzip). */
  private subBatchBody(r: ChunkEntryReader): Buffer | null {
    const raw = r.buf.subarray(r.start, r.end);
    if (r.compression === Compression.None) return raw;
    if (r.compression !== Compression.Gzip) return null;
    try {
      return gunzipSync(raw);
    } catch {
      return null;
    }
  }

  /** The core message at `offset`, or null when it is before the start or filtered out. */
  private message(buf: Buffer, start: number, end: number, offset: number): Message | null {
    if (offset < this.start) return null;
    const bytes = buf.subarray(start, end);
    let m: Message;
    if (this.wanted === null) m = this.conv.convert(bytes, offset, this.ts);
    else {
      const a = new Amqp10Message(bytes);
      const f = storedFilterValue(a);
      if (f.value !== null ? !this.wanted.has(f.value) : f.converted && !this.matchUnfiltered) return null;
      m = this.conv.convert(bytes, offset, this.ts, a);
    }
    this.offset = offset;
    return m;
  }

  async fill(): Promise<boolean> {
    this.chunks = await nextChunks(this.cursor, this.oldest);
    this.ci = 0;
    return this.chunks.length !== 0;
  }

  close(): void {
    this.cursor.close();
  }
}
