// Whole stored chunks for the Stream protocol's Deliver, which sends them as they are (the core's consumers
// read messages one at a time through chunk-reader.ts instead). Reads through a LogBlockReader (fixed blocks,
// several read ahead in parallel on the thread pool, pooled buffers given back once the socket has written
// what was delivered from them: log/block-reader.ts); a chunk is handed out as its header and views of its
// data, in one block or across two, never copied. Tracking chunks (deduplication state) are skipped; a reader
// whose segment retention deleted starts again at the oldest chunk kept. The log's record CRC is not checked
// (chunks go out as they are, as osiris's sendfile; the client checks the chunk's own CRC; a torn tail is cut
// at open).
import { CHUNK_HEADER_SIZE } from '../../codec/stream/chunk.js';
import { ChunkType } from '../../codec/stream/constants.js';
import type { StoredChunk, StreamChunkReader } from '../../core/queue/stream/backing.js';
import { LogBlockReader } from '../log/block-reader.js';
import type { LogCursor } from '../log/cursor.js';
import type { LogPosition, SegmentLog } from '../log/segment-log.js';

/** Bytes of stored chunks a reader takes from its cursor at a time. */
const READ_BYTES = 1024 * 1024;

/**
 * The next stored chunks from `cursor` (chunk-reader.ts), read into `into` when given; when retention deleted
 * the segment it was reading, the cursor moves to the oldest chunk kept and the error goes on.
 */
export async function nextChunks(
  cursor: LogCursor,
  oldest: () => LogPosition,
  bytes = READ_BYTES,
  into: Buffer | null = null,
): Promise<Buffer[]> {
  try {
    return (await cursor.next(bytes, into)).map((r) => r.payload);
  } catch (e) {
    cursor.pos = oldest();
    throw e;
  }
}

export class RawChunkReader implements StreamChunkReader {
  private blocks: LogBlockReader;
  /** The record's payload parts (LogBlockReader.next), and the chunk handed out (both reused). */
  private readonly parts: Buffer[] = [];
  private readonly chunk: StoredChunk = { head: Buffer.alloc(0), data: [] };
  private whenWritten: ((release: () => void) => void) | null = null;
  private failed = false;
  private closed = false;

  constructor(
    private readonly log: SegmentLog,
    /** The position of the oldest chunk kept (retention may delete what the reader was reading). */
    private readonly oldest: () => LogPosition,
    pos: LogPosition,
    private readonly blockBytes?: number,
    private readonly ahead?: number,
  ) {
    this.blocks = new LogBlockReader(log, pos, blockBytes, ahead);
  }

  take(): StoredChunk | null {
    const parts = this.parts;
    for (;;) {
      const len = this.blocks.next(parts);
      if (len < 0) return null;
      if (len < CHUNK_HEADER_SIZE) continue;
      const p0 = parts[0]!;
      // the header's first bytes (type, bloom size) may be split between two blocks
      const first = p0.length >= CHUNK_HEADER_SIZE ? p0 : Buffer.concat(parts, CHUNK_HEADER_SIZE);
      if (first[1] !== ChunkType.User) continue;
      const headLen = CHUNK_HEADER_SIZE + first[44]!;
      const dataLen = first.readUInt32BE(36);
      const c = this.chunk;
      c.head = p0.length >= headLen ? p0.subarray(0, headLen) : Buffer.concat(parts, headLen);
      c.data.length = 0;
      // the data: [headLen, headLen + dataLen) of the payload, in as many parts as it lies in
      let skip = headLen;
      let need = dataLen;
      for (let i = 0; i < parts.length && need > 0; i++) {
        const p = parts[i]!;
        if (skip >= p.length) {
          skip -= p.length;
          continue;
        }
        const n = Math.min(need, p.length - skip);
        c.data.push(p.subarray(skip, skip + n));
        skip = 0;
        need -= n;
      }
      return c;
    }
  }

  async fill(whenWritten?: (release: () => void) => void): Promise<boolean> {
    if (whenWritten !== undefined && this.whenWritten === null) {
      this.whenWritten = whenWritten;
      this.blocks.whenWritten = whenWritten;
    }
    if (this.failed && !this.closed) {
      // the last fill failed (retention deleted the segment being read): start again at the oldest chunk kept
      this.failed = false;
      this.blocks.close();
      this.blocks = new LogBlockReader(this.log, this.oldest(), this.blockBytes, this.ahead);
      this.blocks.whenWritten = this.whenWritten;
    }
    try {
      return await this.blocks.fill();
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }

  close(): void {
    this.closed = true;
    this.blocks.close();
  }
}
