#!/usr/bin/env node
// Stream protocol load (issue 13 "Speed"): publish with confirms, then consume from `first`, with 16-byte
// and 1 KiB messages, against each target in turn (alternating, --rounds times), e.g. Warren and the anchor
// RabbitMQ's stream plugin on 5552. A raw-frames client (Warren's own codec, dist/src/codec/stream, for the
// handshake) so the client costs little next to the broker, the same client and settings for every target:
// - publish: Publish frames of --batch messages (AMQP 1.0, one data section) with at most --window
//   unconfirmed messages (stream-perf-test's defaults: batch 100, 10,000 confirms in flight), counted back
//   from PublishConfirm;
// - consume: Subscribe from `first` with --credit chunks of initial credit, one credit back per chunk
//   received (sent once per socket read, for all the chunks it held), counting each chunk's records from
//   its header as the stream perf tools count (the messages are not decoded). The socket is read into one
//   4 MiB buffer (net's `onread`: no allocation per read) and frames are skimmed where they lie: a Deliver's
//   header is read and the rest of it skipped, never reassembled.
//   npm run build && node bench/stream/load.mjs [--targets warren=127.0.0.1:5552,rabbitmq=127.0.0.1:5552]
//     [--messages 16=10000000,1024=2000000] [--min-seconds 2] [--sizes 16,1024] [--rounds 2] [--batch 100]
//     [--window 10000] [--credit 10] [--pids warren=PID,rabbitmq=PID] [--anchor rabbitmq] [--settle]
// Each consume reads the stream from `first` again until its passes add up to --min-seconds (a single
// pass of a fast broker lasts tens of ms: that measures the subscription's start). After each size of each
// round, every target's ratio to the anchor (rabbitmq, else the last target) is printed. Each round starts
// with the next target in turn (round 1: the first, round 2: the second...).
// With --pids, each consume also prints the broker's CPU and its threads' run-queue wait (from
// /proc/PID/task/*/schedstat, as shares of one core over the consume), the client's own, and the broker's
// peak RSS: on a shared machine a broker that waits for a CPU as long as it runs is starved, not slow.
// Bars (issue 13): Warren >= 2x RabbitMQ on both, and >= 1,000,000 msg/s consumed of 16-byte messages.
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setInterval, clearInterval, setTimeout } from 'node:timers';
import { Writer } from '../../dist/src/codec/buffer/writer.js';
import { encodeFrame, decodeFrame } from '../../dist/src/codec/stream/index.js';
// seconds a process ran and waited for a CPU (/proc schedstat): a starved broker told from a slow one
import { schedstat as procCpu } from '../../dist/bench/lib/schedstat.js';

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
const SIZES = opt('--sizes', '16,1024').split(',').map(Number);
/**
 * Messages published per size: `--messages N` for every size, or `--messages 16=N,1024=M`. The defaults give
 * each publish at least a few seconds on both brokers (a 16 B publish of 2,000,000 lasted under a second).
 */
const DEFAULT_MESSAGES = { 16: 10_000_000, 1024: 2_000_000 };
const MESSAGES = (() => {
  const v = opt('--messages', '');
  const out = new Map(SIZES.map((s) => [s, DEFAULT_MESSAGES[s] ?? 2_000_000]));
  if (v === '') return out;
  if (!v.includes('=')) return new Map(SIZES.map((s) => [s, Number(v)]));
  for (const t of v.split(',')) {
    const [size, n] = t.split('=');
    out.set(Number(size), Number(n));
  }
  return out;
})();
/**
 * A consume lasts at least this many seconds: the stream is read from `first` again (a new subscription per
 * pass) until the passes add up to it. A single pass of 2,000,000 16-byte messages lasted 60-120 ms, which
 * measured the subscription's start, not the throughput.
 */
const MIN_SECONDS = Number(opt('--min-seconds', 2));
/** The target the others are compared with (per-round ratios): `rabbitmq` if given, else the last. */
const ANCHOR = opt('--anchor', '');
const ROUNDS = Number(opt('--rounds', 2));
const BATCH = Number(opt('--batch', 100));
const WINDOW = Number(opt('--window', 10_000));
const CREDIT = Number(opt('--credit', 10));
/**
 * --settle: before each publish and each consume, `sync` and wait until the kernel has no more than 64 MiB of
 * dirty or writeback pages. RabbitMQ's stream plugin does not fsync: its 2 GB publish stays dirty in the page
 * cache (under dirty_background_ratio) and is written back during whatever runs next (the next target's
 * publish, or its own consume); settled, each phase has the disk to itself (other processes' writes aside).
 */
const SETTLE = args.includes('--settle');
const USER = opt('--user', 'guest');
const PASS = opt('--password', 'guest');
/** --pids warren=PID,rabbitmq=PID: also print each broker's CPU time during the consume (from /proc). */
const PIDS = Object.fromEntries(
  (opt('--pids', '') || '')
    .split(',')
    .filter(Boolean)
    .map((t) => t.split('=')),
);

const KEY = { DeclarePublisher: 1, Publish: 2, PublishConfirm: 3, PublishError: 4, Deliver: 8, Credit: 9, Tune: 0x14 };
const KEY_HEARTBEAT = 0x17;

/** Bytes of a frame's start the skimmer needs: size, key, version, subscription id, committed id (v2), and the chunk header up to its record count. */
const DELIVER_HEAD = 4 + 2 + 2 + 1 + 8 + 8;

/**
 * Splits the socket's bytes into frames without reassembling the big ones: a Deliver's head is read
 * (`onDeliver(records)`) and the rest skipped; other frames (small) are copied whole for `onFrame`.
 */
class Skimmer {
  constructor(onDeliver, onFrame) {
    this.onDeliver = onDeliver;
    this.onFrame = onFrame;
    this.head = Buffer.alloc(DELIVER_HEAD);
    this.headLen = 0;
    this.skip = 0;
    this.small = null;
    this.smallLen = 0;
  }
  push(b, p, end) {
    while (p < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - p);
        this.skip -= n;
        p += n;
        continue;
      }
      if (this.small !== null) {
        const n = Math.min(this.small.length - this.smallLen, end - p);
        b.copy(this.small, this.smallLen, p, p + n);
        this.smallLen += n;
        p += n;
        if (this.smallLen === this.small.length) this.whole();
        continue;
      }
      const total = this.headLen >= 4 ? 4 + this.head.readUInt32BE(0) : 4;
      const want = (this.headLen < 4 ? 4 : Math.min(DELIVER_HEAD, total)) - this.headLen;
      const n = Math.min(want, end - p);
      b.copy(this.head, this.headLen, p, p + n);
      this.headLen += n;
      p += n;
      if (n < want || this.headLen === 4) continue;
      const key = this.head.readUInt16BE(4) & 0x7fff;
      if (key === KEY.Deliver && total >= DELIVER_HEAD) {
        const v2 = this.head.readUInt16BE(6) === 2;
        this.onDeliver(this.head.readUInt32BE(9 + (v2 ? 8 : 0) + 4));
        this.skip = total - this.headLen;
        this.headLen = 0;
      } else {
        this.small = Buffer.allocUnsafe(total);
        this.head.copy(this.small, 0, 0, this.headLen);
        this.smallLen = this.headLen;
        this.headLen = 0;
        if (this.smallLen === total) this.whole();
      }
    }
  }
  whole() {
    const f = this.small;
    this.small = null;
    this.onFrame(f, 4, f.length);
  }
}

/** A connection: request/response by correlation id, and hooks for the hot frames. */
class Conn {
  constructor(host, port) {
    this.skim = new Skimmer(
      (records) => this.onDeliver?.(records),
      (b, s, e) => this.frame(b, s, e),
    );
    this.sock = net.connect({
      port,
      host,
      // one reusable 4 MiB read buffer: no allocation per read, big reads
      onread: {
        buffer: Buffer.allocUnsafe(4 << 20),
        callback: (n, buf) => {
          this.skim.push(buf, 0, n);
          this.afterRead?.();
        },
      },
    });
    this.sock.setNoDelay(true);
    this.w = new Writer(1 << 16);
    this.corr = 1;
    this.waiting = new Map();
    this.onConfirm = null;
    this.onDeliver = null;
    this.afterRead = null;
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
    if (key === KEY.PublishConfirm) return this.onConfirm?.(b.readUInt32BE(s + 5));
    if (key === KEY_HEARTBEAT) return;
    const f = decodeFrame(b, s, e);
    if (f.name === 'TuneRequest') {
      // the client answers Tune with key 0x0014 too (no response bit), as the stream clients do
      this.send('TuneRequest', { frameMax: f.frameMax, heartbeat: 0 });
      this.tuned?.();
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
    const tuned = new Promise((r) => (this.tuned = r));
    await this.ok('SaslAuthenticateRequest', {
      mechanism: 'PLAIN',
      saslOpaqueData: Buffer.from(`\0${USER}\0${PASS}`),
    });
    // the server sends Tune after the authentication's answer (maybe in a later read); frame() answers it; then open
    await tuned;
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
  let draining = false;
  const free = [];
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    const pump = () => {
      while (sent < total && sent - confirmed < WINDOW) {
        // a copy per frame in flight (the socket may still hold the previous ones), reused once written: a
        // fresh buffer per frame costs page faults, on a busy machine more than the rest of the client
        const f = free.pop() ?? Buffer.from(frame);
        for (let i = 0; i < BATCH; i++) {
          const p = 13 + i * per;
          f.writeUInt32BE(Math.floor(id / 4294967296), p);
          f.writeUInt32BE(id % 4294967296, p + 4);
          id++;
        }
        sent += BATCH;
        if (!c.sock.write(f, () => free.push(f))) {
          if (!draining) {
            draining = true;
            c.sock.once('drain', () => {
              draining = false;
              pump();
            });
          }
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

/** The resident set of process `pid` in MiB (null: not known). */
function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]) / 1024;
  } catch {
    return null;
  }
}

/** Consume passes from `first` until they add up to MIN_SECONDS; the rate over all of them. */
async function consume(c, stream, total, pid) {
  let messages = 0;
  let seconds = 0;
  let chunks = 0;
  let passes = 0;
  let peakRss = pid === undefined ? null : rssMiB(pid);
  const client0 = procCpu(process.pid);
  const broker0 = procCpu(pid);
  const w0 = process.hrtime.bigint();
  while (passes === 0 || seconds < MIN_SECONDS) {
    const r = await consumeOnce(c, stream, total, pid, ++passes);
    messages += r.got;
    seconds += r.seconds;
    chunks += r.chunks;
    if (r.peakRss !== null) peakRss = Math.max(peakRss ?? 0, r.peakRss);
  }
  // CPU shares over the whole consume (the passes and the Subscribe round trips between them)
  const wall = Number(process.hrtime.bigint() - w0) / 1e9;
  const client1 = procCpu(process.pid);
  const broker1 = procCpu(pid);
  return {
    rate: messages / seconds,
    seconds,
    passes,
    perChunk: messages / chunks,
    clientCpu: (client1.run - client0.run) / wall,
    clientWait: (client1.wait - client0.wait) / wall,
    brokerCpu: broker0 === null || broker1 === null ? null : (broker1.run - broker0.run) / wall,
    brokerWait: broker0 === null || broker1 === null ? null : (broker1.wait - broker0.wait) / wall,
    peakRss,
  };
}

async function consumeOnce(c, stream, total, pid, subscriptionId) {
  let got = 0;
  let chunks = 0;
  let owed = 0;
  const credit = Buffer.alloc(4 + 2 + 2 + 1 + 2);
  credit.writeUInt32BE(7, 0);
  credit.writeUInt16BE(KEY.Credit, 4);
  credit.writeUInt16BE(1, 6);
  credit.writeUInt8(subscriptionId, 8);
  let t0 = 0n;
  const done = new Promise((resolve) => {
    c.onDeliver = (records) => {
      if (chunks++ === 0) {
        t0 = process.hrtime.bigint(); // from the first chunk: Subscribe's own round trip aside
      }
      got += records;
      owed++;
      if (got >= total) resolve();
    };
    // one Credit frame per socket read, for every chunk the read held
    c.afterRead = () => {
      if (owed === 0) return;
      const f = Buffer.from(credit);
      f.writeUInt16BE(owed, 9);
      owed = 0;
      c.sock.write(f);
    };
  });
  await c.ok('SubscribeRequest', {
    subscriptionId,
    stream,
    offsetSpec: { type: 'first' },
    credit: CREDIT,
    properties: {},
  });
  // the broker's peak RSS while it delivers (its read-ahead is bounded per subscription and in total)
  let peakRss = pid === undefined ? null : rssMiB(pid);
  const sampler =
    pid === undefined ? null : setInterval(() => (peakRss = Math.max(peakRss ?? 0, rssMiB(pid) ?? 0)), 100);
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sampler !== null) clearInterval(sampler);
  c.onDeliver = null;
  c.afterRead = null;
  await c.ok('UnsubscribeRequest', { subscriptionId });
  return { got, chunks, seconds, peakRss };
}

/** Dirty + writeback bytes of the whole machine (/proc/meminfo). */
function dirtyBytes() {
  const m = readFileSync('/proc/meminfo', 'latin1');
  let kb = 0;
  for (const k of ['Dirty', 'Writeback']) kb += Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? 0);
  return kb * 1024;
}

/** --settle: write back what is dirty (any process's) before a phase; at most 60 s. */
async function settle() {
  if (!SETTLE) return;
  execFileSync('sync');
  for (let i = 0; i < 600 && dirtyBytes() > 64 * 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 100));
}

async function one(target, size, round) {
  const stream = `bench-stream-${size}-${round}-${Date.now()}`;
  const c = new Conn(target.host, target.port);
  await c.open();
  const cr = await c.rpc('CreateRequest', { stream, arguments: {} });
  if (cr.responseCode !== 1) throw new Error(`create ${stream}: ${cr.responseCode}`);
  const total = MESSAGES.get(size);
  await settle();
  const pub = await publish(c, stream, size, total);
  const c2 = new Conn(target.host, target.port);
  await c2.open();
  await settle();
  const r = await consume(c2, stream, total, PIDS[target.name]);
  await c2.close();
  await c.rpc('DeleteRequest', { stream });
  await c.close();
  return { pub, con: r.rate, ...r };
}

const anchor = ANCHOR || (TARGETS.some((t) => t.name === 'rabbitmq') ? 'rabbitmq' : TARGETS.at(-1).name);
const fmt = (n) => Math.round(n).toLocaleString('en');
const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const size of SIZES) {
    const inRound = {};
    // each round starts with the next target: none always follows the same one (RabbitMQ's stream plugin
    // does not fsync, so the kernel may still be writing its data back during the next target's publish)
    for (const t of TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length])) {
      const r = await one(t, size, round);
      const k = `${t.name} ${size} B`;
      (results[k] ??= []).push(r);
      inRound[t.name] = r;
      console.log(
        `round ${round + 1} ${k.padEnd(16)} publish+confirm ${fmt(r.pub).padStart(10)} msg/s` +
          `   consume from first ${fmt(r.con).padStart(11)} msg/s` +
          `   (${fmt(MESSAGES.get(size))} messages, consumed ${r.passes}x in ${r.seconds.toFixed(2)} s; ` +
          `${fmt(r.perChunk)} messages/chunk; CPU during consume: client ` +
          `${Math.round(r.clientCpu * 100)}% (waiting ${Math.round(r.clientWait * 100)}%)` +
          (r.brokerCpu === null
            ? ''
            : `, broker ${Math.round(r.brokerCpu * 100)}% (waiting ${Math.round(r.brokerWait * 100)}%)`) +
          (r.peakRss === null ? '' : `; broker peak RSS ${Math.round(r.peakRss)} MiB`) +
          ')',
      );
    }
    const a = inRound[anchor];
    if (a === undefined) continue;
    for (const t of TARGETS) {
      if (t.name === anchor) continue;
      const r = inRound[t.name];
      console.log(
        `round ${round + 1} ${`${t.name}/${anchor} ${size} B`.padEnd(24)} publish ${(r.pub / a.pub).toFixed(2)}x   consume ${(r.con / a.con).toFixed(2)}x`,
      );
    }
  }
}
console.log('\nper round (ratios against ' + anchor + ') and best of rounds:');
for (const [k, rs] of Object.entries(results)) {
  const [name, size] = k.split(' ');
  const a = results[`${anchor} ${size} B`];
  const ratios = (f) =>
    name === anchor || a === undefined ? '' : ` (${rs.map((r, i) => (f(r) / f(a[i])).toFixed(2)).join(' / ')}x)`;
  console.log(
    `${k.padEnd(16)} publish ${rs.map((r) => fmt(r.pub)).join(' / ')}${ratios((r) => r.pub)}, best ${fmt(Math.max(...rs.map((r) => r.pub)))}` +
      `   consume ${rs.map((r) => fmt(r.con)).join(' / ')}${ratios((r) => r.con)}, best ${fmt(Math.max(...rs.map((r) => r.con)))}`,
  );
}
process.exit(0);
