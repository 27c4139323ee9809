// Whole stored chunks for the Stream protocol's Deliver, which sends them as they are (the core's consumers
// read messages one at a time through chunk-reader.ts instead). Reads from a LogCursor (thread pool,
// tail-following); tracking chunks (deduplication state) are skipped; a reader whose segment retention
// deleted moves to the oldest chunk kept.
import { ChunkType } from '../../codec/stream/constants.js';
import type { StreamChunkReader } from '../../core/queue/stream/backing.js';
import type { LogCursor } from '../log/cursor.js';
import type { LogPosition } from '../log/segment-log.js';

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
    try {
      const recs = await this.cursor.next(1024 * 1024);
      this.chunks = recs.map((r) => r.payload);
      this.ci = 0;
      return recs.length !== 0;
    } catch (e) {
      this.cursor.pos = this.oldest();
      throw e;
    }
  }

  close(): void {
    this.cursor.close();
  }
}
