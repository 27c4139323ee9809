// Content frames (amqp0-9-1 §4.2.6): the content header (class-id, weight 0, body-size u64, then property flags
// and list) and body frames, plus heartbeats (§4.2.7). Writers emit complete frames into a Writer; raw
// properties pass through untouched. writeBody splits a body into frames of at most frameMax - 8 payload bytes
// (amqp0-9-1.xml connection.tune frame-max: the whole frame, header and frame-end included, fits in frame-max)
// and writes no frame for an empty body. Reading a header is allocation-free: ContentHeader is reusable.
import { REF_MIN, type Writer } from '../buffer/writer.js';
import { CONTENT_HEADER_PROPS_OFFSET, FRAME_END, FRAME_OVERHEAD } from './constants.js';
import { CodecError, frameErrorText } from './errors.js';
import { encodeProperties, type BasicProperties } from './properties.js';

const TWO_32 = 4294967296;

function writeHeaderStart(w: Writer, channel: number, classId: number, bodySize: number, extra: number): void {
  w.ensure(7 + CONTENT_HEADER_PROPS_OFFSET + extra + 1);
  const b = w.buf;
  const p = w.pos;
  b[p] = 2;
  b[p + 1] = channel >>> 8;
  b[p + 2] = channel;
  // size patched by the caller; class-id, weight 0, body-size as two u32s
  b[p + 7] = classId >>> 8;
  b[p + 8] = classId;
  b[p + 9] = 0;
  b[p + 10] = 0;
  const hi = Math.floor(bodySize / TWO_32);
  b.writeUInt32BE(hi >>> 0, p + 11);
  b.writeUInt32BE((bodySize - hi * TWO_32) >>> 0, p + 15);
  w.pos = p + 19;
}

/** A content header frame with the property flags and list passed through as raw bytes. */
export function writeContentHeader(
  w: Writer,
  channel: number,
  classId: number,
  bodySize: number,
  rawProps: Buffer,
): void {
  const n = rawProps.length;
  writeHeaderStart(w, channel, classId, bodySize, n);
  const b = w.buf;
  const start = w.pos - 19;
  b.writeUInt32BE(CONTENT_HEADER_PROPS_OFFSET + n, start + 3);
  rawProps.copy(b, w.pos, 0, n);
  w.pos += n;
  b[w.pos++] = FRAME_END;
}

/** A content header frame with encoded properties. */
export function writeContentHeaderProps(
  w: Writer,
  channel: number,
  classId: number,
  bodySize: number,
  props: BasicProperties,
): void {
  writeHeaderStart(w, channel, classId, bodySize, 2);
  const at = w.pos - 19 - w.start; // relative: the writer may grow while the properties are written
  try {
    encodeProperties(w, props);
  } catch (e) {
    w.pos = w.start + at;
    throw e;
  }
  const start = w.start + at;
  w.buf.writeUInt32BE(w.pos - start - 7, start + 3);
  w.u8(FRAME_END);
}

/**
 * Body frames of at most frameMax - 8 payload bytes each (frameMax 0: one frame); none for an empty body.
 * `body` is one buffer or several in order (a large body kept as the socket chunks it arrived in); pieces of
 * REF_MIN bytes or more are queued by reference, so a large body reaches the socket without a copy.
 */
export function writeBody(w: Writer, channel: number, body: Buffer | readonly Buffer[], frameMax: number): void {
  const one = Buffer.isBuffer(body);
  let total = 0;
  if (one) total = body.length;
  else for (const b of body) total += b.length;
  const max = frameMax > FRAME_OVERHEAD ? frameMax - FRAME_OVERHEAD : frameMax === 0 ? total : 1;
  // the piece being written: parts[pi] from offset po
  let pi = 0;
  let po = 0;
  for (let off = 0; off < total; off += max) {
    const n = Math.min(max, total - off);
    w.ensure(FRAME_OVERHEAD);
    const b = w.buf;
    const p = w.pos;
    b[p] = 3;
    b[p + 1] = channel >>> 8;
    b[p + 2] = channel;
    b[p + 3] = n >>> 24;
    b[p + 4] = n >>> 16;
    b[p + 5] = n >>> 8;
    b[p + 6] = n;
    w.pos = p + 7;
    if (one) {
      piece(w, body, off, off + n);
    } else {
      let need = n;
      while (need > 0) {
        const part = body[pi]!;
        const take = Math.min(need, part.length - po);
        piece(w, part, po, po + take);
        need -= take;
        po += take;
        if (po === part.length) {
          pi++;
          po = 0;
        }
      }
    }
    w.u8(FRAME_END);
  }
}

/** src[from, to) into the writer: by reference when large, copied when small. */
function piece(w: Writer, src: Buffer, from: number, to: number): void {
  const n = to - from;
  if (n >= REF_MIN) {
    // large payload: the bytes themselves go to the socket, between the frame header and frame end
    w.ref(from === 0 && to === src.length ? src : src.subarray(from, to));
  } else {
    w.ensure(n + 1);
    src.copy(w.buf, w.pos, from, to);
    w.pos += n;
  }
}

/** A heartbeat frame: type 8 on channel 0, empty payload. */
export function writeHeartbeat(w: Writer): void {
  w.ensure(8);
  const b = w.buf;
  const p = w.pos;
  b[p] = 8;
  b[p + 1] = 0;
  b[p + 2] = 0;
  b[p + 3] = 0;
  b[p + 4] = 0;
  b[p + 5] = 0;
  b[p + 6] = 0;
  b[p + 7] = FRAME_END;
  w.pos = p + 8;
}

/** The fixed part of a content header payload; reuse one instance per connection to avoid allocation. */
export class ContentHeader {
  classId = 0;
  weight = 0;
  bodySize = 0;
  /** Offset of the property flags in the payload. */
  propsOffset = CONTENT_HEADER_PROPS_OFFSET;

  /** Reads payload (a content header frame's payload) into this; CodecError 501 if shorter than 12 bytes. */
  read(payload: Buffer): this {
    checkHeader(payload);
    this.classId = (payload[0]! << 8) | payload[1]!;
    this.weight = (payload[2]! << 8) | payload[3]!;
    this.bodySize = payload.readUInt32BE(4) * TWO_32 + payload.readUInt32BE(8);
    return this;
  }
}

export function readContentHeader(payload: Buffer, into: ContentHeader = new ContentHeader()): ContentHeader {
  return into.read(payload);
}

export function contentHeaderClassId(payload: Buffer): number {
  checkHeader(payload);
  return (payload[0]! << 8) | payload[1]!;
}

export function contentHeaderBodySize(payload: Buffer): number {
  checkHeader(payload);
  return payload.readUInt32BE(4) * TWO_32 + payload.readUInt32BE(8);
}

function checkHeader(payload: Buffer): void {
  if (payload.length < CONTENT_HEADER_PROPS_OFFSET) {
    throw new CodecError(501, frameErrorText(2, payload, 0, payload.length, 'unknown_frame'));
  }
}
