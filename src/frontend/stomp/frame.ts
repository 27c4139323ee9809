// STOMP 1.0/1.1/1.2 frames (https://stomp.github.io/stomp-specification-1.2.html#STOMP_Frames): a command
// line, header lines, a blank line, the body up to NUL (or content-length bytes then NUL). EOLs between
// frames are heart-beats. Header values are escaped in 1.1 and 1.2 (\\ \n \c, and \r in 1.2) except in
// CONNECT/CONNECTED frames; the first of repeated headers wins (§Repeated Header Entries). The framing is
// small and the parser must bound what it buffers, so it is Warren's own rather than a client library's.
import { StacklessError } from '../../util/stackless-error.js';

export class StompError extends StacklessError {
  constructor(
    /** The ERROR frame's `message` header (RabbitMQ's short texts). */
    readonly summary: string,
    /** The ERROR frame's body. */
    readonly detail: string,
    /** Close the connection after sending the ERROR. */
    readonly fatal: boolean,
  ) {
    super(`${summary}: ${detail}`);
  }
}

export class StompFrame {
  constructor(
    readonly command: string,
    readonly headers: [string, string][],
    readonly body: Buffer,
  ) {}

  get(name: string): string | undefined {
    for (const h of this.headers) if (h[0] === name) return h[1];
    return undefined;
  }
}

/** Limits: RabbitMQ's stomp max_frame_size is 4 MiB by default in 3.12+; Warren allows message_max. */
const MAX_HEADER_BYTES = 65536;
const MAX_HEADERS = 1000;
export const MAX_BODY = 134217728;
/**
 * Frames before CONNECT (the CONNECT itself, or anything a client sends instead) are held to 64 KiB, as
 * RabbitMQ's MQTT plugin holds packets before CONNECT (mqtt.max_packet_size_unauthenticated, 65536): an
 * unauthenticated client cannot make the broker buffer a 128 MiB body only to be refused.
 */
export const MAX_UNAUTHENTICATED = 65536;

export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);
  /** 1.0 does not escape header values. */
  escaping = false;
  /** 1.2 also escapes \r. */
  v12 = false;
  /** A CONNECT (or STOMP) frame was read: frames may now be as large as MAX_BODY. */
  private connectSeen = false;
  /** Bytes (from the buffered frame start) a content-length frame needs before it can be parsed; 0: unknown. */
  private needed = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly onFrame: (f: StompFrame) => void,
    private readonly onHeartbeat: () => void,
  ) {}

  push(chunk: Buffer): void {
    // a large content-length body arrives in many reads: collect them and join once, when it is complete
    // (joining on every read would copy the body over and over)
    if (this.needed > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.needed) return;
      chunk = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.needed = 0;
      this.buf = chunk;
    } else {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    }
    let p = 0;
    const b = this.buf;
    for (;;) {
      // heart-beats / EOLs between frames
      while (p < b.length && (b[p] === 0x0a || (b[p] === 0x0d && b[p + 1] === 0x0a))) {
        p += b[p] === 0x0d ? 2 : 1;
        this.onHeartbeat();
      }
      if (p >= b.length) break;
      const n = this.parseOne(b, p);
      if (n < 0) break;
      p = n;
    }
    this.buf = p >= b.length ? Buffer.alloc(0) : b.subarray(p);
    if (this.needed > 0) {
      this.needed -= p; // parseOne counted from the frame start; the buffer now starts there
      this.pending = [this.buf];
      this.pendingBytes = this.buf.length;
      this.buf = Buffer.alloc(0);
    }
    if (this.buf.length > MAX_HEADER_BYTES && this.buf.indexOf('\n\n') < 0 && this.buf.indexOf('\r\n\r\n') < 0) {
      throw new StompError('Invalid frame', 'Frame headers too large', true);
    }
  }

  /** Parses one frame at p; returns the offset after it, or -1 when more bytes are needed. */
  private parseOne(b: Buffer, p: number): number {
    let headEnd = b.indexOf('\n\n', p);
    const crlf = b.indexOf('\r\n\r\n', p);
    let sep = 2;
    if (crlf >= 0 && (headEnd < 0 || crlf < headEnd)) {
      headEnd = crlf;
      sep = 4;
    }
    if (headEnd < 0) return -1;
    if (headEnd - p > MAX_HEADER_BYTES) throw new StompError('Invalid frame', 'Frame headers too large', true);
    const lines = b.toString('utf8', p, headEnd).split('\n');
    const command = stripCr(lines[0]!);
    if (!/^[A-Z]+$/.test(command)) throw new StompError('Invalid frame', `Bad command '${command}'`, true);
    const escape = this.escaping && command !== 'CONNECT' && command !== 'CONNECTED';
    const headers: [string, string][] = [];
    if (lines.length - 1 > MAX_HEADERS) throw new StompError('Invalid frame', 'Too many headers', true);
    for (let i = 1; i < lines.length; i++) {
      const line = this.v12 ? stripCr(lines[i]!) : stripCr(lines[i]!);
      const colon = line.indexOf(':');
      if (colon < 0) throw new StompError('Invalid frame', `Header without ':' in ${command}`, true);
      let k = line.slice(0, colon);
      let v = line.slice(colon + 1);
      if (escape) {
        k = unescape(k, this.v12);
        v = unescape(v, this.v12);
      }
      headers.push([k, v]);
    }
    const bodyStart = headEnd + sep;
    let len = -1;
    for (const h of headers) {
      if (h[0] === 'content-length') {
        len = /^\d+$/.test(h[1]) ? Number(h[1]) : NaN;
        break;
      }
    }
    if (Number.isNaN(len)) throw new StompError('Invalid frame', 'Invalid content-length header', true);
    const max = this.connectSeen ? MAX_BODY : MAX_UNAUTHENTICATED;
    let bodyEnd: number;
    if (len >= 0) {
      if (len > max) throw new StompError('Invalid frame', `Frame body of ${len} bytes is too large`, true);
      if (b.length < bodyStart + len + 1) {
        this.needed = bodyStart + len + 1; // relative to the buffer start; push() rebases it on p
        return -1;
      }
      bodyEnd = bodyStart + len;
      if (b[bodyEnd] !== 0) throw new StompError('Invalid frame', 'Missing NUL after the body', true);
    } else {
      bodyEnd = b.indexOf(0, bodyStart);
      if (bodyEnd < 0) {
        if (b.length - bodyStart > max) throw new StompError('Invalid frame', 'Frame body is too large', true);
        return -1;
      }
    }
    if (command === 'CONNECT' || command === 'STOMP') this.connectSeen = true;
    this.onFrame(new StompFrame(command, headers, Buffer.from(b.subarray(bodyStart, bodyEnd))));
    return bodyEnd + 1;
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

function unescape(s: string, v12: boolean): string {
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = s[++i];
    if (n === 'n') out += '\n';
    else if (n === 'c') out += ':';
    else if (n === '\\') out += '\\';
    else if (n === 'r' && v12) out += '\r';
    else throw new StompError('Invalid frame', `Undefined escape sequence '\\${n ?? ''}' in a header`, true);
  }
  return out;
}

function escapeValue(s: string, v12: boolean): string {
  if (!/[\\\n:\r]/.test(s)) return s;
  let out = s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll(':', '\\c');
  if (v12) out = out.replaceAll('\r', '\\r');
  return out;
}

/** One frame in wire form; `escaping` per the negotiated version (never for CONNECTED). */
export function encodeFrame(
  command: string,
  headers: [string, string][],
  body: Buffer | null,
  escaping: boolean,
  v12: boolean,
): Buffer {
  let head = command + '\n';
  const esc = escaping && command !== 'CONNECTED';
  for (const [k, v] of headers) head += (esc ? escapeValue(k, v12) : k) + ':' + (esc ? escapeValue(v, v12) : v) + '\n';
  head += '\n';
  const hl = Buffer.byteLength(head);
  const bl = body === null ? 0 : body.length;
  const out = Buffer.allocUnsafe(hl + bl + 1);
  out.write(head, 0);
  if (body !== null) body.copy(out, hl);
  out[hl + bl] = 0;
  return out;
}
