#!/usr/bin/env node
// Stream protocol load (issue 13 "Speed"): publish with confirms, then consume from `first`, with 16-byte
// and 1 KiB messages, against each target in turn (alternating, --rounds times), e.g. Warren and the anchor
// RabbitMQ's stream plugin on 5552. A raw-frames client (Warren's own codec, dist/src/codec/stream) so the
// client costs little next to the broker: Publish frames of --batch messages (AMQP 1.0, one data section)
// with at most --window unconfirmed messages, counted back from PublishConfirm; a Subscribe from `first`
// with credit --credit, one Credit per Deliver, counting each chunk's records from its header (as the
// stream perf tools count; the messages are not decoded).
//   npm run build && node bench/stream/load.mjs [--targets warren=127.0.0.1:5552,rabbitmq=127.0.0.1:5552]
//     [--messages 2000000] [--sizes 16,1024] [--rounds 2] [--batch 100] [--window 10000] [--credit 10]
// Bars (issue 13): Warren >= 2x RabbitMQ on both, and >= 1,000,000 msg/s consumed of 16-byte messages.
import net from 'node:net';
import { Writer } from '../../dist/src/codec/buffer/writer.js';
import { encodeFrame, decodeFrame, StreamFrameDecoder } from '../../dist/src/codec/stream/index.js';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const TARGETS = opt('--targets', 'rabbitmq=127.0.0.1:5552')
  .split(',')
  .map((t) => {
    const [name, hp] = t.split('=');
    const [host, port] = hp.split(':');
    return { name, host, port: Number(port) };
  });
const MESSAGES = Number(opt('--messages', 2_000_000));
const SIZES = opt('--sizes', '16,1024').split(',').map(Number);
const ROUNDS = Number(opt('--rounds', 2));
const BATCH = Number(opt('--batch', 100));
const WINDOW = Number(opt('--window', 10_000));
const CREDIT = Number(opt('--credit', 10));
const USER = opt('--user', 'guest');
const PASS = opt('--password', 'guest');

const KEY = { DeclarePublisher: 1, Publish: 2, PublishConfirm: 3, PublishError: 4, Deliver: 8, Credit: 9, Tune: 0x14 };
const KEY_HEARTBEAT = 0x17;

/** A connection: request/response by correlation id, and hooks for the hot frames. */
class Conn {
  constructor(host, port) {
    this.sock = net.connect(port, host);
    this.sock.setNoDelay(true);
    this.w = new Writer(1 << 16);
    this.corr = 1;
    this.waiting = new Map();
    this.onConfirm = null;
    this.onDeliver = null;
    this.dec = new StreamFrameDecoder({ onFrame: (b, s, e) => this.frame(b, s, e) });
    this.sock.on('data', (d) => this.dec.push(d));
    this.closed = new Promise((r) => this.sock.on('close', r));
    this.sock.on('error', (e) => {
      for (const [, w] of this.waiting) w.reject(e);
    });
  }
  ready() {
    return new Promise((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
  }
  frame(b, s, e) {
    const key = b.readUInt16BE(s) & 0x7fff;
    if (key === KEY.Deliver) return this.onDeliver?.(b, s, e);
    if (key === KEY.PublishConfirm) return this.onConfirm?.(b.readUInt32BE(s + 5));
    if (key === KEY_HEARTBEAT) return;
    const f = decodeFrame(b, s, e);
    if (f.name === 'TuneRequest') {
      // the client answers Tune with key 0x0014 too (no response bit), as the stream clients do
      this.send('TuneRequest', { frameMax: f.frameMax, heartbeat: 0 });
      return;
    }
    if (f.name === 'PublishError') throw new Error(`publish error ${JSON.stringify(f.errors.slice(0, 3))}`);
    if (f.name === 'CloseRequest') throw new Error(`server closed: ${f.closingCode} ${f.closingReason}`);
    const w = this.waiting.get(f.correlationId);
    if (w) {
      this.waiting.delete(f.correlationId);
      w.resolve(f);
    }
  }
  send(name, fields) {
    encodeFrame(this.w, name, fields);
    this.sock.write(this.w.take());
  }
  rpc(name, fields) {
    const correlationId = this.corr++;
    return new Promise((resolve, reject) => {
      this.waiting.set(correlationId, { resolve, reject });
      this.send(name, { correlationId, ...fields });
    });
  }
  async ok(name, fields) {
    const r = await this.rpc(name, fields);
    if (r.responseCode !== 1) throw new Error(`${name}: response code ${r.responseCode}`);
    return r;
  }
  async open() {
    await this.ready();
    await this.rpc('PeerPropertiesRequest', { properties: { product: 'warren-bench' } });
    await this.ok('SaslHandshakeRequest', {});
    await this.ok('SaslAuthenticateRequest', {
      mechanism: 'PLAIN',
      saslOpaqueData: Buffer.from(`\0${USER}\0${PASS}`),
    });
    // the server sends Tune; we answered it in frame(); then open
    await this.ok('OpenRequest', { virtualHost: '/' });
  }
  async close() {
    await this.rpc('CloseRequest', { closingCode: 1, closingReason: 'done' }).catch(() => {});
    this.sock.end();
  }
}

/** One Publish frame of BATCH messages of `size` bytes (AMQP 1.0 data section), ids patched per send. */
function publishTemplate(size) {
  const data = Buffer.alloc(size, 'm');
  const amqpMsg =
    size <= 255
      ? Buffer.concat([Buffer.from([0x00, 0x53, 0x75, 0xa0, size]), data])
      : Buffer.concat([Buffer.from([0x00, 0x53, 0x75, 0xb0]), u32(size), data]);
  const per = 8 + 4 + amqpMsg.length;
  const frame = Buffer.alloc(4 + 2 + 2 + 1 + 4 + BATCH * per);
  frame.writeUInt32BE(frame.length - 4, 0);
  frame.writeUInt16BE(KEY.Publish, 4);
  frame.writeUInt16BE(1, 6);
  frame.writeUInt8(1, 8); // publisher id
  frame.writeUInt32BE(BATCH, 9);
  for (let i = 0; i < BATCH; i++) {
    const p = 13 + i * per;
    frame.writeUInt32BE(amqpMsg.length, p + 8);
    amqpMsg.copy(frame, p + 12);
  }
  return { frame, per };
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

async function publish(c, stream, size, total) {
  await c.ok('DeclarePublisherRequest', { publisherId: 1, publisherReference: '', stream }); // '' = none: RabbitMQ's parser takes no null (-1) string
  const { frame, per } = publishTemplate(size);
  let confirmed = 0;
  let sent = 0;
  let id = 1;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    const pump = () => {
      while (sent < total && sent - confirmed < WINDOW) {
        // a fresh copy per frame: the socket may still hold the previous one
        const f = Buffer.from(frame);
        for (let i = 0; i < BATCH; i++) f.writeBigUInt64BE(BigInt(id++), 13 + i * per);
        sent += BATCH;
        if (!c.sock.write(f)) {
          c.sock.once('drain', pump);
          return;
        }
      }
    };
    c.onConfirm = (n) => {
      confirmed += n;
      if (confirmed >= total) resolve();
      else pump();
    };
    pump();
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  c.onConfirm = null;
  return total / s;
}

async function consume(c, stream, total) {
  let got = 0;
  const credit = Buffer.alloc(4 + 2 + 2 + 1 + 2);
  credit.writeUInt32BE(7, 0);
  credit.writeUInt16BE(KEY.Credit, 4);
  credit.writeUInt16BE(1, 6);
  credit.writeUInt8(1, 8);
  credit.writeUInt16BE(1, 9);
  const t0 = process.hrtime.bigint();
  const done = new Promise((resolve) => {
    c.onDeliver = (b, s) => {
      const version = b.readUInt16BE(s + 2);
      const chunk = s + 5 + (version === 2 ? 8 : 0);
      got += b.readUInt32BE(chunk + 4); // numRecords
      c.sock.write(credit);
      if (got >= total) resolve();
    };
  });
  await c.ok('SubscribeRequest', {
    subscriptionId: 1,
    stream,
    offsetSpec: { type: 'first' },
    credit: CREDIT,
    properties: {},
  });
  await done;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  c.onDeliver = null;
  return total / s;
}

async function one(target, size, round) {
  const stream = `bench-stream-${size}-${round}-${Date.now()}`;
  const c = new Conn(target.host, target.port);
  await c.open();
  const cr = await c.rpc('CreateRequest', { stream, arguments: {} });
  if (cr.responseCode !== 1) throw new Error(`create ${stream}: ${cr.responseCode}`);
  const pub = await publish(c, stream, size, MESSAGES);
  const c2 = new Conn(target.host, target.port);
  await c2.open();
  const con = await consume(c2, stream, MESSAGES);
  await c2.close();
  await c.rpc('DeleteRequest', { stream });
  await c.close();
  return { pub, con };
}

const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const size of SIZES) {
    for (const t of TARGETS) {
      const r = await one(t, size, round);
      const k = `${t.name} ${size} B`;
      (results[k] ??= []).push(r);
      console.log(
        `round ${round + 1} ${k.padEnd(16)} publish+confirm ${Math.round(r.pub).toLocaleString('en').padStart(10)} msg/s` +
          `   consume from first ${Math.round(r.con).toLocaleString('en').padStart(10)} msg/s`,
      );
    }
  }
}
console.log('\nbest of rounds:');
for (const [k, rs] of Object.entries(results)) {
  const pub = Math.max(...rs.map((r) => r.pub));
  const con = Math.max(...rs.map((r) => r.con));
  console.log(
    `${k.padEnd(16)} publish ${Math.round(pub).toLocaleString('en').padStart(10)}   consume ${Math.round(con).toLocaleString('en').padStart(10)}`,
  );
}
process.exit(0);
