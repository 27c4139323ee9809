// StreamFrameDecoder: socket chunks in, frames out (PROTOCOL.adoc "Frame Structure": Size uint32, then Size bytes),
// as rabbit_stream_core:incoming_data/2 splits them. A frame wholly inside a chunk goes to the handler as a view
// of the chunk (valid during the call); only a frame split across chunks is copied, into a buffer reused from
// one split frame to the next. A frame whose size exceeds maxFrameSize (the tuned frame-max; 0 = no limit) is
// refused from its size prefix, before anything is buffered: StreamCodecError FrameTooLarge (14), after which
// the stream is out of sync and further input is ignored. RabbitMQ's test is the same (rabbit_stream_reader
// handle_inbound_data: `Size > FrameMax - 4`), answered with a Close (code 14, reason FRAME_TOO_LARGE_REASON);
// it makes it once the whole frame is in, this decoder as soon as the prefix is.
import { ResponseCode } from './constants.js';
import { StreamCodecError } from './wire.js';

export interface StreamFrameHandler {
  /** One frame's bytes after the size prefix: buf[start, end). A view: copy what must outlive the call. */
  onFrame(buf: Buffer, start: number, end: number): void;
}

/** The Close reason RabbitMQ sends with FrameTooLarge (rabbit_stream_reader). */
export const FRAME_TOO_LARGE_REASON = 'frame too large';

const EMPTY = Buffer.alloc(0);
const KEEP_PENDING = 65536;

export class StreamFrameDecoder {
  /** Largest frame accepted, size prefix included (0 = no limit). Set after Tune. */
  maxFrameSize: number;
  private pend: Buffer = EMPTY;
  private pendLen = 0;
  /** The split frame's full length (prefix included), or -1 while fewer than 4 bytes of it are in. */
  private need = -1;
  private failed = false;

  constructor(
    private readonly handler: StreamFrameHandler,
    maxFrameSize = 0,
  ) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes of a split frame held back (for tests and memory accounting). */
  get buffered(): number {
    return this.pendLen;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let p = 0;
    const n = chunk.length;
    if (this.pendLen > 0) {
      p = this.fillPending(chunk);
      if (p < 0) return;
    }
    while (p < n) {
      if (n - p < 4) {
        this.stash(chunk, p, n);
        return;
      }
      const size = chunk.readUInt32BE(p);
      this.check(size);
      const end = p + 4 + size;
      if (end > n) {
        this.stash(chunk, p, n);
        this.need = 4 + size;
        return;
      }
      this.handler.onFrame(chunk, p + 4, end);
      p = end;
    }
  }

  private check(size: number): void {
    if (this.maxFrameSize > 0 && size + 4 > this.maxFrameSize) {
      this.failed = true;
      this.pendLen = 0;
      throw new StreamCodecError(
        `frame of ${size + 4} bytes exceeds the maximum of ${this.maxFrameSize}`,
        ResponseCode.FrameTooLarge,
      );
    }
  }

  /** Completes the split frame from `chunk`; returns where the rest of chunk starts, or -1 if all was taken. */
  private fillPending(chunk: Buffer): number {
    let p = 0;
    if (this.need < 0) {
      const take = Math.min(4 - this.pendLen, chunk.length);
      this.append(chunk, 0, take);
      p = take;
      if (this.pendLen < 4) return -1;
      const size = this.pend.readUInt32BE(0);
      this.check(size);
      this.need = 4 + size;
    }
    const take = Math.min(this.need - this.pendLen, chunk.length - p);
    this.append(chunk, p, p + take);
    p += take;
    if (this.pendLen < this.need) return -1;
    const frame = this.pend;
    const len = this.pendLen;
    this.pendLen = 0;
    this.need = -1;
    if (frame.length > KEEP_PENDING) this.pend = EMPTY;
    this.handler.onFrame(frame, 4, len);
    return p;
  }

  private stash(chunk: Buffer, from: number, to: number): void {
    this.pendLen = 0;
    this.need = -1;
    this.append(chunk, from, to);
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.pendLen + n > this.pend.length) {
      let cap = Math.max(256, this.pend.length);
      while (cap < this.pendLen + n) cap *= 2;
      const nb = Buffer.allocUnsafe(cap);
      this.pend.copy(nb, 0, 0, this.pendLen);
      this.pend = nb;
    }
    chunk.copy(this.pend, this.pendLen, from, to);
    this.pendLen += n;
  }
}
