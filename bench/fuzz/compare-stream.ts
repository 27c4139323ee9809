// Stream protocol error replies of Warren and RabbitMQ side by side: each case is a list of steps (frames,
// some valid, some broken) played on one connection with a pause after each; every frame the server sends
// back that is not a plain OK of the handshake is printed as `Command=code` (`Close=0x0d` for a server Close,
// answered with a CloseResponse as a client does), and `closed` when the server ended the connection.
// RabbitMQ is the anchor's stream listener on 5552 (/work/shared/anchor/start-rabbitmq.sh); the users the
// cases need (one with no permissions, one with empty ones) are made on both through the management API.
//   node dist/bench/fuzz/compare-stream.js [rabbitmq-stream-port] [rabbitmq-management-port]
import net from 'node:net';
import { Writer } from '../../src/codec/buffer/writer.js';
import {
  decodeFrame,
  frameBytes,
  RESPONSE_BIT,
  StreamFrameDecoder,
  type FrameFields,
  type FrameName,
} from '../../src/codec/stream/index.js';
import { Bytes } from '../../test/fuzz/lib/bytes.js';
import { FuzzBroker } from '../../test/fuzz/lib/harness.js';
import { printSideBySide } from './side-by-side.js';

const w = new Writer(1024);
const fr = <N extends FrameName>(name: N, fields: FrameFields<N>): Buffer => frameBytes(name, fields, w);
/** A frame from raw parts: key, version, body (the size prefix computed, or `size` to lie). */
const raw = (key: number, version: number, body: Buffer = Buffer.alloc(0), size?: number): Buffer =>
  new Bytes()
    .u32(size ?? body.length + 4)
    .u16(key)
    .u16(version)
    .raw(body)
    .build();
const s16 = (s: string): Buffer => new Bytes().u16(Buffer.byteLength(s)).raw(Buffer.from(s)).build();

let corr = 100;
const c = (): number => corr++;
const plain = (user: string, pass: string): Buffer => Buffer.from(`\u0000${user}\u0000${pass}`);

function handshake(user = 'guest', pass = 'guest', vhost = '/', frameMax = 1048576): Buffer[] {
  return [
    fr('PeerPropertiesRequest', { correlationId: 1, properties: { product: 'compare' } }),
    fr('SaslHandshakeRequest', { correlationId: 2 }),
    fr('SaslAuthenticateRequest', { correlationId: 3, mechanism: 'PLAIN', saslOpaqueData: plain(user, pass) }),
    fr('TuneResponse', { frameMax, heartbeat: 0 }),
    fr('OpenRequest', { correlationId: 4, virtualHost: vhost }),
  ];
}
const open = handshake().map((f) => [f]);
const limited = handshake('cmp-limited', 'cmp').map((f) => [f]);
const S = 'cmp.s1';
const create = (name = S): Buffer => fr('CreateRequest', { correlationId: c(), stream: name, arguments: {} });
const del = (name = S): Buffer => fr('DeleteRequest', { correlationId: c(), stream: name });
const declarePub = (id: number, stream = S, ref: string | null = ''): Buffer =>
  fr('DeclarePublisherRequest', { correlationId: c(), publisherId: id, publisherReference: ref, stream });
const subscribe = (id: number, stream = S): Buffer =>
  fr('SubscribeRequest', {
    correlationId: c(),
    subscriptionId: id,
    stream,
    offsetSpec: { type: 'first' },
    credit: 1,
    properties: {},
  });
/** Subscribe with a raw offset spec (type and value bytes as given). */
const subscribeRaw = (offsetSpec: Buffer): Buffer =>
  raw(
    0x0007,
    1,
    Buffer.concat([new Bytes().u32(c()).u8(1).build(), s16(S), offsetSpec, new Bytes().u16(1).u32(0).build()]),
  );
/** Publish v1 of one message (publishing id 1) for publisher `id`. */
const publish = (id: number): Buffer =>
  raw(0x0002, 1, new Bytes().u8(id).u32(1).u64(0, 1).lstr(Buffer.from('m')).build());

// [name, steps]: each step's frames are written together, then a pause; cases that make a stream delete it
const CASES: [string, Buffer[][]][] = [
  // ---- the handshake
  [
    'SASL mechanism unknown',
    [
      open[0]!,
      open[1]!,
      [fr('SaslAuthenticateRequest', { correlationId: 3, mechanism: 'FOO', saslOpaqueData: plain('guest', 'guest') })],
    ],
  ],
  ['bad password', [open[0]!, open[1]!, [handshake('guest', 'wrong')[2]!]]],
  ['unknown user', [open[0]!, open[1]!, [handshake('nobody', 'x')[2]!]]],
  [
    'PLAIN response malformed',
    [
      open[0]!,
      open[1]!,
      [fr('SaslAuthenticateRequest', { correlationId: 3, mechanism: 'PLAIN', saslOpaqueData: Buffer.from('guest') })],
    ],
  ],
  ['unknown vhost', handshake('guest', 'guest', 'cmp-no-such-vhost').map((f) => [f])],
  ['user without permissions on /', handshake('cmp-noperm', 'cmp').map((f) => [f])],
  ['Open before authentication', [open[0]!, open[1]!, open[4]!]],
  ['Subscribe before the handshake', [[subscribe(1)]]],
  ['Create before Open', [open[0]!, open[1]!, open[2]!, open[3]!, [create()]]],
  ['PeerProperties twice', [open[0]!, open[0]!]],
  ['Tune before authentication', [open[0]!, open[3]!]],
  ['Heartbeat before the handshake', [[raw(0x0017, 1)], open[0]!]],
  // ---- framing
  ['unknown command key 0x0099', [...open, [raw(0x0099, 1, Buffer.alloc(8))]]],
  ['unknown version (Subscribe v9)', [...open, [raw(0x0007, 9, Buffer.alloc(8))]]],
  ['unknown version (Metadata v2)', [...open, [raw(0x000f, 2, new Bytes().u32(c()).u32(0).build())]]],
  ['a response key from the client (0x800d)', [...open, [raw(0x800d, 1, new Bytes().u32(1).u16(1).build())]]],
  ['server-only command from the client (Deliver)', [...open, [raw(0x0008, 1, Buffer.alloc(20))]]],
  ['frame shorter than key+version (size 2)', [...open, [new Bytes().u32(2).u16(0x0d).build()]]],
  [
    'truncated Create (string past the end)',
    [...open, [raw(0x000d, 1, new Bytes().u32(c()).u16(50).raw(Buffer.from('ab')).build())]],
  ],
  [
    'Create with trailing bytes',
    [
      ...open,
      [
        raw(
          0x000d,
          1,
          Buffer.concat([new Bytes().u32(c()).build(), s16('cmp.t'), new Bytes().u32(0).build(), Buffer.alloc(3)]),
        ),
      ],
      [del('cmp.t')],
    ],
  ],
  [
    'frame over the negotiated frame max',
    [...handshake('guest', 'guest', '/', 8192).map((f) => [f]), [raw(0x000d, 1, Buffer.alloc(9000))]],
  ],
  ['frame over the frame max before Tune', [open[0]!, [raw(0x0011, 1, Buffer.alloc(2000000))]]],
  // ---- streams
  ['Create an existing stream', [...open, [create()], [create()], [del()]]],
  [
    'Create with an unknown argument',
    [
      ...open,
      [fr('CreateRequest', { correlationId: c(), stream: 'cmp.a', arguments: { 'no-such-arg': '1' } })],
      [del('cmp.a')],
    ],
  ],
  [
    'Create with max-age "x"',
    [
      ...open,
      [fr('CreateRequest', { correlationId: c(), stream: 'cmp.a', arguments: { 'max-age': 'x' } })],
      [del('cmp.a')],
    ],
  ],
  [
    'Create with max-length-bytes "-1"',
    [
      ...open,
      [fr('CreateRequest', { correlationId: c(), stream: 'cmp.a', arguments: { 'max-length-bytes': '-1' } })],
      [del('cmp.a')],
    ],
  ],
  ['Create with an empty name', [...open, [create('')]]],
  ['Create amq.cmp (reserved name)', [...open, [create('amq.cmp')]]],
  ['Create with a 300-byte name', [...open, [create('x'.repeat(300))], [del('x'.repeat(300))]]],
  ['Delete an unknown stream', [...open, [del('cmp.none')]]],
  ['Delete a classic queue', [...open, [del('cmp.classic')]]],
  ['Metadata of an unknown stream', [...open, [fr('MetadataRequest', { correlationId: c(), streams: ['cmp.none'] })]]],
  [
    'StreamStats of an unknown stream',
    [...open, [fr('StreamStatsRequest', { correlationId: c(), stream: 'cmp.none' })]],
  ],
  [
    'Partitions of an unknown super stream',
    [...open, [fr('PartitionsRequest', { correlationId: c(), superStream: 'cmp.none' })]],
  ],
  [
    'Route on an unknown super stream',
    [...open, [fr('RouteRequest', { correlationId: c(), routingKey: 'k', superStream: 'cmp.none' })]],
  ],
  // ---- publishers
  ['DeclarePublisher, null reference (-1)', [...open, [create()], [declarePub(1, S, null)], [del()]]],
  ['(delete cmp.s1)   ', [...open, [del()]]],
  ['DeclarePublisher on an unknown stream', [...open, [declarePub(1, 'cmp.none')]]],
  ['DeclarePublisher on a classic queue', [...open, [declarePub(1, 'cmp.classic')]]],
  ['publisher id reused', [...open, [create()], [declarePub(1)], [declarePub(1)], [del()]]],
  ['publisher reference reused', [...open, [create()], [declarePub(1, S, 'ref')], [declarePub(2, S, 'ref')], [del()]]],
  ['Publish with an undeclared publisher id', [...open, [publish(7)]]],
  ['DeletePublisher unknown id', [...open, [fr('DeletePublisherRequest', { correlationId: c(), publisherId: 9 })]]],
  [
    'QueryPublisherSequence, unknown stream',
    [
      ...open,
      [fr('QueryPublisherSequenceRequest', { correlationId: c(), publisherReference: 'r', stream: 'cmp.none' })],
    ],
  ],
  // ---- subscriptions
  ['Subscribe to an unknown stream', [...open, [subscribe(1, 'cmp.none')]]],
  ['Subscribe to a classic queue', [...open, [subscribe(1, 'cmp.classic')]]],
  ['subscription id reused', [...open, [create()], [subscribe(1)], [subscribe(1)], [del()]]],
  ['offset spec type 9', [...open, [create()], [subscribeRaw(new Bytes().u16(9).build())], [del()]]],
  ['offset spec type 0', [...open, [create()], [subscribeRaw(new Bytes().u16(0).build())], [del()]]],
  ['offset spec offset, value missing', [...open, [create()], [subscribeRaw(new Bytes().u16(4).build())], [del()]]],
  ['Unsubscribe unknown id', [...open, [fr('UnsubscribeRequest', { correlationId: c(), subscriptionId: 9 })]]],
  ['Credit unknown subscription', [...open, [fr('Credit', { subscriptionId: 9, credit: 1 })]]],
  [
    'StoreOffset on an unknown stream',
    [
      ...open,
      [fr('StoreOffset', { reference: 'r', stream: 'cmp.none', offset: 1 })],
      [fr('QueryOffsetRequest', { correlationId: c(), reference: 'r', stream: 'cmp.none' })],
    ],
  ],
  [
    'QueryOffset, nothing stored',
    [...open, [create()], [fr('QueryOffsetRequest', { correlationId: c(), reference: 'r', stream: S })], [del()]],
  ],
  [
    'QueryPublisherSequence, then Delete',
    [
      ...open,
      [create()],
      [fr('QueryPublisherSequenceRequest', { correlationId: c(), publisherReference: 'r', stream: S })],
      [del()],
    ],
  ],
  [
    'StoreOffset, then Delete',
    [...open, [create()], [fr('StoreOffset', { reference: 'r', stream: S, offset: 0 })], [del()]],
  ],
  [
    'QueryOffset, empty reference',
    [...open, [create()], [fr('QueryOffsetRequest', { correlationId: c(), reference: '', stream: S })], [del()]],
  ],
  // ---- permissions (cmp-limited: permissions ^$ on /)
  ['Create cmp.p (for the next cases)', [...open, [create('cmp.p')]]],
  ['access refused: Create', [...limited, [create('cmp.p')]]],
  ['access refused: Delete', [...limited, [del('cmp.p')]]],
  ['access refused: DeclarePublisher', [...limited, [declarePub(1, 'cmp.p')]]],
  ['access refused: Subscribe', [...limited, [subscribe(1, 'cmp.p')]]],
  [
    'access refused: QueryOffset',
    [...limited, [fr('QueryOffsetRequest', { correlationId: c(), reference: 'r', stream: 'cmp.p' })]],
  ],
  [
    'access refused: StoreOffset',
    [
      ...limited,
      [fr('StoreOffset', { reference: 'r', stream: 'cmp.p', offset: 1 })],
      [fr('MetadataRequest', { correlationId: c(), streams: ['cmp.p'] })],
    ],
  ],
  ['cleanup cmp.p', [...open, [del('cmp.p')]]],
  // ---- the end
  ['client Close', [...open, [fr('CloseRequest', { correlationId: c(), closingCode: 1, closingReason: 'bye' })]]],
];

/** One case: each step written, then `pauseMs`; returns what the server sent (decoded) and whether it closed. */
function play(port: number, steps: Buffer[][], pauseMs = 250): Promise<string> {
  return new Promise((resolve) => {
    const out: string[] = [];
    let closed = false;
    const s = net.connect(port, '127.0.0.1');
    const dec = new StreamFrameDecoder({
      onFrame: (b, st, e) => {
        const key = b.readUInt16BE(st);
        let label: string;
        try {
          const f = decodeFrame(Buffer.from(b.subarray(st, e))) as unknown as Record<string, unknown>;
          const name = String(f.name).replace(/(Request|Response)$/, '');
          const code =
            (f.responseCode as number | undefined) ??
            (f.closingCode as number | undefined) ??
            (f.code as number | undefined) ??
            ((f.streamMetadata as { responseCode: number }[] | undefined)?.[0]?.responseCode as number | undefined) ??
            ((f.errors as { code: number }[] | undefined)?.[0]?.code as number | undefined);
          if (f.name === 'CloseRequest') {
            s.write(fr('CloseResponse', { correlationId: f.correlationId as number, responseCode: 1 }));
          }
          if (f.name === 'TuneRequest' || f.name === 'Heartbeat') return;
          const handshake = ['PeerProperties', 'SaslHandshake', 'SaslAuthenticate', 'Open'].includes(name);
          if (handshake && code === 1) return;
          label = `${name}${code === undefined ? '' : `=0x${code.toString(16).padStart(2, '0')}`}`;
        } catch {
          label = `raw 0x${key.toString(16)}${key & RESPONSE_BIT ? ` code 0x${b.readUInt16BE(st + 8).toString(16)}` : ''}`;
        }
        out.push(label);
      },
    });
    s.on('data', (d: Buffer) => {
      try {
        dec.push(d);
      } catch (e) {
        out.push(`undecodable: ${(e as Error).message}`);
      }
    });
    s.on('end', () => (closed = true));
    s.on('error', () => undefined);
    s.on('connect', () => {
      void (async () => {
        for (const step of steps) {
          if (!s.destroyed && !closed) s.write(Buffer.concat(step));
          await new Promise((r) => setTimeout(r, pauseMs));
        }
        await new Promise((r) => setTimeout(r, 700));
        s.destroy();
        resolve(`${out.join(' ') || '-'}${closed ? ' | closed' : ''}`);
      })();
    });
  });
}

async function http(port: number, method: string, path: string, body?: object): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status >= 400 && r.status !== 404) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
}

/** The users and the classic queue the cases need, on either broker. */
async function setup(mgmt: number): Promise<void> {
  await http(mgmt, 'PUT', '/api/users/cmp-noperm', { password: 'cmp', tags: '' });
  await http(mgmt, 'PUT', '/api/users/cmp-limited', { password: 'cmp', tags: '' });
  await http(mgmt, 'PUT', '/api/permissions/%2F/cmp-limited', { configure: '^$', write: '^$', read: '^$' });
  await http(mgmt, 'PUT', '/api/queues/%2F/cmp.classic', { durable: true, arguments: {} });
  for (const q of [S, 'cmp.a', 'cmp.t', 'cmp.p']) await http(mgmt, 'DELETE', `/api/queues/%2F/${q}`);
}

async function run(port: number, mgmt: number): Promise<string[]> {
  await setup(mgmt);
  const out: string[] = [];
  for (const [, steps] of CASES) out.push(await play(port, steps));
  for (const u of ['cmp-noperm', 'cmp-limited']) await http(mgmt, 'DELETE', `/api/users/${u}`);
  await http(mgmt, 'DELETE', '/api/queues/%2F/cmp.classic');
  return out;
}

const rabbitPort = Number(process.argv[2] ?? 5552);
const rabbitMgmt = Number(process.argv[3] ?? 15672);
const broker = await FuzzBroker.start();
const wr = await run(broker.ports.stream, broker.ports.management);
await broker.stop();
const rr = await run(rabbitPort, rabbitMgmt);
printSideBySide(
  CASES.map((c) => c[0]),
  wr,
  rr,
  [44, 36],
  broker.failures,
);
