// Records of the message log. Each is framed as u32 payload length, u32 CRC32 of the payload, payload; a
// frame whose length runs past the end of the file or whose CRC does not match is a torn write (the process
// or machine died mid-write) and ends the readable part of a segment. Little-endian throughout.
//
// payload: u8 type, u32 queue id, f64 seq (the copy's position in its queue), then by type:
//   PUBLISH   u8 flags (1 persistent, 2 has expiration), u8 priority, f64 timestamp, u8+format name,
//             u8+exchange, u16+routing key, u8+expiration, u32+props (protocol bytes as received), u32+body
//   REMOVE    u32 segment of the PUBLISH (acked, rejected, purged: it never comes back)
//   DELIVERED u32 segment of the PUBLISH (delivered once: comes back redelivered after a crash)
//   REF       u8 flags, u32 offset and u32 length of a PUBLISH in the same segment, u32 its queue id: the
//             same message in another queue, its body stored once (a persistent message routed to N
//             durable queues is one PUBLISH and N-1 REFs)
import { crc32 } from 'node:zlib';
import { idle, sweepForget, sweepLater, type Sweepable } from '../../util/buffer-sweep.js';
import { SHORT_CRC_MAX, crc32Short } from '../../util/crc32-short.js';

export const REC_PUBLISH = 1;
export const REC_REMOVE = 2;
export const REC_DELIVERED = 3;
export const REC_REF = 4;

export const FLAG_PERSISTENT = 1;
export const FLAG_EXPIRATION = 2;

export const FRAME_HEADER = 8;
/** Bytes of a REF frame. */
export const REF_LEN = 8 + 1 + 4 + 8 + 1 + 4 + 4 + 4;
/** Bytes of a REMOVE/DELIVERED frame. */
export const MARK_LEN = 8 + 1 + 4 + 8 + 4;
const COMMON = 1 + 4 + 8;
/** Bytes of the shortest frame `frameAt` accepts as a record (a bound on how many records a segment holds). */
export const MIN_FRAME = FRAME_HEADER + COMMON;
/** PUBLISH fixed part after the common fields: flags, priority, timestamp. */
const PUBLISH_FIXED = 1 + 1 + 8;

/** A RecordBuffer's first allocation, on its first record. */
const FIRST_BYTES = 64 * 1024;

const NO_BYTES = Buffer.alloc(0);

/**
 * A growable output buffer for records; `written` starts it again. It starts empty: every stream has one (its
 * SegmentLog's), and a MiB each up front was a MiB of external memory per stream declared, which V8 answers
 * with garbage collections (the Stream fuzz run's broker spent 20% of its CPU in GC). It is let go again
 * once idle (util/buffer-sweep.ts).
 */
export class RecordBuffer implements Sweepable {
  buf: Buffer = NO_BYTES;
  pos = 0;
  /** The most bytes written out at once since the last sweep. */
  peak = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = Math.max(this.buf.length * 2, FIRST_BYTES);
    while (size < this.pos + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
    sweepLater(this);
  }

  sweep(): boolean {
    const gone = this.pos === 0 && idle(this.peak, this.buf.length);
    if (gone) this.buf = NO_BYTES;
    this.peak = 0;
    return gone;
  }

  /** Everything buffered was written out: start again (and note how much it was, for the sweep). */
  written(): void {
    if (this.pos > this.peak) this.peak = this.pos;
    this.pos = 0;
  }

  /** The log is closed: nothing more will be written (its buffer goes with it). */
  release(): void {
    this.pos = 0;
    this.buf = NO_BYTES;
    sweepForget(this);
  }

  publish(
    queueId: number,
    seq: number,
    persistent: boolean,
    priority: number,
    timestamp: number,
    format: string,
    exchange: string,
    routingKey: string,
    expiration: string | null,
    props: Buffer,
    body: Buffer,
  ): number {
    const fl = Buffer.byteLength(format);
    const xl = Buffer.byteLength(exchange);
    const rl = Buffer.byteLength(routingKey);
    const el = expiration === null ? 0 : Buffer.byteLength(expiration);
    const payload = COMMON + PUBLISH_FIXED + 1 + fl + 1 + xl + 2 + rl + 1 + el + 4 + props.length + 4 + body.length;
    this.room(FRAME_HEADER + payload);
    const b = this.buf;
    const start = this.pos;
    let p = start + FRAME_HEADER;
    b.writeUInt32LE(payload, start);
    b[p++] = REC_PUBLISH;
    b.writeUInt32LE(queueId, p);
    b.writeDoubleLE(seq, p + 4);
    p += 12;
    b[p++] = (persistent ? FLAG_PERSISTENT : 0) | (expiration !== null ? FLAG_EXPIRATION : 0);
    b[p++] = priority;
    b.writeDoubleLE(timestamp, p);
    p += 8;
    b[p++] = fl;
    p += b.write(format, p, 'latin1');
    b[p++] = xl;
    p += b.write(exchange, p, 'utf8');
    b.writeUInt16LE(rl, p);
    p += 2 + b.write(routingKey, p + 2, 'utf8');
    b[p++] = el;
    if (expiration !== null) p += b.write(expiration, p, 'utf8');
    b.writeUInt32LE(props.length, p);
    p += 4 + props.copy(b, p + 4);
    b.writeUInt32LE(body.length, p);
    p += 4 + body.copy(b, p + 4);
    b.writeUInt32LE(crc32(b.subarray(start + FRAME_HEADER, p)), start + 4);
    this.pos = p;
    return p - start;
  }

  /** A frame around `payload` (any record kind: a stream's entries use the same framing). */
  frame(payload: Buffer): number {
    const n = FRAME_HEADER + payload.length;
    this.room(n);
    const b = this.buf;
    b.writeUInt32LE(payload.length, this.pos);
    b.writeUInt32LE(crc32(payload), this.pos + 4);
    payload.copy(b, this.pos + FRAME_HEADER);
    this.pos += n;
    return n;
  }

  /**
   * A frame whose payload (n bytes) `write` puts at buf[at, at + n): a payload built in place, not copied.
   * `write` returns the payload's CRC32 (a stream chunk's is combined from its data's, util/crc32-combine.ts,
   * so that a megabyte is not read twice for two CRCs).
   */
  frameWith(n: number, write: (buf: Buffer, at: number) => number): number {
    const total = FRAME_HEADER + n;
    this.room(total);
    const b = this.buf;
    const p = this.pos;
    const crc = write(b, p + FRAME_HEADER);
    b.writeUInt32LE(n, p);
    b.writeUInt32LE(crc >>> 0, p + 4);
    this.pos += total;
    return total;
  }

  /** A whole frame copied as it is (compaction moving a record forward, a follower taking the leader's). */
  raw(src: Buffer, start: number, len: number): void {
    this.room(len);
    src.copy(this.buf, this.pos, start, start + len);
    this.pos += len;
  }

  /** REF: queue `queueId` holds, as its `seq`, the message whose PUBLISH (of queue `owner`) is at bodyOff. */
  ref(queueId: number, seq: number, persistent: boolean, bodyOff: number, bodyLen: number, owner: number): void {
    const payload = COMMON + 1 + 4 + 4 + 4;
    this.room(FRAME_HEADER + payload);
    const b = this.buf;
    const start = this.pos;
    const p = start + FRAME_HEADER;
    b.writeUInt32LE(payload, start);
    b[p] = REC_REF;
    b.writeUInt32LE(queueId, p + 1);
    b.writeDoubleLE(seq, p + 5);
    b[p + 13] = persistent ? FLAG_PERSISTENT : 0;
    b.writeUInt32LE(bodyOff, p + 14);
    b.writeUInt32LE(bodyLen, p + 18);
    b.writeUInt32LE(owner, p + 22);
    b.writeUInt32LE(crc32Short(b, p, p + payload), start + 4);
    this.pos = p + payload;
  }

  /** REMOVE or DELIVERED. */
  mark(type: number, queueId: number, seq: number, seg: number): void {
    const payload = COMMON + 4;
    this.room(FRAME_HEADER + payload);
    const b = this.buf;
    const start = this.pos;
    const p = start + FRAME_HEADER;
    b.writeUInt32LE(payload, start);
    b[p] = type;
    b.writeUInt32LE(queueId, p + 1);
    b.writeDoubleLE(seq, p + 5);
    b.writeUInt32LE(seg, p + 13);
    b.writeUInt32LE(crc32Short(b, p, p + payload), start + 4);
    this.pos = p + payload;
  }
}

/** The decoded PUBLISH fields (a reused object: copy what you keep). */
export class PublishFields {
  persistent = false;
  priority = 0;
  timestamp = 0;
  format = '';
  exchange = '';
  routingKey = '';
  expiration: string | null = null;
  props: Buffer = EMPTY;
  body: Buffer = EMPTY;
  /** The bytes `format`, `exchange` and `routingKey` were decoded from (decodePublish reuses equal ones). */
  formatBytes: Buffer | null = null;
  exchangeBytes: Buffer | null = null;
  routingKeyBytes: Buffer | null = null;
  /** Where the body is in the decoded buffer, and its length (a caller that copies it elsewhere itself). */
  bodyAt = 0;
  bodyLen = 0;
}

const EMPTY = Buffer.alloc(0);

/**
 * Length of the valid frame at `at` in b[0..end), or -1 if it is torn (short or bad CRC). `minLen`: the
 * shortest payload (a message record's common fields; 0 for the generic frames of log/cursor.ts).
 */
export function frameAt(b: Buffer, at: number, end: number, checkCrc: boolean, minLen = COMMON): number {
  if (at + FRAME_HEADER > end) return -1;
  const len = b.readUInt32LE(at);
  if (len < minLen || at + FRAME_HEADER + len > end) return -1;
  if (checkCrc) {
    const s = at + FRAME_HEADER;
    const crc = len <= SHORT_CRC_MAX ? crc32Short(b, s, s + len) : crc32(b.subarray(s, s + len));
    if (crc !== b.readUInt32LE(at + 4)) return -1;
  }
  return FRAME_HEADER + len;
}

export function recType(b: Buffer, at: number): number {
  return b[at + FRAME_HEADER]!;
}
export function recQueue(b: Buffer, at: number): number {
  return b.readUInt32LE(at + FRAME_HEADER + 1);
}
export function recSeq(b: Buffer, at: number): number {
  return b.readDoubleLE(at + FRAME_HEADER + 5);
}
/** The PUBLISH segment a REMOVE/DELIVERED refers to. */
export function recSeg(b: Buffer, at: number): number {
  return b.readUInt32LE(at + FRAME_HEADER + COMMON);
}
/** A REF's PUBLISH: offset, length, queue id. */
export function refOff(b: Buffer, at: number): number {
  return b.readUInt32LE(at + FRAME_HEADER + COMMON + 1);
}
export function refLen(b: Buffer, at: number): number {
  return b.readUInt32LE(at + FRAME_HEADER + COMMON + 5);
}
export function refOwner(b: Buffer, at: number): number {
  return b.readUInt32LE(at + FRAME_HEADER + COMMON + 9);
}
/** PUBLISH and REF. */
export function recPersistent(b: Buffer, at: number): boolean {
  return (b[at + FRAME_HEADER + COMMON]! & FLAG_PERSISTENT) !== 0;
}

/** Decode a PUBLISH frame at `at`; props and body are copied out so they do not pin `b`. */
function sameBytes(b: Buffer, at: number, len: number, prev: Buffer | null): boolean {
  if (prev === null || prev.length !== len) return false;
  if (len > 32) return prev.compare(b, at, at + len) === 0;
  for (let i = 0; i < len; i++) if (b[at + i] !== prev[i]) return false;
  return true;
}

/** `copyBody` false: out.body is left empty and only out.bodyAt/bodyLen say where the body is. */
export function decodePublish(b: Buffer, at: number, out: PublishFields, copyBody = true): PublishFields {
  let p = at + FRAME_HEADER + COMMON;
  const flags = b[p++]!;
  out.persistent = (flags & FLAG_PERSISTENT) !== 0;
  out.priority = b[p++]!;
  out.timestamp = b.readDoubleLE(p);
  p += 8;
  let l = b[p++]!;
  // a backlog's records mostly repeat the previous one's format, exchange and routing key: when the bytes
  // are the same, the string decoded last time is reused (one allocation fewer per field and message)
  if (!sameBytes(b, p, l, out.formatBytes)) {
    out.format = b.toString('latin1', p, p + l);
    out.formatBytes = Buffer.from(b.subarray(p, p + l));
  }
  p += l;
  l = b[p++]!;
  if (!sameBytes(b, p, l, out.exchangeBytes)) {
    out.exchange = b.toString('utf8', p, p + l);
    out.exchangeBytes = Buffer.from(b.subarray(p, p + l));
  }
  p += l;
  l = b.readUInt16LE(p);
  p += 2;
  if (!sameBytes(b, p, l, out.routingKeyBytes)) {
    out.routingKey = b.toString('utf8', p, p + l);
    out.routingKeyBytes = Buffer.from(b.subarray(p, p + l));
  }
  p += l;
  l = b[p++]!;
  out.expiration = (flags & FLAG_EXPIRATION) !== 0 ? b.toString('utf8', p, p + l) : null;
  p += l;
  l = b.readUInt32LE(p);
  p += 4;
  // the same for the properties (a backlog published by one client mostly repeats them): messages share one
  // props buffer, which nothing writes into (core/message.ts: props are the wire bytes as they arrived)
  if (!sameBytes(b, p, l, out.props)) out.props = l === 0 ? EMPTY : Buffer.from(b.subarray(p, p + l));
  p += l;
  l = b.readUInt32LE(p);
  p += 4;
  out.bodyAt = p;
  out.bodyLen = l;
  out.body = l === 0 || !copyBody ? EMPTY : Buffer.from(b.subarray(p, p + l));
  return out;
}
