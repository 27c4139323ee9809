// Whole stored chunks for the Stream protocol's Deliver, which sends them as they are (the core's consumers
// read messages one at a time through chunk-reader.ts instead). Reads from a LogCursor (thread pool,
// tail-following); tracking chunks (deduplication state) are skipped; a reader whose segment retention
// deleted moves to the oldest chunk kept.
import { ChunkType } from '../../codec/stream/constants.js';
import type { StreamChunkReader } from '../../core/queue/stream/backing.js';
import type { LogCursor } from '../log/cursor.js';
import type { LogPosition } from '../log/segment-log.js';

/** Bytes of stored chunks a reader takes from its cursor at a time. */
const READ_BYTES = 1024 * 1024;

/**
 * The next stored chunks from `cursor` (both readers of a stream: this one and chunk-reader.ts); when
 * retention deleted the segment it was reading, the cursor moves to the oldest chunk kept and the error goes on.
 */
export async function nextChunks(cursor: LogCursor, oldest: () => LogPosition): Promise<Buffer[]> {
  try {
    return (await cursor.next(READ_BYTES)).map((r) => r.payload);
  } catch (e) {
    cursor.pos = oldest();
    throw e;
  }
}

export class RawChunkReader implements StreamChunkReader {
  private chunks: Buffer[] = [];
  private ci = 0;

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
    this.chunks = await nextChunks(this.cursor, this.oldest);
    this.ci = 0;
    return this.chunks.length !== 0;
  }

  close(): void {
    this.cursor.close();
  }
}
