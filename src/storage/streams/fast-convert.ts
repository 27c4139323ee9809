// The 0-9-1 consume path of a stream, made cheap for the common case. Messages of a stream mostly share the
// sections before their body (the same header, exchange and routing-key annotations, properties), so their
// 0-9-1 form differs only in x-stream-offset and the body. A reader converts the first message fully
// (convert.ts fromStreamMessage, with a sentinel offset to find where the offset's 8 bytes land in the
// properties), then for each next message whose bytes start with the same sections followed by one data
// section ending the message, copies the cached properties and writes the offset in place: no AMQP 1.0
// decoding, no header table, no property encoding per message. Anything else takes the full conversion
// (and becomes the cached form when it qualifies). Profiled: decode + convert + encode were most of the
// broker's CPU per consumed message (bench/stream/README.md).
import { Amqp10Message } from '../../codec/amqp10/message.js';
import { Message } from '../../core/message.js';
import { fromStreamMessage } from './convert.js';

/** An offset value no stream reaches, to find its bytes in the encoded properties (2^52 + 0x5eed). */
const SENTINEL = 2 ** 52 + 0x5eed;
const SENTINEL_BYTES = Buffer.alloc(8);
SENTINEL_BYTES.writeUInt32BE(Math.floor(SENTINEL / 2 ** 32), 0);
SENTINEL_BYTES.writeUInt32BE(SENTINEL % 2 ** 32, 4);
const TWO_32 = 2 ** 32;

/** Where a data section starting at `p` puts its body, when it is the message's last section; else null. */
function dataBodyAt(b: Buffer, p: number): [number, number] | null {
  if (p + 5 > b.length || b[p] !== 0x00 || b[p + 1] !== 0x53 || b[p + 2] !== 0x75) return null;
  const t = b[p + 3];
  let start: number;
  let len: number;
  if (t === 0xa0) {
    len = b[p + 4]!;
    start = p + 5;
  } else if (t === 0xb0 && p + 8 <= b.length) {
    len = b.readUInt32BE(p + 4);
    start = p + 8;
  } else return null;
  return start + len === b.length ? [start, start + len] : null;
}

export class StreamConverter {
  private prefix: Buffer | null = null;
  private props: Buffer | null = null;
  private offsetAt = -1;
  private exchange = '';
  private routingKey = '';
  private persistent = false;
  private format: Message['format'] | null = null;

  constructor(private readonly queueName: string) {}

  /** The 0-9-1 form of a stored message at `offset` (`a`: already scanned, when the caller has it). */
  convert(bytes: Buffer, offset: number, timestamp: number, a?: Amqp10Message): Message {
    const p = this.prefix;
    if (p !== null && bytes.length > p.length && bytes.compare(p, 0, p.length, 0, p.length) === 0) {
      const body = dataBodyAt(bytes, p.length);
      if (body !== null) {
        const props = Buffer.allocUnsafe(this.props!.length);
        this.props!.copy(props);
        const hi = Math.floor(offset / TWO_32);
        props.writeUInt32BE(hi, this.offsetAt);
        props.writeUInt32BE(offset - hi * TWO_32, this.offsetAt + 4);
        return new Message(
          this.format!,
          this.exchange,
          this.routingKey,
          props,
          bytes.subarray(body[0], body[1]),
          this.persistent,
          0,
          null,
          timestamp,
          0,
        );
      }
    }
    return this.learn(a ?? new Amqp10Message(bytes), offset, timestamp);
  }

  /** The full conversion; its sections become the cached form when the body is one final data section. */
  private learn(a: Amqp10Message, offset: number, timestamp: number): Message {
    const layout = a.layout;
    const bodyStart = layout.bodyStart;
    const cacheable = dataBodyAt(a.raw, bodyStart) !== null;
    const m = fromStreamMessage(a, cacheable ? SENTINEL : offset, timestamp, this.queueName);
    if (!cacheable) return m;
    const at = m.props.indexOf(SENTINEL_BYTES);
    if (at < 0 || m.props.indexOf(SENTINEL_BYTES, at + 1) >= 0) {
      // the offset header is not ours (the message carried one): no cache, convert this one again properly
      return fromStreamMessage(a, offset, timestamp, this.queueName);
    }
    this.prefix = Buffer.from(a.raw.subarray(0, bodyStart));
    this.props = Buffer.from(m.props);
    this.offsetAt = at;
    this.exchange = m.exchange;
    this.routingKey = m.routingKey;
    this.persistent = m.persistent;
    this.format = m.format;
    const hi = Math.floor(offset / TWO_32);
    m.props.writeUInt32BE(hi, at);
    m.props.writeUInt32BE(offset - hi * TWO_32, at + 4);
    return m;
  }
}
