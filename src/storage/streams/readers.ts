// Readers of a stream's log (storage/streams/stream-log.ts): ChunkReader decodes messages one at a time for
// the core's protocols (AMQP 0-9-1 consumers); RawChunkReader hands out whole stored chunks for the Stream
// protocol's Deliver, which sends them as they are. Both read from a LogCursor (thread pool, tail-following);
// a reader whose segment retention deleted moves to the oldest chunk kept.
import { CHUNK_HEADER_SIZE, ChunkEntryReader, readChunkHeader } from '../../codec/stream/chunk.js';
import { ChunkType } from '../../codec/stream/constants.js';
import type { StreamChunkReader, StreamReader } from '../../core/queue/stream/backing.js';
import type { Message } from '../../core/message.js';
import type { LogCursor } from '../log/cursor.js';
import type { LogPosition } from '../log/segment-log.js';
import { fromStreamMessage } from './convert.js';

/** What a reader needs of its stream. */
export interface ReaderSource {
  oldestPosition(): LogPosition;
}

/**
 * A reader for the core's consumers: whole stored chunks from a LogCursor, walked entry by entry; messages
 * before `start` are skipped (a reader starts at the chunk holding it). A reader whose segment retention
 * deleted moves to the oldest chunk kept.
 */
export class ChunkReader implements StreamReader {
  private chunks: Buffer[] = [];
  private ci = 0;
  private entries: ChunkEntryReader | null = null;
  /** Offset of the next entry of the current chunk. */
  private next = 0;
  private ts = 0;
  offset = -1;

  constructor(
    private readonly stream: ReaderSource,
    private readonly cursor: LogCursor,
    private readonly start: number,
    private readonly queueName: string,
  ) {}

  take(): Message | null {
    for (;;) {
      const r = this.entries;
      if (r !== null && r.next()) {
        const offset = this.next;
        this.next += r.records;
        // sub-batches (compressed, from stream clients) are not expanded for the core's consumers yet
        if (r.subBatch || offset < this.start) continue;
        this.offset = offset;
        return fromStreamMessage(r.buf.subarray(r.start, r.end), offset, this.ts, this.queueName);
      }
      this.entries = null;
      if (this.ci >= this.chunks.length) return null;
      const chunk = this.chunks[this.ci++]!;
      const h = readChunkHeader(chunk);
      const dataStart = CHUNK_HEADER_SIZE + h.bloomSize;
      this.entries = new ChunkEntryReader(chunk, dataStart, dataStart + h.dataLength);
      this.next = h.chunkId;
      this.ts = h.timestamp;
    }
  }

  async fill(): Promise<boolean> {
    try {
      const recs = await this.cursor.next(1024 * 1024);
      this.chunks = recs.map((r) => r.payload);
      this.ci = 0;
      return recs.length !== 0;
    } catch (e) {
      this.cursor.pos = this.stream.oldestPosition();
      throw e;
    }
  }

  close(): void {
    this.cursor.close();
  }
}

/** Whole stored user chunks, as they are (the Stream protocol's Deliver). */
export class RawChunkReader implements StreamChunkReader {
  private chunks: Buffer[] = [];
  private ci = 0;

  constructor(
    private readonly stream: ReaderSource,
    private readonly cursor: LogCursor,
  ) {}

  take(): Buffer | null {
    while (this.ci < this.chunks.length) {
      const c = this.chunks[this.ci++]!;
      if (c[1] === ChunkType.User) return c;
    }
    return null;
  }

  async fill(): Promise<boolean> {
    try {
      const recs = await this.cursor.next(1024 * 1024);
      this.chunks = recs.map((r) => r.payload);
      this.ci = 0;
      return recs.length !== 0;
    } catch (e) {
      this.cursor.pos = this.stream.oldestPosition();
      throw e;
    }
  }

  close(): void {
    this.cursor.close();
  }
}
