// A new connection's reads when the event-loop turn has spent its budget (admission.ts): the chunk is kept,
// the socket paused, and the chunk handled at the end of the turn or a later one, in arrival order with the
// other new connections' work, so that the turn ends and older connections' input (and their replies) goes
// first. Only for a connection younger than NEW_CONNECTION_MS: an established one is never held back.
import type { Duplex } from 'node:stream';
import { roughNow } from '../../util/rough-clock.js';
import { admission, NEW_CONNECTION_MS } from './admission.js';

export class DeferredReads {
  private chunks: Buffer[] = [];
  private readonly acceptedAt = roughNow();

  constructor(
    private readonly socket: Duplex,
    /** Handle a chunk as if it had just been read. */
    private readonly handle: (chunk: Buffer) => void,
    /** After the kept chunks: read on (unless something else holds the socket paused). */
    private readonly resume: () => void,
    /** Chunks are views of a buffer reused by the next read (shared-read.ts): keep copies. */
    private readonly copy: boolean,
  ) {}

  /** True if `chunk` is kept for later (the caller does nothing more with it now). */
  defer(chunk: Buffer): boolean {
    if (this.chunks.length === 0) {
      if (roughNow() - this.acceptedAt >= NEW_CONNECTION_MS || !admission.spent) return false;
      this.socket.pause();
      admission.later(this.run);
    }
    this.chunks.push(this.copy ? Buffer.from(chunk) : chunk);
    return true;
  }

  private readonly run = (): void => {
    const cs = this.chunks;
    this.chunks = [];
    for (const c of cs) this.handle(c);
    if (this.chunks.length === 0) this.resume();
  };
}
