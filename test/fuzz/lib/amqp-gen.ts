// Grammar-based AMQP 0-9-1 input: frames, methods of every class with fields of their spec types, field
// tables of every value type (nested, huge), content header/body sequences, heartbeats, and the handshake,
// mostly valid with a controlled share of lies (lengths, ids, channels, frame ends, frame types), so that
// cases get past the parser into the broker and then reach its error paths.
import { amqpSpec, type SpecField, type SpecMethod, type WireType } from './amqp-spec.js';
import { Bytes } from './bytes.js';
import type { Rng } from './rng.js';

export const PROTOCOL_HEADER = Buffer.from('AMQP\x00\x00\x09\x01', 'binary');

/** A few names, so that cases meet each other's queues and exchanges; a random one now and then. */
const NAMES = [
  '',
  'fz.q1',
  'fz.q2',
  'fz.x1',
  'fz.x2',
  'amq.direct',
  'amq.topic',
  'amq.fanout',
  'amq.headers',
  'amq.match',
  'amq.rabbitmq.reply-to',
  'amq.gen-x',
  'fz.#.*',
  'fz.q1',
];
const EXCHANGE_TYPES = ['direct', 'topic', 'fanout', 'headers', 'x-delayed-message', 'x-consistent-hash', 'bogus'];
const ARG_KEYS = [
  'x-message-ttl',
  'x-expires',
  'x-max-length',
  'x-max-length-bytes',
  'x-overflow',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-priority',
  'x-queue-type',
  'x-queue-mode',
  'x-single-active-consumer',
  'x-delayed-type',
  'x-match',
  'x-priority',
  'x-cancel-on-ha-failover',
  'x-stream-offset',
  'alternate-exchange',
  'x-mqtt-subscription-opts',
  'x-message-deduplication',
  'x-cache-size',
];

export function fuzzString(rng: Rng, max = 255): Buffer<ArrayBufferLike> {
  switch (rng.int(6)) {
    case 0:
    case 1:
    case 2:
      return Buffer.from(rng.pick(NAMES));
    case 3:
      return Buffer.from(`fz.${rng.int(1000)}`);
    case 4: {
      // UTF-8 mess: overlong forms, lone surrogates, NULs
      const pool = ['\u0000', 'é', '\u{1F600}', '\xff', '\xc0\x80', '\xed\xa0\x80', '#', '*', '.', '%2F', '/'];
      let s = '';
      for (let i = rng.size(20); i > 0; i--) s += rng.pick(pool);
      return Buffer.from(s, rng.chance(0.5) ? 'binary' : 'utf8').subarray(0, max);
    }
    default:
      return rng.bytes(rng.size(max));
  }
}

// ---- field tables ----------------------------------------------------------------------------------------

const VALUE_TYPES = 'tbBsuIiLlfdDSxTFAV';

/** One field value (type byte + value). `depth` bounds the nesting unless `deep` asks for deep nesting. */
export function fieldValue(rng: Rng, out: Bytes, depth: number): void {
  let t = rng.pick([...VALUE_TYPES]);
  if (depth > 6 && (t === 'F' || t === 'A')) t = 'S';
  if (rng.chance(0.01)) t = String.fromCharCode(rng.int(256)); // an unknown type
  out.u8(t.charCodeAt(0));
  switch (t) {
    case 't':
    case 'b':
    case 'B':
      out.u8(rng.int(256));
      break;
    case 's':
    case 'u':
      out.u16(rng.u32());
      break;
    case 'I':
    case 'i':
      out.u32(rng.u32());
      break;
    case 'L':
    case 'l':
    case 'T':
      out.u64(rng.u32(), rng.u32());
      break;
    case 'f':
      out.u32(rng.u32());
      break;
    case 'd':
      out.u64(rng.u32(), rng.u32());
      break;
    case 'D':
      out.u8(rng.int(256)).u32(rng.u32());
      break;
    case 'S':
    case 'x':
      out.lstr(fuzzString(rng, 300));
      break;
    case 'F':
      fieldTable(rng, out, depth + 1);
      break;
    case 'A': {
      const inner = new Bytes();
      for (let n = rng.size(8); n > 0; n--) fieldValue(rng, inner, depth + 1);
      out.lstr(inner.build());
      break;
    }
    case 'V':
      break;
    default:
      // unknown type: some bytes after it
      out.raw(rng.bytes(rng.int(8)));
  }
}

/** A field table: u32 byte length then (shortstr key, value)*; keys mostly RabbitMQ's x-arguments. */
export function fieldTable(rng: Rng, out: Bytes, depth = 0): void {
  const inner = new Bytes();
  for (let n = rng.size(depth === 0 ? 12 : 4); n > 0; n--) {
    inner.sstr(rng.chance(0.6) ? Buffer.from(rng.pick(ARG_KEYS)) : fuzzString(rng));
    fieldValue(rng, inner, depth);
  }
  out.lstr(inner.build());
}

/** A table nested `depth` levels (F in F in F …, or A in A …): the stack-depth attack. */
export function deepTable(depth: number, viaArray: boolean): Buffer {
  let v: Buffer = Buffer.from([0x56]); // V
  for (let i = 0; i < depth; i++) {
    const b = new Bytes();
    if (viaArray) b.u8(0x41).lstr(v);
    else b.u8(0x46).lstr(new Bytes().sstr('k').raw(v).build());
    v = b.build();
  }
  return new Bytes().lstr(new Bytes().sstr('k').raw(v).build()).build();
}

// ---- methods and frames ------------------------------------------------------------------------------------

function writeField(rng: Rng, out: Bytes, f: SpecField, method: SpecMethod): void {
  const t: WireType = f.type;
  switch (t) {
    case 'octet':
      out.u8(rng.chance(0.8) ? rng.int(3) : rng.int(256));
      break;
    case 'short':
      out.u16(rng.chance(0.7) ? rng.int(16) : rng.u32());
      break;
    case 'long':
      out.u32(rng.chance(0.7) ? rng.int(256) : rng.u32());
      break;
    case 'longlong':
    case 'timestamp':
      out.u64(rng.chance(0.8) ? 0 : rng.u32(), rng.chance(0.7) ? rng.int(64) : rng.u32());
      break;
    case 'shortstr':
      if (f.name === 'type' && method.name === 'exchange.declare') out.sstr(rng.pick(EXCHANGE_TYPES));
      else if (f.name === 'mechanism') out.sstr(rng.pick(['PLAIN', 'AMQPLAIN', 'EXTERNAL', 'bogus', '']));
      else if (f.name === 'virtual-host') out.sstr(rng.pick(['/', '/', 'nope', '']));
      else if (rng.chance(0.02)) out.sstr(fuzzString(rng), rng.int(256));
      else out.sstr(fuzzString(rng));
      break;
    case 'longstr':
      if (f.name === 'response') out.lstr(rng.chance(0.8) ? '\0guest\0guest' : fuzzString(rng));
      else out.lstr(fuzzString(rng, 1000));
      break;
    case 'table':
      if (rng.chance(0.005)) out.raw(deepTable(rng.range(100, 3000), rng.chance(0.5)));
      else fieldTable(rng, out);
      break;
    case 'bit':
      break; // packed by the caller
  }
}

/** A method frame payload: class id, method id, fields (consecutive bits packed into octets, §4.2.5.2). */
export function methodPayload(rng: Rng, m: SpecMethod): Buffer {
  const out = new Bytes().u16(m.classId).u16(m.methodId);
  let bits = 0;
  let nbits = 0;
  for (const f of m.fields) {
    if (f.type === 'bit') {
      if (rng.chance(0.35)) bits |= 1 << nbits;
      nbits++;
      continue;
    }
    if (nbits > 0) {
      out.u8(bits);
      bits = 0;
      nbits = 0;
    }
    writeField(rng, out, f, m);
  }
  if (nbits > 0) out.u8(bits);
  return out.build();
}

export function frame(type: number, channel: number, payload: Buffer, end = 0xce): Buffer {
  return new Bytes().u8(type).u16(channel).u32(payload.length).raw(payload).u8(end).build();
}

/** Basic properties: flags then the present ones (with the continuation bit now and then set). */
export function basicProperties(rng: Rng): Buffer {
  const props = amqpSpec().basicProperties;
  const out = new Bytes();
  let flags = 0;
  const present: number[] = [];
  for (let i = 0; i < props.length && i < 15; i++) {
    if (rng.chance(0.25)) {
      flags |= 1 << (15 - i);
      present.push(i);
    }
  }
  if (rng.chance(0.02)) flags |= 1; // a continuation flag word RabbitMQ's basic class never has
  out.u16(flags);
  for (const i of present) {
    const f = props[i]!;
    if (f.name === 'expiration') out.sstr(rng.pick(['0', '100', '-1', 'x', '99999999999', '']));
    else if (f.type === 'shortstr') out.sstr(fuzzString(rng));
    else if (f.type === 'octet') out.u8(rng.chance(0.7) ? rng.int(3) : rng.int(256));
    else if (f.type === 'timestamp') out.u64(0, rng.u32());
    else if (f.type === 'table') fieldTable(rng, out);
  }
  return out.build();
}

/** basic.publish + content header + body frames (sizes right, or not). */
export function publishSequence(rng: Rng, channel: number, frameMax: number): Buffer[] {
  const spec = amqpSpec();
  const out: Buffer[] = [frame(1, channel, methodPayload(rng, spec.byName.get('basic.publish')!))];
  const bodySize = rng.chance(0.9) ? rng.size(300) : rng.size(300000);
  let announced = bodySize;
  if (rng.chance(0.1)) announced = rng.chance(0.5) ? bodySize + rng.range(-3, 3) : rng.u32();
  const header = new Bytes()
    .u16(rng.chance(0.95) ? 60 : rng.int(100))
    .u16(rng.chance(0.95) ? 0 : rng.int(65536))
    .u64(rng.chance(0.97) ? 0 : rng.u32(), Math.max(0, announced))
    .raw(basicProperties(rng))
    .build();
  out.push(frame(2, channel, header));
  const room = frameMax - 8;
  let left = bodySize;
  while (left > 0) {
    const n = Math.min(left, rng.chance(0.9) ? room : 1 + rng.int(room + 100));
    out.push(frame(3, channel, Buffer.alloc(n, 0x61)));
    left -= n;
  }
  if (bodySize === 0 && rng.chance(0.3)) out.push(frame(3, channel, Buffer.alloc(0)));
  return out;
}

/** The client side of a handshake (start-ok, tune-ok, open), pipelined: the broker must read it in order. */
export function handshake(frameMax = 131072, channelMax = 2047, heartbeat = 0): Buffer {
  const clientProps = new Bytes().lstr(
    new Bytes()
      .sstr('capabilities')
      .u8(0x46)
      .lstr(
        new Bytes()
          .sstr('publisher_confirms')
          .u8(0x74)
          .u8(1)
          .sstr('consumer_cancel_notify')
          .u8(0x74)
          .u8(1)
          .sstr('connection.blocked')
          .u8(0x74)
          .u8(1)
          .build(),
      )
      .sstr('product')
      .u8(0x53)
      .lstr('warren-fuzz')
      .build(),
  );
  const startOk = new Bytes()
    .u16(10)
    .u16(11)
    .raw(clientProps.build())
    .sstr('PLAIN')
    .lstr('\0guest\0guest')
    .sstr('en_US');
  const tuneOk = new Bytes().u16(10).u16(31).u16(channelMax).u32(frameMax).u16(heartbeat);
  const open = new Bytes().u16(10).u16(40).sstr('/').sstr('').u8(0);
  return Buffer.concat([
    PROTOCOL_HEADER,
    frame(1, 0, startOk.build()),
    frame(1, 0, tuneOk.build()),
    frame(1, 0, open.build()),
  ]);
}

export function channelOpen(channel: number): Buffer {
  return frame(1, channel, new Bytes().u16(20).u16(10).sstr('').build());
}

/** The frames after the handshake: methods, content, heartbeats, odd frames, in a random mix. */
export function frameSequence(rng: Rng, channels: number[], frameMax: number, n: number): Buffer[] {
  const spec = amqpSpec();
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const ch = rng.chance(0.9) ? rng.pick(channels) : rng.int(rng.chance(0.5) ? 10 : 65536);
    const r = rng.int(100);
    if (r < 55) {
      const m = rng.chance(0.95) ? rng.pick(spec.serverMethods) : rng.pick(spec.methods);
      if (m.classId === 10 && rng.chance(0.8)) continue; // connection methods mostly end the case at once
      out.push(frame(1, m.classId === 10 ? 0 : ch, methodPayload(rng, m)));
    } else if (r < 80) {
      out.push(...publishSequence(rng, ch, frameMax));
    } else if (r < 85) {
      out.push(frame(8, rng.chance(0.8) ? 0 : ch, Buffer.alloc(rng.chance(0.9) ? 0 : rng.int(8))));
    } else if (r < 90) {
      // a method with a class/method id no one knows, or a truncated known one
      const m = rng.pick(spec.serverMethods);
      const p = methodPayload(rng, m);
      out.push(frame(1, ch, rng.chance(0.5) ? p.subarray(0, rng.int(p.length)) : Buffer.concat([p, rng.bytes(4)])));
    } else if (r < 93) {
      out.push(frame(rng.int(256), ch, rng.bytes(rng.size(64))));
    } else if (r < 95) {
      // announced larger than frame_max, or a frame-end that is not 0xCE
      if (rng.chance(0.5))
        out.push(
          new Bytes()
            .u8(1)
            .u16(ch)
            .u32(frameMax + rng.int(1000000))
            .build(),
        );
      else out.push(frame(1, ch, methodPayload(rng, rng.pick(spec.serverMethods)), rng.int(256)));
    } else {
      out.push(channelOpen(rng.int(channels.length + 3)));
    }
  }
  return out;
}
