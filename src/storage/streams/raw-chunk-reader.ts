// Whole stored chunks for the Stream protocol's Deliver, which sends them as they are (the core's consumers
// read messages one at a time through chunk-reader.ts instead). Reads from a LogCursor (thread pool,
// tail-following); tracking chunks (deduplication state) are skipped; a reader whose segment retention
// deleted moves to the oldest chunk kept. The next read is started as soon as one completes (one read
// ahead), so the disk (or page cache) read of the next chunks overlaps the socket writes of these.
import { ChunkType } from '../../codec/stream/constants.js';
import type { StreamChunkReader } from '../../core/queue/stream/backing.js';
import type { LogCursor } from '../log/cursor.js';
import type { LogPosition } from '../log/segment-log.js';

/** Bytes of stored chunks a reader takes from its cursor at a time. */
const READ_BYTES = 1024 * 1024;
/** The Deliver reader's reads: a chunk holds up to 1 MiB of messages, so that most reads hold a whole one. */
const RAW_READ_BYTES = 2 * 1024 * 1024;

/**
 * The next stored chunks from `cursor` (both readers of a stream: this one and chunk-reader.ts); when
 * retention deleted the segment it was reading, the cursor moves to the oldest chunk kept and the error goes on.
 */
export async function nextChunks(cursor: LogCursor, oldest: () => LogPosition, bytes = READ_BYTES): Promise<Buffer[]> {
  try {
    return (await cursor.next(bytes)).map((r) => r.payload);
  } catch (e) {
    cursor.pos = oldest();
    throw e;
  }
}

const ignore = (): void => {};

export class RawChunkReader implements StreamChunkReader {
  private chunks: Buffer[] = [];
  private ci = 0;
  /** The read started after the last one completed (null: none). */
  private ahead: Promise<Buffer[]> | null = null;

  constructor(
    /** The position of the oldest chunk kept (retention may delete what the cursor was reading). */
    private readonly oldest: () => LogPosition,
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
    const p = this.ahead ?? nextChunks(this.cursor, this.oldest, RAW_READ_BYTES);
    this.ahead = null;
    this.chunks = await p;
    this.ci = 0;
    if (this.chunks.length === 0) return false;
    // read on while these are delivered; a failure is seen by the fill() that awaits it
    this.ahead = nextChunks(this.cursor, this.oldest, RAW_READ_BYTES);
    this.ahead.catch(ignore);
    return true;
  }

  close(): void {
    this.cursor.close();
  }
}
