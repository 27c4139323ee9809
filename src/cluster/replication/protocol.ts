// The replication wire protocol between a leader and its followers (one TCP connection per follower, on
// the cluster port). Every frame is `u32 length, u32 CRC32 of the body, body`; a frame whose CRC does not
// match closes the connection (the follower resumes from what it has on disk). The body starts with a
// type byte. File actions carry one layout: `u8 type, f64 seq, f64 off, u16 path length, path (utf8,
// relative to the data directory, '/'-separated), data`.
//
// Leader → follower: CHALLENGE (a nonce), then the initial sync (RESET/WRITE/REPLACE/REMOVE with seq 0),
// SYNCED (the action seq the follower has everything up to once it has applied what came before), then
// live actions with increasing seqs, and PING when idle. Follower → leader: HELLO (its name, the HMAC of
// the nonce under the shared secret, and what it holds: path, size, SHA-1 per file), then ACK(seq) after
// each group fsync. REFUSED (a text) before the leader closes a connection it will not serve.
import { crc32 } from 'node:zlib';

export const T_CHALLENGE = 1;
export const T_HELLO = 2;
/** Write `data` at `off` (creates the file and its directories). */
export const T_WRITE = 3;
/** Cut the file to `off` bytes. */
export const T_TRUNCATE = 4;
/** The file is re-sent whole from offset 0; `off` is the leader's size (so the follower can tell what it drops). */
export const T_RESET = 5;
/** Replace the file with `data` atomically (temp file, fsync, rename). */
export const T_REPLACE = 6;
/** Delete the file or directory. */
export const T_REMOVE = 7;
export const T_SYNCED = 8;
export const T_ACK = 9;
export const T_PING = 10;
export const T_REFUSED = 11;

export const HEADER = 8;
/** Bytes of an action body before its path. */
const ACTION_HEAD = 1 + 8 + 8 + 2;
/** A frame longer than this is refused as damaged (the largest is a 1 MiB chunk of a file or a manifest). */
export const MAX_FRAME = 256 * 1024 * 1024;

export interface Action {
  type: number;
  seq: number;
  off: number;
  path: string;
  data: Buffer;
}

/** One action frame; `data[start, end)` is copied in (the caller may reuse its buffer). */
export function encodeAction(
  type: number,
  seq: number,
  off: number,
  path: string,
  data: Buffer | null,
  start = 0,
  end = data === null ? 0 : data.length,
): Buffer {
  const plen = Buffer.byteLength(path);
  const body = ACTION_HEAD + plen + (end - start);
  const b = Buffer.allocUnsafe(HEADER + body);
  b.writeUInt32LE(body, 0);
  let p = HEADER;
  b[p++] = type;
  b.writeDoubleLE(seq, p);
  b.writeDoubleLE(off, p + 8);
  b.writeUInt16LE(plen, p + 16);
  p += 18;
  p += b.write(path, p, 'utf8');
  if (data !== null) data.copy(b, p, start, end);
  b.writeUInt32LE(crc32(b.subarray(HEADER)), 4);
  return b;
}

export function decodeAction(body: Buffer): Action {
  const type = body[0]!;
  const seq = body.readDoubleLE(1);
  const off = body.readDoubleLE(9);
  const plen = body.readUInt16LE(17);
  const path = body.toString('utf8', ACTION_HEAD, ACTION_HEAD + plen);
  return { type, seq, off, path, data: body.subarray(ACTION_HEAD + plen) };
}

/** A frame of `type` with a JSON or raw body (handshake, refusal). */
export function encodeMessage(type: number, payload: Buffer | object): Buffer {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const b = Buffer.allocUnsafe(HEADER + 1 + data.length);
  b.writeUInt32LE(1 + data.length, 0);
  b[HEADER] = type;
  data.copy(b, HEADER + 1);
  b.writeUInt32LE(crc32(b.subarray(HEADER)), 4);
  return b;
}

/** ACK / SYNCED / PING: a type and a seq. */
export function encodeSeq(type: number, seq: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER + 9);
  b.writeUInt32LE(9, 0);
  b[HEADER] = type;
  b.writeDoubleLE(seq, HEADER + 1);
  b.writeUInt32LE(crc32(b.subarray(HEADER)), 4);
  return b;
}

/** Splits a byte stream into checked frame bodies. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly max = MAX_FRAME) {}

  /** The complete bodies in what has arrived so far; throws on a damaged frame. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let at = 0;
    while (this.buf.length - at >= HEADER) {
      const len = this.buf.readUInt32LE(at);
      if (len === 0 || len > this.max) throw new Error(`replication frame of ${len} bytes`);
      if (this.buf.length - at < HEADER + len) break;
      const body = this.buf.subarray(at + HEADER, at + HEADER + len);
      if (crc32(body) !== this.buf.readUInt32LE(at + 4)) throw new Error('replication frame with a bad CRC');
      out.push(body);
      at += HEADER + len;
    }
    this.buf = at === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
    return out;
  }
}
