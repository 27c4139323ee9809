#!/usr/bin/env node
// Memory alarm under a flood: `warren server` (a child, storage memory) with a memory high watermark, one
// amqplib publisher as fast as the socket takes it, and either no consumer or a slow one, for SECONDS. The
// broker's RSS (/proc) and mem_used (what the watermark is compared with, from the management API) are
// printed every second with the alarm state; then the queue is drained and every message is checked to
// have arrived exactly once. The bar: mem_used levels off near the watermark (it may overshoot by what
// arrives within one 100 ms sample) instead of growing with the backlog, and nothing is lost.
//   node bench/memory/flood.mjs [SECONDS=20] [WATERMARK=256MiB] [SIZE=4096] [MODE=none|slow]
// Run on purpose (it floods for SECONDS); npm test runs a short version (test/clients/amqplib/memory-alarm).
/* global fetch */
import amqp from 'amqplib';
import { setImmediate, setTimeout } from 'node:timers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { rss, startServer } from '../durability/lib.mjs';

const SECONDS = Number(process.argv[2] ?? 20);
const WATERMARK = process.argv[3] ?? '256MiB';
const SIZE = Number(process.argv[4] ?? 4096);
const MODE = process.argv[5] ?? 'none';
const MiB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'warren-flood-'));
// a free port for the management API (on the command line 0 turns it off)
const mgmtPort = await new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const p = srv.address().port;
    srv.close(() => resolve(p));
  });
});
const s = await startServer(dir, [
  '--storage',
  'memory',
  '--vm-memory-high-watermark-absolute',
  WATERMARK,
  '--management-port',
  String(mgmtPort),
]);
const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };
const node = async () => {
  const r = await fetch(`http://127.0.0.1:${mgmtPort}/api/nodes`, { headers: auth });
  return (await r.json())[0];
};

const pubConn = await amqp.connect(s.url);
const subConn = await amqp.connect(s.url);
const ch = await pubConn.createChannel();
const q = 'flood';
await ch.assertQueue(q, { durable: false });
const events = [];
pubConn.on('blocked', (r) => events.push(`blocked (${r})`));
pubConn.on('unblocked', () => events.push('unblocked'));

// the slow consumer: prefetch 10, each message acked 2 ms after it arrives
const seen = new Map();
let got = 0;
const sch = await subConn.createChannel();
const onMessage = (m) => {
  const n = m.content.readUInt32BE(0);
  seen.set(n, (seen.get(n) ?? 0) + 1);
  got++;
};
if (MODE === 'slow') {
  await sch.prefetch(10);
  await sch.consume(q, (m) => {
    onMessage(m);
    setTimeout(() => sch.ack(m), 2);
  });
}

let sent = 0;
let stop = false;
const publishing = (async () => {
  while (!stop) {
    const body = Buffer.alloc(SIZE);
    body.writeUInt32BE(sent, 0);
    sent++;
    if (!ch.sendToQueue(q, body)) await new Promise((r) => ch.once('drain', r));
    else if (sent % 256 === 0) await new Promise((r) => setImmediate(r));
  }
})();

console.log(`flood: ${SECONDS} s, ${SIZE}-byte messages, watermark ${WATERMARK}, consumer: ${MODE}`);
console.log('t(s)  rss(MiB)  mem_used(MiB)  limit(MiB)  alarm  queued    published  events');
let peakUsed = 0;
let peakRss = 0;
const t0 = Date.now();
for (let t = 1; t <= SECONDS; t++) {
  await new Promise((r) => setTimeout(r, t0 + t * 1000 - Date.now()));
  const n = await node();
  const r = rss(s.child.pid).nowMiB;
  const qr = await fetch(`http://127.0.0.1:${mgmtPort}/api/queues/%2F/${q}`, { headers: auth });
  const depth = (await qr.json()).messages ?? 0;
  peakUsed = Math.max(peakUsed, n.mem_used);
  peakRss = Math.max(peakRss, r);
  console.log(
    `${String(t).padStart(4)}  ${r.toFixed(0).padStart(8)}  ${(n.mem_used / MiB).toFixed(0).padStart(13)}  ` +
      `${(n.mem_limit / MiB).toFixed(0).padStart(10)}  ${String(n.mem_alarm).padStart(5)}  ` +
      `${String(depth).padStart(8)}  ${String(sent).padStart(9)}  ${events.splice(0).join(', ')}`,
  );
}
stop = true;
// drain: consume everything (the publisher's last message may still be waiting for 'drain')
if (MODE !== 'slow') {
  await sch.prefetch(500);
  await sch.consume(q, (m) => {
    onMessage(m);
    sch.ack(m);
  });
} else {
  await sch.prefetch(500);
}
const tDrain = Date.now();
while (got < sent && Date.now() - tDrain < 120000) await new Promise((r) => setTimeout(r, 200));
await publishing;
while (got < sent && Date.now() - tDrain < 120000) await new Promise((r) => setTimeout(r, 200));
const n = await node();
let missing = 0;
let dup = 0;
for (let i = 0; i < sent; i++) {
  const c = seen.get(i) ?? 0;
  if (c === 0) missing++;
  else if (c > 1) dup++;
}
console.log(
  `published ${sent}, received ${got}: missing ${missing}, duplicated ${dup}; drained in ${Date.now() - tDrain} ms`,
);
console.log(
  `peak mem_used ${(peakUsed / MiB).toFixed(0)} MiB, peak RSS ${peakRss.toFixed(0)} MiB, ` +
    `watermark ${(n.mem_limit / MiB).toFixed(0)} MiB; after the drain: mem_used ${(n.mem_used / MiB).toFixed(0)} MiB, ` +
    `alarm ${n.mem_alarm}`,
);
await pubConn.close();
await subConn.close();
s.child.kill('SIGTERM');
await s.exited;
rmSync(dir, { recursive: true, force: true });
process.exit(missing === 0 && dup === 0 ? 0 : 1);
