// Runtime support for methods.generated.ts: bounds-checked primitive reads and the method-frame envelope on
// write. Errors mirror RabbitMQ: arguments that do not match the method's layout exactly (truncated, or bytes
// left over) are 501 FRAME_ERROR "cannot decode <<...>>" (rabbit_misc:frame_error/2, from the generated
// decode_method_fields/2), a non-UTF-8 shortstr in a method without content is 501 "Malformed UTF-8 in shortstr"
// (rabbit_binary_parser:assert_utf8/1), and an unknown class/method id is 540 NOT_IMPLEMENTED (RabbitMQ's
// lookup_method_name/1 exits {unknown_method_id, Id}, crashing the reader without a connection.close).
import { isUtf8 } from 'node:buffer';
import type { Writer } from '../buffer/writer.js';
import { FRAME_END } from './constants.js';
import { CodecError, erlBinary } from './errors.js';
import { decodeTable, type FieldTable } from './field-table.js';

const TWO_32 = 4294967296;

export function rd16(b: Buffer, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

export function rd32(b: Buffer, p: number): number {
  return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

/** u64 as a JS number (exact up to 2^53). */
export function rd64(b: Buffer, p: number): number {
  return rd32(b, p) * TWO_32 + rd32(b, p + 4);
}

/**
 * Recently decoded short strings (exchange names and routing keys of basic.publish, which repeat): a
 * direct-mapped cache keyed by a hash of the bytes, the bytes kept in one slab so a miss allocates only the
 * string. A hit returns the same string object, which also keeps V8's cached hash for the routing table
 * lookups that follow, and allocates nothing.
 */
const CACHE_SLOTS = 1024;
const CACHE_MAX = 64;
const cacheBytes = Buffer.alloc(CACHE_SLOTS * CACHE_MAX);
const cacheLen = new Int32Array(CACHE_SLOTS).fill(-1);
const cacheStr: string[] = new Array<string>(CACHE_SLOTS).fill('');

/** UTF-8 string, unchecked (content-bearing methods: RabbitMQ skips the check "for speed"). */
export function str(b: Buffer, s: number, e: number): string {
  const n = e - s;
  if (n === 0) return '';
  if (n > CACHE_MAX) {
    const v = b.toString('utf8', s, e);
    // invalid UTF-8 decodes to U+FFFD, 3 bytes each: the string must still fit a shortstr when it is written
    // again (basic.deliver, basic.return of the routing key; 64 bytes or fewer always do). Found by the fuzzer:
    // the return of a 200-byte binary routing key closed the connection with 541. RabbitMQ echoes the bytes.
    return n > 85 && Buffer.byteLength(v, 'utf8') > 255 ? fitShortstr(v) : v;
  }
  let h = n;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h ^ (h >>> 16)) & (CACHE_SLOTS - 1);
  const at = slot * CACHE_MAX;
  if (cacheLen[slot] === n) {
    let i = 0;
    while (i < n && cacheBytes[at + i] === b[s + i]) i++;
    if (i === n) return cacheStr[slot]!;
  }
  const v = b.toString('utf8', s, e);
  b.copy(cacheBytes, at, s, e);
  cacheLen[slot] = n;
  cacheStr[slot] = v;
  return v;
}

/** The longest prefix of `v` whose UTF-8 fits 255 bytes (a surrogate pair is not split). */
function fitShortstr(v: string): string {
  let bytes = 0;
  let i = 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 4 : 3;
    if (bytes + w > 255) break;
    bytes += w;
    if (w === 4) i++;
  }
  return v.slice(0, i);
}

/** UTF-8 shortstr, checked (rabbit_binary_parser:assert_utf8/1 → frame_error). */
export function sstr(b: Buffer, s: number, e: number, id: number): string {
  for (let i = s; i < e; i++) {
    if (b[i]! >= 0x80) {
      if (!isUtf8(b.subarray(s, e))) {
        throw new CodecError(501, 'Malformed UTF-8 in shortstr', id >>> 16, id & 0xffff);
      }
      break;
    }
  }
  return s === e ? '' : b.toString('utf8', s, e);
}

/** Binary longstr (SASL data): a copy, since the frame payload is only a view. */
export function bin(b: Buffer, s: number, e: number): Buffer {
  return Buffer.from(b.subarray(s, e));
}

/** Field table whose bytes are b[s, s+n); errors carry the method's ids. */
export function tbl(b: Buffer, s: number, n: number, id: number): FieldTable {
  try {
    return decodeTable(b, s, n);
  } catch (e) {
    if (e instanceof CodecError) {
      e.classId = id >>> 16;
      e.methodId = id & 0xffff;
    }
    throw e;
  }
}

/** Arguments that do not fit the method's layout (rabbit_misc:frame_error/2). */
export function bad(b: Buffer, id: number): never {
  throw new CodecError(501, `cannot decode ${erlBinary(b, 4, b.length)}`, id >>> 16, id & 0xffff);
}

export function unknownMethod(id: number): never {
  const c = id >>> 16;
  const m = id & 0xffff;
  throw new CodecError(540, `unknown method id {${c},${m}}`, c, m);
}

/** Method frame too short to hold class-id and method-id. */
export function shortMethod(b: Buffer): never {
  throw new CodecError(501, `cannot decode method frame ${erlBinary(b, 0, b.length)}`);
}

// ---- writing -------------------------------------------------------------------------------------------

export function wr32(b: Buffer, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

export function wr64(b: Buffer, p: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  wr32(b, p, hi >>> 0);
  wr32(b, p + 4, (v - hi * TWO_32) >>> 0);
}

/** Method frame header + class/method ids at b[p, p+11), for a payload of `size` bytes (ids included). */
export function head(b: Buffer, p: number, channel: number, size: number, id: number): void {
  b[p] = 1;
  b[p + 1] = channel >>> 8;
  b[p + 2] = channel;
  wr32(b, p + 3, size);
  wr32(b, p + 7, id);
}

/** Starts a variable-size method frame; returns its offset relative to w.start (stable if the writer grows). */
export function begin(w: Writer, channel: number, id: number): number {
  w.ensure(11);
  const p = w.pos;
  head(w.buf, p, channel, 0, id);
  w.pos = p + 11;
  return p - w.start;
}

/** Patches the size of the frame begun at `rel` and appends the frame-end octet. */
export function end(w: Writer, rel: number): void {
  w.ensure(1);
  const p = w.start + rel;
  wr32(w.buf, p + 3, w.pos - p - 7);
  w.buf[w.pos++] = FRAME_END;
}

/** Drops a half-written frame (an argument could not be encoded). */
export function abort(w: Writer, rel: number): void {
  w.pos = w.start + rel;
}
