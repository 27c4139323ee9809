#!/usr/bin/env node
// A big stream stays cheap in memory (issue 13: "a 10 GiB stream with consumers at different offsets keeps
// Warren's RSS under 256 MiB"). Publishes --gib GiB of --msg-byte messages to one stream queue over AMQP
// 0-9-1 with confirms (into a `warren server` child with file storage), then runs --consumers consumers
// started at evenly spread offsets (first, ..., last), each reading --consume messages with acks; RSS of
// the server is sampled every 100 ms throughout. Then restarts the server (the chunk index is rebuilt from
// the segments) and reads from the middle once more. Also measures the chunk index's bytes per chunk
// in this process (the sparse index against one JS array entry per chunk). Exits 1 over --max-rss-mib.
//   node bench/stream/big-stream.mjs [--gib 2] [--msg-bytes 1024] [--consumers 4] [--consume 100000]
//                                    [--max-rss-mib 256] [--keep]
// 10 GiB: node bench/stream/big-stream.mjs --gib 10   (needs ~11 GB of free disk)
import amqp from 'amqplib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setInterval, clearInterval } from 'node:timers';
import { startServer, rss } from '../durability/lib.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const GIB = Number(opt('--gib', 2));
const MSG = Number(opt('--msg-bytes', 1024));
const CONSUMERS = Number(opt('--consumers', 4));
const CONSUME = Number(opt('--consume', 100000));
const MAX_RSS = Number(opt('--max-rss-mib', 256));
const TOTAL = Math.floor((GIB * 1024 ** 3) / MSG);

// ---- the chunk index's cost per chunk, in this process -------------------------------------------
async function indexCost() {
  const { ChunkIndex } = await import('../../dist/src/storage/streams/chunk-index.js');
  const n = 1_000_000;
  const ix = new ChunkIndex();
  // a chunk of one 1 KiB message every ~1.1 KB of log (a slow publisher: one chunk per turn)
  for (let i = 0; i < n; i++) ix.add(i, Math.floor(i / 450_000), (i % 450_000) * 1100, i);
  // the former index: four JS arrays, one number per chunk each
  const before = process.memoryUsage().heapUsed;
  const a = [[], [], [], []];
  for (let i = 0; i < n; i++) {
    a[0].push(i);
    a[1].push(Math.floor(i / 450_000));
    a[2].push((i % 450_000) * 1100);
    a[3].push(1.7e12 + i);
  }
  const arrays = process.memoryUsage().heapUsed - before;
  return { chunks: n, sparseEntries: ix.length, sparseBytes: ix.bytes, arraysBytes: arrays, keep: a.length };
}

const cost = await indexCost();
console.log(
  `chunk index for ${cost.chunks} chunks of ~1.1 KB: sparse ${cost.sparseEntries} entries, ${cost.sparseBytes} bytes ` +
    `(${(cost.sparseBytes / cost.chunks).toFixed(2)} B/chunk); one JS array entry per chunk: ` +
    `~${(cost.arraysBytes / cost.chunks).toFixed(1)} B/chunk`,
);

const dir = mkdtempSync(join(tmpdir(), 'warren-big-stream-'));
let server = await startServer(dir);
let peak = 0;
const sample = () => {
  try {
    peak = Math.max(peak, rss(server.child.pid).nowMiB);
  } catch {
    /* exited */
  }
};
let timer = setInterval(sample, 100);
const Q = 'big';
const body = Buffer.alloc(MSG, 'm');

let c = await amqp.connect(server.url);
const pub = await c.createConfirmChannel();
await pub.assertQueue(Q, { durable: true, arguments: { 'x-queue-type': 'stream' } });
let t0 = Date.now();
const BATCH = Math.max(100, Math.floor(4_000_000 / MSG));
for (let sent = 0; sent < TOTAL;) {
  const n = Math.min(BATCH, TOTAL - sent);
  for (let i = 0; i < n; i++) pub.sendToQueue(Q, body);
  await pub.waitForConfirms();
  sent += n;
  if ((sent / BATCH) % 100 === 0) process.stdout.write(`  published ${((sent * MSG) / 1024 ** 3).toFixed(2)} GiB\r`);
}
const pubS = (Date.now() - t0) / 1000;
const pubRss = peak;
console.log(
  `published ${TOTAL} x ${MSG} B (${GIB} GiB) in ${pubS.toFixed(1)} s (${Math.round(TOTAL / pubS)} msg/s), ` +
    `server peak RSS ${pubRss.toFixed(0)} MiB`,
);

async function consumeFrom(conn, offset, n) {
  const ch = await conn.createChannel();
  await ch.prefetch(1000);
  let got = 0;
  let first = -1;
  await new Promise((resolve) => {
    void ch.consume(
      Q,
      (m) => {
        if (m === null) return;
        if (first < 0) first = Number(m.properties.headers['x-stream-offset']);
        got++;
        ch.ack(m);
        if (got === n) resolve();
      },
      { arguments: { 'x-stream-offset': offset } },
    );
  });
  await ch.close();
  return first;
}

t0 = Date.now();
const offsets = [];
for (let i = 0; i < CONSUMERS; i++) offsets.push(Math.floor((i * (TOTAL - CONSUME)) / Math.max(1, CONSUMERS - 1)));
const firsts = await Promise.all(offsets.map((o) => consumeFrom(c, o, CONSUME)));
const conS = (Date.now() - t0) / 1000;
console.log(
  `${CONSUMERS} consumers at offsets ${offsets.join(', ')} read ${CONSUME} each in ${conS.toFixed(1)} s ` +
    `(${Math.round((CONSUMERS * CONSUME) / conS)} msg/s in all); first offsets ${firsts.join(', ')}; ` +
    `server peak RSS ${peak.toFixed(0)} MiB`,
);
await c.close();
clearInterval(timer);
sample();
const runPeak = peak;

// restart: the index is rebuilt from the segments' chunk headers
server.child.kill('SIGTERM');
await server.exited;
peak = 0;
t0 = Date.now();
server = await startServer(dir);
const bootS = (Date.now() - t0) / 1000;
timer = setInterval(sample, 100);
c = await amqp.connect(server.url);
const mid = Math.floor(TOTAL / 2);
const midFirst = await consumeFrom(c, mid, CONSUME);
await c.close();
clearInterval(timer);
sample();
console.log(
  `restart: up in ${bootS.toFixed(1)} s, read ${CONSUME} from offset ${mid} (first ${midFirst}); server peak RSS ` +
    `${peak.toFixed(0)} MiB`,
);
server.child.kill('SIGTERM');
await server.exited;
if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
const worst = Math.max(runPeak, peak);
const ok = worst < MAX_RSS && firsts.every((f, i) => f === offsets[i]) && midFirst === mid;
console.log(`${ok ? 'OK' : 'FAIL'}: peak RSS ${worst.toFixed(0)} MiB (bound ${MAX_RSS} MiB)`);
process.exit(ok ? 0 : 1);
