// The Stream protocol fuzz target (RabbitMQ's stream protocol, src/frontend/stream). Grammar: the codec's command
// table (src/codec/stream/commands.ts FRAMES: every command's key, version and field kinds) read as data, with
// each field filled by the fuzzer's own encoder (Bytes, not the codec's writeKind, so the fuzzer does not share
// the codec's mistakes) from a small vocabulary (stream names that cases share, RabbitMQ's stream arguments,
// every offset spec) and now and then lying (counts, lengths, nulls, unknown offset types, versions). 55%: a
// valid pipelined handshake then up to ~40 commands (publishers declared, publishes of AMQP 1.0 messages or
// garbage up to 300 KB, subscriptions with credit, held open for deliveries), 30% of the tails mutated; 30%:
// the recorded rabbitmq-stream-js-client sessions mutated; 10%: mutated handshakes; 5%: random bytes.
// Classified by the first response that is not OK (command and code) and the server's Close code.
import { FRAMES, type FrameName } from '../../../src/codec/stream/commands.js';
import { Command, RESPONSE_BIT } from '../../../src/codec/stream/constants.js';
import type { Kind } from '../../../src/codec/stream/schema.js';
import { Bytes } from './bytes.js';
import { chop, mutate } from './mutate.js';
import { corpus } from './corpus.js';
import type { FuzzCase, FuzzTarget } from './harness.js';
import type { Rng } from './rng.js';

const STREAMS = ['fz.s1', 'fz.s2', 'fz.s3', 'fz.ss', 'fz.ss-0', 'fz.ss-1', 'fz.q1', 'amq.direct', '', 'fz.s1'];
const ARG_KEYS = [
  'max-length-bytes',
  'max-age',
  'stream-max-segment-size-bytes',
  'initial-cluster-size',
  'queue-leader-locator',
  'stream-filter-size-bytes',
  'x-queue-type',
  'x-max-length-bytes',
  'x-max-age',
  'x-stream-max-segment-size-bytes',
  'partitions',
  'binding-keys',
];
const ARG_VALUES = [
  '1000',
  '0',
  '-1',
  '1h',
  '7D',
  '10s',
  'x',
  '',
  '500000000',
  '16',
  '255',
  'client-local',
  'balanced',
];
const SUB_KEYS = [
  'name',
  'single-active-consumer',
  'super-stream',
  'filter.0',
  'filter.1',
  'match-unfiltered',
  'x-credit',
];

/** The client → server frames (requests the client sends, and the two responses it answers with). */
// (the server → client requests, Deliver, PublishConfirm, MetadataUpdate..., are in: from a client each is a
// frame the server must refuse)
const CLIENT_FRAMES: FrameName[] = (Object.keys(FRAMES) as FrameName[]).filter(
  (n) => !FRAMES[n].response || n === 'TuneResponse' || n === 'ConsumerUpdateResponse',
);

function str(rng: Rng, b: Bytes, s: string | null): void {
  if (s === null) {
    b.u16(0xffff);
    return;
  }
  const buf = Buffer.from(s);
  b.u16(rng.chance(0.98) ? buf.length : rng.pick([buf.length + 1, buf.length + 5, 0x7fff, 0xfffe])).raw(buf);
}

function name(rng: Rng): string {
  if (rng.chance(0.9)) return rng.pick(STREAMS);
  return rng.chance(0.5) ? `fz.${rng.int(100)}` : rng.bytes(rng.size(300)).toString('latin1');
}

function count(rng: Rng, n: number): number {
  return rng.chance(0.97) ? n : rng.pick([n + 1, n + 1000, 0x7fffffff, 0xffffffff, 0]);
}

/** A small valid AMQP 1.0 message (properties, application properties, a data section), or garbage. */
export function amqp10(rng: Rng, max = 300): Buffer {
  const body = rng.bytes(rng.chance(0.97) ? rng.size(max) : rng.size(300000));
  if (rng.chance(0.2)) return body; // not AMQP 1.0: stored as it came, must not break a reader
  const parts: Buffer[] = [];
  if (rng.chance(0.4)) {
    // application-properties (0x74): a map8 of one str8 key → str8 value
    const k = Buffer.from(rng.pick(['color', 'region', 'k']));
    const v = Buffer.from(rng.pick(['red', 'eu', '']));
    const items = Buffer.concat([Buffer.from([0xa1, k.length]), k, Buffer.from([0xa1, v.length]), v]);
    parts.push(Buffer.from([0x00, 0x53, 0x74, 0xc1, items.length + 1, 2]), items);
  }
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(body.length);
  parts.push(Buffer.from([0x00, 0x53, 0x75, 0xb0]), len, body);
  const m = Buffer.concat(parts);
  return rng.chance(0.1) ? mutate(rng, m) : m;
}

function props(rng: Rng, b: Bytes, keys: readonly string[]): void {
  const n = rng.size(6);
  b.u32(count(rng, n));
  for (let i = 0; i < n; i++) {
    str(rng, b, rng.chance(0.9) ? rng.pick(keys) : name(rng));
    str(rng, b, rng.chance(0.9) ? rng.pick(ARG_VALUES) : name(rng));
  }
}

function offsetSpec(rng: Rng, b: Bytes): void {
  const t = rng.chance(0.95) ? rng.range(1, 5) : rng.int(65536);
  b.u16(t);
  if (t === 4) b.u64(0, rng.chance(0.8) ? rng.int(100) : rng.u32());
  if (t === 5) b.u64(rng.chance(0.8) ? 0x18c : rng.u32(), rng.u32());
}

/** One field of `kind`, as the fuzzer's vocabulary fills it. */
function field(rng: Rng, b: Bytes, frame: FrameName, fieldName: string, kind: Kind, ids: Ids): void {
  switch (kind) {
    case 'u8':
      if (fieldName === 'publisherId')
        b.u8(rng.chance(0.8) && ids.publishers.length ? rng.pick(ids.publishers) : rng.int(256));
      else if (fieldName === 'subscriptionId')
        b.u8(rng.chance(0.8) && ids.subs.length ? rng.pick(ids.subs) : rng.int(256));
      else b.u8(rng.int(256));
      return;
    case 'u16':
    case 'i16':
      if (fieldName === 'credit') b.u16(rng.chance(0.8) ? rng.int(20) : rng.int(65536));
      else b.u16(rng.chance(0.8) ? rng.int(20) : rng.int(65536));
      return;
    case 'u32':
      b.u32(fieldName === 'correlationId' ? ids.corr++ : rng.chance(0.8) ? rng.int(1 << 20) : rng.u32());
      return;
    case 'u64':
    case 'i64':
      b.u64(rng.chance(0.9) ? 0 : rng.u32(), rng.chance(0.7) ? rng.int(1000) : rng.u32());
      return;
    case 'string':
    case 'nstring':
      if (kind === 'nstring' && rng.chance(0.3)) str(rng, b, null);
      else if (fieldName === 'mechanism') str(rng, b, rng.pick(['PLAIN', 'AMQPLAIN', 'EXTERNAL', 'x']));
      else if (fieldName === 'virtualHost') str(rng, b, rng.pick(['/', '/', 'nope', '']));
      else if (fieldName === 'closingReason' || fieldName === 'routingKey') str(rng, b, rng.pick(['', 'ok', 'a.b']));
      else if (fieldName === 'reference' || fieldName === 'publisherReference')
        str(rng, b, rng.pick(['r1', 'r2', '', 'x'.repeat(300)]));
      else str(rng, b, name(rng));
      return;
    case 'bytes':
    case 'optBytes':
      if (kind === 'optBytes' && rng.chance(0.3)) return;
      if (rng.chance(0.1)) b.u32(0xffffffff);
      else {
        const v = rng.chance(0.5) ? Buffer.from('\u0000guest\u0000guest') : rng.bytes(rng.size(40));
        b.lstr(v, rng.chance(0.97) ? undefined : v.length + rng.range(1, 9));
      }
      return;
    case 'strings': {
      const n = rng.size(5);
      b.u32(count(rng, n));
      for (let i = 0; i < n; i++) str(rng, b, name(rng));
      return;
    }
    case 'props':
    case 'optProps':
      if (kind === 'optProps' && rng.chance(0.4)) return;
      props(rng, b, frame.startsWith('Subscribe') ? SUB_KEYS : ARG_KEYS);
      return;
    case 'u64s':
    case 'u16s': {
      const n = rng.size(10);
      b.u32(count(rng, n));
      for (let i = 0; i < n; i++) {
        if (kind === 'u64s') b.u64(0, rng.int(1000));
        else b.u16(rng.int(65536));
      }
      return;
    }
    case 'offsetSpec':
      offsetSpec(rng, b);
      return;
    case 'published':
    case 'publishedV2': {
      const n = rng.chance(0.9) ? 1 + rng.size(30) : rng.size(2000);
      b.u32(count(rng, n));
      for (let i = 0; i < n; i++) {
        b.u64(0, ids.seq++);
        if (kind === 'publishedV2') str(rng, b, rng.chance(0.5) ? null : rng.pick(['eu', 'us', '']));
        const m = amqp10(rng);
        b.lstr(m, rng.chance(0.98) ? undefined : rng.pick([m.length + 1, m.length - 1, 0x7fffffff, 0xffffffff]));
      }
      return;
    }
    case 'versions': {
      const n = rng.size(40);
      b.u32(count(rng, n));
      for (let i = 0; i < n; i++)
        b.u16(rng.chance(0.9) ? 1 + rng.int(30) : rng.int(65536))
          .u16(1)
          .u16(rng.int(3));
      return;
    }
    default: {
      // the server → client kinds (publishErrors, brokers, streamMetadata, stats, rest): some bytes
      const n = rng.size(4);
      b.u32(count(rng, n));
      b.raw(rng.bytes(rng.size(60)));
    }
  }
}

interface Ids {
  corr: number;
  seq: number;
  publishers: number[];
  subs: number[];
}

/** A frame (size prefix included): the frame's key/version from the table, fields by the vocabulary. */
export function streamFrame(rng: Rng, n: FrameName, ids: Ids): Buffer {
  const d = FRAMES[n];
  const body = new Bytes();
  let key: number = d.response ? d.key | RESPONSE_BIT : d.key;
  let version: number = d.version;
  if (rng.chance(0.005)) key = rng.int(65536);
  if (rng.chance(0.005)) version = rng.int(4);
  body.u16(key).u16(version);
  for (const [f, kind] of d.fields) if (rng.chance(0.995)) field(rng, body, n, f, kind, ids);
  if (n === 'DeclarePublisherRequest' || n === 'SubscribeRequest') {
    // remember the id just written, so later frames use it
    const id = body.build()[8]!;
    (n === 'SubscribeRequest' ? ids.subs : ids.publishers).push(id);
  }
  const payload = body.build();
  const out = new Bytes();
  out.u32(
    rng.chance(0.98) ? payload.length : rng.pick([payload.length + 1, payload.length - 1, 0, 0xffffffff, 1 << 24]),
  );
  return out.raw(payload).build();
}

/** The handshake as a client pipelines it: PeerProperties, SaslHandshake, SaslAuthenticate PLAIN, Tune, Open. */
export function handshake(frameMax = 1048576, heartbeat = 0, vhost = '/'): Buffer {
  const f = (key: number, fill: (b: Bytes) => void): Buffer => {
    const body = new Bytes().u16(key).u16(1);
    fill(body);
    const p = body.build();
    return new Bytes().u32(p.length).raw(p).build();
  };
  const s = (b: Bytes, v: string): Bytes => b.u16(Buffer.byteLength(v)).raw(Buffer.from(v));
  return Buffer.concat([
    f(Command.PeerProperties, (b) => s(s(b.u32(1).u32(1), 'connection_name'), 'fuzz')),
    f(Command.SaslHandshake, (b) => b.u32(2)),
    f(Command.SaslAuthenticate, (b) => s(b.u32(3), 'PLAIN').lstr('\u0000guest\u0000guest')),
    f(Command.Tune | RESPONSE_BIT, (b) => b.u32(frameMax).u32(heartbeat)),
    f(Command.Open, (b) => s(b.u32(4), vhost)),
  ]);
}

/** Commands that make the rest meaningful (a stream, a publisher, a subscription) are drawn more often. */
const WEIGHTED: FrameName[] = [
  ...CLIENT_FRAMES,
  ...CLIENT_FRAMES.filter((n) => n.endsWith('Request') && !['TuneRequest', 'ConsumerUpdateRequest'].includes(n)),
  'CreateRequest',
  'CreateRequest',
  'DeclarePublisherRequest',
  'DeclarePublisherRequest',
  'Publish',
  'Publish',
  'Publish',
  'PublishV2',
  'SubscribeRequest',
  'SubscribeRequest',
  'Credit',
  'StoreOffset',
  'QueryOffsetRequest',
  'MetadataRequest',
  'CreateSuperStreamRequest',
];

function generate(rng: Rng): FuzzCase {
  const r = rng.int(100);
  const holdMs = rng.chance(0.1) ? rng.int(300) : 0;
  if (r < 55) {
    const frameMax = rng.chance(0.8) ? 1048576 : rng.pick([0, 4096, 8192, 65536]);
    const head = handshake(frameMax, rng.chance(0.9) ? 0 : rng.int(3));
    const ids: Ids = { corr: 10, seq: 0, publishers: [], subs: [] };
    const frames: Buffer[] = [];
    for (let n = 1 + rng.size(40); n > 0; n--) frames.push(streamFrame(rng, rng.pick(WEIGHTED), ids));
    let tail: Buffer = Buffer.concat(frames);
    if (rng.chance(0.3)) tail = mutate(rng, tail, head);
    return { kind: 'stream-grammar', chunks: [head, ...chop(rng, tail)], holdMs };
  }
  if (r < 85) {
    const s = rng.pick(corpus('stream'));
    return {
      kind: 'stream-session',
      chunks: chop(rng, mutate(rng, s.bytes, rng.pick(corpus('stream')).bytes), 10),
      holdMs,
    };
  }
  if (r < 95) return { kind: 'stream-handshake', chunks: chop(rng, mutate(rng, handshake())), holdMs };
  return { kind: 'stream-raw', chunks: chop(rng, rng.bytes(rng.size(2000))), holdMs };
}

const NAME_OF = new Map<number, string>(Object.entries(Command).map(([k, v]) => [v, k]));

/**
 * The broker's answer as a label: the first response whose code is not OK ("Subscribe 2"), and the server's
 * Close code ("close 13"); "open" when the handshake went through and nothing failed; "closed" for nothing.
 */
export function classifyStream(reply: Buffer): string {
  let p = 0;
  let firstError = '';
  let close = '';
  let opened = false;
  while (p + 8 <= reply.length) {
    const size = reply.readUInt32BE(p);
    if (size < 4 || p + 4 + size > reply.length) break;
    const key = reply.readUInt16BE(p + 4);
    const cmd = key & ~RESPONSE_BIT;
    const isResponse = (key & RESPONSE_BIT) !== 0;
    if (!isResponse && cmd === Command.Close && size >= 10) close = ` close ${reply.readUInt16BE(p + 12)}`;
    // a response's code follows its correlation id, except Tune's (none), Credit's (first) and Metadata's
    if (isResponse && cmd !== Command.Tune && cmd !== Command.Metadata && size >= 6) {
      const code = cmd === Command.Credit ? reply.readUInt16BE(p + 8) : size >= 10 ? reply.readUInt16BE(p + 12) : 1;
      if (cmd === Command.Open && code === 1) opened = true;
      if (code !== 1 && !firstError) firstError = `${NAME_OF.get(cmd) ?? cmd} ${code}`;
    }
    p += 4 + size;
  }
  const s = `${firstError}${close}`.trim();
  return s || (opened ? 'open' : reply.length ? 'other' : 'closed');
}

export const streamTarget: FuzzTarget = { name: 'stream', port: (p) => p.stream, generate, classify: classifyStream };
