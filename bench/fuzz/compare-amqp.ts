// Error replies of Warren and RabbitMQ side by side: each case is a handshake, channel 1 opened, then one
// kind of bad input; the first connection.close (code, class, method) or channel.close code of each broker
// is printed and compared. RabbitMQ is the anchor on 5672 (/work/shared/anchor/start-rabbitmq.sh).
//   node dist/bench/fuzz/compare-amqp.js [rabbitmq-port]
import { channelOpen, deepTable, frame, handshake, PROTOCOL_HEADER } from '../../test/fuzz/lib/amqp-gen.js';
import { Bytes } from '../../test/fuzz/lib/bytes.js';
import { classifyAmqp } from '../../test/fuzz/lib/amqp-target.js';
import { FuzzBroker, playCase } from '../../test/fuzz/lib/harness.js';
import { printSideBySide } from './side-by-side.js';

const m = (cls: number, mth: number, rest: Buffer = Buffer.alloc(0)): Buffer =>
  new Bytes().u16(cls).u16(mth).raw(rest).build();
const sstr = (s: string | Buffer): Buffer => new Bytes().sstr(s).build();
const table = (inner: Buffer): Buffer => new Bytes().lstr(inner).build();
const queueDeclare = (name: string | Buffer, args: Buffer = table(Buffer.alloc(0)), bits = 0): Buffer =>
  m(50, 10, Buffer.concat([Buffer.from([0, 0]), sstr(name), Buffer.from([bits]), args]));
const publish = (ex: string, key: string): Buffer =>
  m(60, 40, Buffer.concat([Buffer.from([0, 0]), sstr(ex), sstr(key), Buffer.from([0])]));
const header = (size: number, props: Buffer, cls = 60): Buffer =>
  new Bytes().u16(cls).u16(0).u64(0, size).raw(props).build();

const CASES: [string, Buffer[]][] = [
  ['frame larger than frame_max', [new Bytes().u8(1).u16(1).u32(200000).raw(Buffer.alloc(200000)).u8(0xce).build()]],
  ['bad frame end', [frame(1, 1, m(60, 10, Buffer.alloc(7)), 0)]],
  ['unknown frame type 7', [frame(7, 1, Buffer.alloc(4))]],
  ['method on a channel never opened', [frame(1, 5, queueDeclare('q'))]],
  ['content header without publish', [frame(2, 1, header(3, Buffer.from([0, 0])))]],
  ['method where a header is due', [frame(1, 1, publish('', 'q')), frame(1, 1, queueDeclare('q'))]],
  ['body frame where a method is due', [frame(3, 1, Buffer.from('abc'))]],
  ['heartbeat on channel 1', [frame(8, 1, Buffer.alloc(0))]],
  ['heartbeat with a payload', [frame(8, 0, Buffer.alloc(4))]],
  ['unknown class 99', [frame(1, 1, m(99, 10))]],
  ['unknown method 60,999', [frame(1, 1, m(60, 999))]],
  ['empty method payload', [frame(1, 1, Buffer.alloc(0))]],
  ['truncated queue.declare', [frame(1, 1, queueDeclare('q').subarray(0, 7))]],
  ['queue.declare with trailing bytes', [frame(1, 1, Buffer.concat([queueDeclare('q'), Buffer.alloc(5)]))]],
  ['short string past the end', [frame(1, 1, m(50, 10, Buffer.from([0, 0, 200, 0x61])))]],
  ['invalid UTF-8 in a queue name', [frame(1, 1, queueDeclare(Buffer.from([0xc0, 0x80])))]],
  [
    'unknown field type Z in arguments',
    [frame(1, 1, queueDeclare('q', table(Buffer.concat([sstr('k'), Buffer.from('Z')]))))],
  ],
  [
    'truncated arguments table',
    [frame(1, 1, Buffer.concat([queueDeclare('q').subarray(0, -4), new Bytes().u32(50).build()]))],
  ],
  ['arguments nested 1000 deep', [frame(1, 1, queueDeclare('q', deepTable(1000, false)))]],
  [
    'body size over max_message_size',
    [frame(1, 1, publish('', 'q')), frame(2, 1, header(200 * 1024 * 1024, Buffer.from([0, 0])))],
  ],
  [
    'headers property table truncated',
    [
      frame(1, 1, publish('', 'q')),
      frame(2, 1, header(0, Buffer.concat([Buffer.from([0x20, 0]), new Bytes().u32(99).build()]))),
    ],
  ],
  [
    'headers property unknown field type',
    [
      frame(1, 1, publish('', 'q')),
      frame(
        2,
        1,
        header(0, Buffer.concat([Buffer.from([0x20, 0]), table(Buffer.concat([sstr('k'), Buffer.from('Z')]))])),
      ),
    ],
  ],
  ['property flags past the end', [frame(1, 1, publish('', 'q')), frame(2, 1, header(0, Buffer.from([0xff, 0xfc])))]],
  [
    'body longer than announced',
    [frame(1, 1, publish('', 'q')), frame(2, 1, header(2, Buffer.from([0, 0]))), frame(3, 1, Buffer.from('abcd'))],
  ],
  ['content header on channel 0', [frame(2, 0, header(0, Buffer.from([0, 0])))]],
  ['content header class 50', [frame(1, 1, publish('', 'q')), frame(2, 1, header(0, Buffer.from([0, 0]), 50))]],
  ['basic.qos on channel 0', [frame(1, 0, m(60, 10, Buffer.alloc(7)))]],
  ['channel.open on channel 3000', [channelOpen(3000)]],
  ['connection.tune-ok after open', [frame(1, 0, m(10, 31, new Bytes().u16(0).u32(131072).u16(0).build()))]],
  ['basic.ack of an unknown tag', [frame(1, 1, m(60, 80, new Bytes().u64(0, 99).u8(0).build()))]],
  [
    'exchange.declare of an unknown type',
    [
      frame(
        1,
        1,
        m(
          40,
          10,
          Buffer.concat([Buffer.from([0, 0]), sstr('fz.cx'), sstr('nope'), Buffer.from([0]), table(Buffer.alloc(0))]),
        ),
      ),
    ],
  ],
  ['queue.declare amq.x', [frame(1, 1, queueDeclare('amq.x'))]],
  [
    'publish to a missing exchange',
    [frame(1, 1, publish('fz.missing', 'q')), frame(2, 1, header(0, Buffer.from([0, 0])))],
  ],
  [
    'basic.consume on a missing queue',
    [
      frame(
        1,
        1,
        m(
          60,
          20,
          Buffer.concat([Buffer.from([0, 0]), sstr('fz.missing'), sstr(''), Buffer.from([0]), table(Buffer.alloc(0))]),
        ),
      ),
    ],
  ],
  ['second channel.open on 1', [channelOpen(1)]],
  ['channel.close-ok unprompted', [frame(1, 1, m(20, 41))]],
  [
    'x-max-priority 1000',
    [
      frame(
        1,
        1,
        queueDeclare(
          'fz.cq',
          table(Buffer.concat([sstr('x-max-priority'), Buffer.from('I'), new Bytes().u32(1000).build()])),
        ),
      ),
    ],
  ],
  [
    'x-message-ttl as a string',
    [
      frame(
        1,
        1,
        queueDeclare(
          'fz.cq2',
          table(Buffer.concat([sstr('x-message-ttl'), Buffer.from('S'), new Bytes().lstr('x').build()])),
        ),
      ),
    ],
  ],
];

async function run(port: number): Promise<string[]> {
  const out: string[] = [];
  for (const [, frames] of CASES) {
    const res = await playCase(
      port,
      { kind: 'compare', chunks: [Buffer.concat([handshake(131072), channelOpen(1), ...frames])], holdMs: 400 },
      5000,
    );
    out.push(res === 'refused' ? 'refused' : classifyAmqp(res.reply));
  }
  return out;
}

const rabbitPort = Number(process.argv[2] ?? 5672);
void PROTOCOL_HEADER;
const broker = await FuzzBroker.start();
const w = await run(broker.ports.amqp);
await broker.stop();
const r = await run(rabbitPort);
printSideBySide(
  CASES.map((c) => c[0]),
  w,
  r,
  [40, 20],
  broker.failures,
);
