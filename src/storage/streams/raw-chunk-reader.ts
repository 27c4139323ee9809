// Whole stored chunks for the Stream protocol's Deliver, which sends them as they are (the core's consumers
// read messages one at a time through chunk-reader.ts instead). Reads from a LogCursor (thread pool,
// tail-following); tracking chunks (deduplication state) are skipped; a reader whose segment retention
// deleted moves to the oldest chunk kept. The next read is started as soon as one completes (one read
// ahead), so the disk (or page cache) read of the next chunks overlaps the socket writes of these; reads go
// into pooled buffers, returned once the socket has written the chunks delivered from them.
import { ChunkType } from '../../codec/stream/constants.js';
import type { StreamChunkReader } from '../../core/queue/stream/backing.js';
import type { LogCursor } from '../log/cursor.js';
import type { LogPosition } from '../log/segment-log.js';

/** Bytes of stored chunks a reader takes from its cursor at a time. */
const READ_BYTES = 1024 * 1024;
/** The Deliver reader's reads: a chunk holds up to 1 MiB of messages, so that most reads hold a whole one. */
const RAW_READ_BYTES = 2 * 1024 * 1024;

/**
 * The next stored chunks from `cursor` (both readers of a stream: this one and chunk-reader.ts), read into
 * `into` when given; when retention deleted the segment it was reading, the cursor moves to the oldest chunk
 * kept and the error goes on.
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

/**
 * Read buffers for the Deliver readers, reused once the socket has written what was delivered from them:
 * a fresh 2 MiB buffer per read is page-faulted in (and zeroed by the kernel) every time, which measured at
 * ~220 MB/s on the shared test machine against several GB/s for a reused one. At most POOL_MAX are kept.
 */
const pool: Buffer[] = [];
const POOL_MAX = 16;

function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(RAW_READ_BYTES);
}

function giveBack(b: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(b);
}

interface Read {
  chunks: Buffer[];
  /** The pooled buffer the chunks are views of (null: they are not, e.g. a chunk longer than a read). */
  buf: Buffer | null;
}

const ignore = (): void => {};

export class RawChunkReader implements StreamChunkReader {
  private chunks: Buffer[] = [];
  private ci = 0;
  /** The pooled buffer `chunks` are views of, or null. */
  private buf: Buffer | null = null;
  /** The read started after the last one completed (null: none). */
  private ahead: Promise<Read> | null = null;

  constructor(
    /** The position of the oldest chunk kept (retention may delete what the cursor was reading). */
    private readonly oldest: () => LogPosition,
    private readonly cursor: LogCursor,
  ) {
    // Deliver sends chunks as they are (as osiris's sendfile does) and the client checks the chunk's own CRC;
    // the log's record CRC guards against torn writes, which the stream's open cuts off
    cursor.checkCrc = false;
  }

  take(): Buffer | null {
    while (this.ci < this.chunks.length) {
      const c = this.chunks[this.ci++]!;
      if (c[1] === ChunkType.User) return c;
    }
    return null;
  }

  async fill(whenWritten?: (release: () => void) => void): Promise<boolean> {
    // the chunks handed out so far may be in the socket's output still: their buffer is reused after that
    const old = this.buf;
    this.buf = null;
    this.chunks = [];
    if (old !== null && whenWritten !== undefined) whenWritten(() => giveBack(old));
    const p = this.ahead ?? this.read();
    this.ahead = null;
    const r = await p;
    this.chunks = r.chunks;
    this.buf = r.buf;
    this.ci = 0;
    if (r.chunks.length === 0) return false;
    // read on while these are delivered; a failure is seen by the fill() that awaits it
    this.ahead = this.read();
    this.ahead.catch(ignore);
    return true;
  }

  private async read(): Promise<Read> {
    const b = takeBuffer();
    const chunks = await nextChunks(this.cursor, this.oldest, RAW_READ_BYTES, b);
    if (chunks.length !== 0 && chunks[0]!.buffer === b.buffer) return { chunks, buf: b };
    giveBack(b);
    return { chunks, buf: null };
  }

  close(): void {
    this.cursor.close();
  }
}
