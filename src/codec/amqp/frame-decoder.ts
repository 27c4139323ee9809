// FrameDecoder: socket chunks in, frames out (amqp0-9-1 §4.2.3: type, channel u16, size u32, payload, 0xCE),
// mirroring rabbit_reader:handle_input/3. Frames go to the handler as views of the chunk (valid during the call);
// only a frame split across chunks is copied, into a reused buffer that doubles as needed, or a large body frame
// into a body buffer of its own (body-pool.ts). Nothing keeps a view of a chunk once push() returns, so the
// caller may read the next chunk into the same memory (net/shared-read.ts). Errors are CodecError
// 501 with RabbitMQ's texts: an oversized frame is refused from its 7-byte header, before buffering; after that or
// a bad frame-end the stream has lost sync and further input is ignored. An unknown frame type keeps the stream
// in sync. parseProtocolHeader checks the 8-byte protocol header.
import { FRAME_END, FRAME_HEADER_SIZE, PROTOCOL_HEADER, PROTOCOL_HEADER_0_9 } from './constants.js';
import { CodecError, frameErrorText } from './errors.js';
import { POOL_MIN, takeBody } from '../../util/body-pool.js';

export interface FrameHandler {
  /**
   * payload is a view, valid only during the call (the chunk may be a read buffer reused by the next read:
   * net/shared-read.ts), unless payloadIsCopy says it is a buffer of its own.
   */
  onFrame(type: number, channel: number, payload: Buffer): void;
}

/**
 * RabbitMQ lets a frame's payload exceed frame_max - 8 by this much, "since quite a few [clients] get it wrong"
 * (rabbit_reader ?FRAME_SIZE_FUDGE = ?EMPTY_FRAME_SIZE): the payload limit is effectively frame_max.
 */
export const FRAME_SIZE_FUDGE = 8;

const EMPTY = Buffer.alloc(0);
/** The split-frame buffer is kept for reuse up to this size. */
const KEEP_PENDING = 65536;
export class FrameDecoder {
  /** Negotiated frame-max (0 = no limit); settable after connection.tune-ok. */
  frameMax: number;
  /** A split frame's bytes so far: pend[0, pendLen). */
  private pend: Buffer;
  private pendLen: number;
  /** Bytes left unparsed when the handler threw (rare): parsed first on the next push. */
  private stash: Buffer | null;
  /** Lost sync (oversized frame or bad frame-end): all further input is ignored. */
  private failed: boolean;
  /** Set by the handler (yieldAfterFrame): stop after the frame being handled. */
  private yielding = false;
  /**
   * A split body frame of POOL_MIN bytes or more, copied straight into a body buffer of its own (body-pool.ts)
   * that the handler may keep as the message body: one copy, no staging buffer. Else null.
   */
  private body: Buffer | null = null;
  /** Its payload bytes in so far, and its channel. */
  private bodyFill = 0;
  private bodyChannel = 0;

  constructor(
    private readonly handler: FrameHandler,
    frameMax = 131072,
  ) {
    this.frameMax = frameMax;
    this.pend = EMPTY;
    this.pendLen = 0;
    this.stash = null;
    this.failed = false;
  }

  /**
   * True while onFrame runs with a payload in a buffer of its own, not a view of a socket chunk nor of a
   * buffer the decoder reuses: the handler may keep it as is. A large split body frame comes this way in a
   * buffer from body-pool.ts, which the handler may hand back (giveBack) once it has copied it elsewhere.
   */
  payloadIsCopy = false;

  /**
   * Called by the handler during onFrame: stop after this frame and keep the rest of the chunk (copied) for
   * the next push (an empty one will do). The connection uses it to take turns with other connections.
   */
  yieldAfterFrame(): void {
    this.yielding = true;
  }

  /** Bytes kept by yieldAfterFrame (or a throwing handler), parsed first on the next push. */
  get stashed(): number {
    return this.stash === null ? 0 : this.stash.length;
  }

  /** Calls handler.onFrame synchronously for each complete frame in chunk. */
  push(chunk: Buffer): void {
    if (this.failed) return;
    if (this.stash !== null) {
      chunk = chunk.length === 0 ? this.stash : Buffer.concat([this.stash, chunk]);
      this.stash = null;
    }
    let off = 0;
    if (this.pendLen !== 0 && this.pendLen < FRAME_HEADER_SIZE) {
      off = this.fillHeader(chunk);
      if (off < 0) return;
    }
    if (this.body !== null) {
      off = this.fillBody(chunk, off);
      if (off < 0) return;
    } else if (this.pendLen !== 0) {
      off = this.fillPending(chunk, off);
      if (off < 0) return; // chunk consumed, frame still incomplete
      const n = this.pendLen;
      const pend = this.pend;
      this.pendLen = 0;
      // a buffer grown for a big frame is not kept per connection: the next big split allocates again,
      // and the handler may keep this one's payload without copying it (payloadIsCopy)
      const handOver = pend.length > KEEP_PENDING;
      if (handOver) this.pend = EMPTY;
      this.payloadIsCopy = handOver && pend.length === n;
      try {
        this.dispatch(pend, 0, n);
      } catch (e) {
        this.keepRest(chunk, off);
        throw e;
      } finally {
        this.payloadIsCopy = false;
      }
    }
    if (this.yielding) {
      // the split frame just completed was the handler's last this turn
      this.yielding = false;
      this.keepRest(chunk, off);
      return;
    }
    this.parse(chunk, off);
  }

  /** Bytes of a split frame buffered so far (0 between frames). */
  get buffered(): number {
    return this.body !== null ? FRAME_HEADER_SIZE + this.bodyFill : this.pendLen;
  }

  private parse(buf: Buffer, off: number): void {
    const end = buf.length;
    try {
      while (end - off >= FRAME_HEADER_SIZE) {
        const size = ((buf[off + 3]! << 24) >>> 0) + ((buf[off + 4]! << 16) | (buf[off + 5]! << 8) | buf[off + 6]!);
        this.checkSize(buf[off]!, size);
        const frameEnd = off + FRAME_HEADER_SIZE + size;
        if (frameEnd >= end) break;
        const start = off;
        off = frameEnd + 1; // advanced first: if the handler throws, the rest of the chunk is kept
        this.dispatch(buf, start, frameEnd + 1);
        if (this.yielding) {
          this.yielding = false;
          this.keepRest(buf, off);
          return;
        }
      }
    } catch (e) {
      this.keepRest(buf, off);
      throw e;
    }
    if (off < end) this.savePartial(buf, off, end);
  }

  /** Validates frame-end and type of the frame buf[start, end), then hands it to the handler. */
  private dispatch(buf: Buffer, start: number, end: number): void {
    const type = buf[start]!;
    const ps = start + FRAME_HEADER_SIZE;
    const pe = end - 1;
    if (buf[pe] !== FRAME_END) {
      this.failed = true;
      throw new CodecError(501, frameErrorText(type, buf, ps, pe, `{invalid_frame_end_marker,${buf[pe]}}`));
    }
    const size = pe - ps;
    // rabbit_command_assembler:analyze_frame/3: anything else is an unknown frame
    if (type === 1 ? size < 4 : type === 2 ? size < 12 : type === 8 ? size !== 0 : type !== 3) {
      throw new CodecError(501, frameErrorText(type, buf, ps, pe, 'unknown_frame'));
    }
    this.handler.onFrame(type, (buf[start + 1]! << 8) | buf[start + 2]!, buf.subarray(ps, pe));
  }

  /** rabbit_reader: PayloadSize > FrameMax - ?EMPTY_FRAME_SIZE + ?FRAME_SIZE_FUDGE is a fatal frame_error. */
  private checkSize(type: number, size: number): void {
    const fm = this.frameMax;
    if (fm !== 0 && size > fm - 8 + FRAME_SIZE_FUDGE) {
      this.failed = true;
      throw new CodecError(501, frameErrorText(type, EMPTY, 0, 0, `{frame_too_large,${size},${fm - 8}}`));
    }
  }

  /** Copies the start of a split frame, buf[off, end), into the pending buffer. */
  private savePartial(buf: Buffer, off: number, end: number): void {
    const n = end - off;
    if (n >= FRAME_HEADER_SIZE && this.startPooledBody(buf, off)) {
      // copied into the body's own buffer as it arrives; the 7 header bytes are not needed any more
      this.bodyFill = buf.copy(this.body!, 0, off + FRAME_HEADER_SIZE, end);
      return;
    }
    // sized by the bytes received, not the declared size, unless frame_max bounds it (checkSize ran in
    // parse() for a frame whose header is here): then the whole frame is allocated once
    if (this.frameMax !== 0 && n >= FRAME_HEADER_SIZE) {
      this.reserveExact(FRAME_HEADER_SIZE + buf.readUInt32BE(off + 3) + 1);
    } else this.reserve(Math.max(n, FRAME_HEADER_SIZE));
    buf.copy(this.pend, 0, off, end);
    this.pendLen = n;
  }

  /**
   * Completes a frame header split across chunks; a large body frame's goes on as a body buffer (fillBody).
   * Returns the chunk offset after the header bytes, or -1 if still incomplete.
   */
  private fillHeader(chunk: Buffer): number {
    const have = this.pendLen;
    const take = Math.min(FRAME_HEADER_SIZE - have, chunk.length);
    chunk.copy(this.pend, have, 0, take);
    this.pendLen = have + take;
    if (this.pendLen < FRAME_HEADER_SIZE) return -1;
    this.checkSize(this.pend[0]!, this.pend.readUInt32BE(3));
    if (this.startPooledBody(this.pend, 0)) this.pendLen = 0;
    return take;
  }

  /**
   * If the frame header at h[at] is a body frame of POOL_MIN bytes or more, it goes on in a body buffer of
   * its own (fillBody): true, with `body` set up and empty.
   */
  private startPooledBody(h: Buffer, at: number): boolean {
    const size = h.readUInt32BE(at + 3);
    if (h[at] !== 3 || size < POOL_MIN) return false;
    this.body = takeBody(size);
    this.bodyFill = 0;
    this.bodyChannel = h.readUInt16BE(at + 1);
    return true;
  }

  /**
   * Adds chunk bytes from `off` to the pending frame (its header is in); returns the chunk offset after them,
   * or -1 if still incomplete.
   */
  private fillPending(chunk: Buffer, off: number): number {
    const total = FRAME_HEADER_SIZE + this.pend.readUInt32BE(3) + 1;
    const take = Math.min(total - this.pendLen, chunk.length - off);
    // once frame_max bounds the declared size (checkSize ran), allocate the whole frame once
    if (this.frameMax !== 0) this.reserveExact(total);
    else this.reserve(this.pendLen + take);
    chunk.copy(this.pend, this.pendLen, off, off + take);
    this.pendLen += take;
    off += take;
    return this.pendLen === total ? off : -1;
  }

  /**
   * Copies chunk bytes into the split body frame; when its payload and frame-end are in, hands it to the
   * handler (payloadIsCopy). Returns the chunk offset after the frame, or -1 if still incomplete.
   */
  private fillBody(chunk: Buffer, off: number): number {
    const body = this.body!;
    if (this.bodyFill < body.length) {
      const take = Math.min(body.length - this.bodyFill, chunk.length - off);
      chunk.copy(body, this.bodyFill, off, off + take);
      this.bodyFill += take;
      off += take;
      if (off === chunk.length) return -1;
    }
    if (off === chunk.length) return -1;
    this.body = null;
    if (chunk[off] !== FRAME_END) {
      this.failed = true;
      throw new CodecError(501, frameErrorText(3, body, 0, body.length, `{invalid_frame_end_marker,${chunk[off]}}`));
    }
    this.payloadIsCopy = true;
    try {
      this.handler.onFrame(3, this.bodyChannel, body);
    } catch (e) {
      this.keepRest(chunk, off + 1);
      throw e;
    } finally {
      this.payloadIsCopy = false;
    }
    return off + 1;
  }

  /** Room for exactly n bytes (no doubling: a large frame's buffer may be handed over and kept). */
  private reserveExact(n: number): void {
    if (this.pend.length >= n) return;
    const nb = Buffer.allocUnsafe(n <= KEEP_PENDING ? Math.max(n, 256) : n);
    this.pend.copy(nb, 0, 0, this.pendLen);
    this.pend = nb;
  }

  /** Room for n bytes in the pending buffer (doubling; the bytes already there are kept). */
  private reserve(n: number): void {
    if (this.pend.length >= n) return;
    let cap = Math.max(this.pend.length, 256);
    while (cap < n) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.pend.copy(nb, 0, 0, this.pendLen);
    this.pend = nb;
  }

  private keepRest(buf: Buffer, off: number): void {
    if (!this.failed && off < buf.length) this.stash = Buffer.from(buf.subarray(off));
  }
}

/** Checks the first bytes of a connection: 'ok' for AMQP 0-9-1 (or 0-9, as RabbitMQ accepts it). */
export function parseProtocolHeader(buf: Buffer): 'ok' | 'need-more' | 'bad' {
  const n = Math.min(buf.length, 8);
  if (matches(buf, n, PROTOCOL_HEADER) || matches(buf, n, PROTOCOL_HEADER_0_9)) return n === 8 ? 'ok' : 'need-more';
  return 'bad';
}

function matches(buf: Buffer, n: number, header: Buffer): boolean {
  for (let i = 0; i < n; i++) if (buf[i] !== header[i]) return false;
  return true;
}
