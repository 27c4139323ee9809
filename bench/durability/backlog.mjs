#!/usr/bin/env node
// Backlog larger than memory: one durable queue filled with N persistent messages of SIZE bytes (publisher
// confirms), then drained in order by one consumer; checks order and count, prints fill and drain rates and
// the broker's peak RSS (VmHWM). The bar: N=5000000, SIZE=1024, peak RSS under 1 GiB.
//   node bench/durability/backlog.mjs [N=5000000] [SIZE=1024]
import amqp from 'amqplib';
import { setInterval, clearInterval } from 'node:timers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rss, startServer } from './lib.mjs';

const N = Number(process.argv[2] ?? 5000000);
const SIZE = Number(process.argv[3] ?? 1024);
const dir = mkdtempSync(join(process.env.WARREN_BENCH_DIR ?? tmpdir(), 'warren-backlog-'));
const s = await startServer(dir);
const pid = s.child.pid;
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, rss(pid).nowMiB)), 200);
const c = await amqp.connect(s.url);
const ch = await c.createConfirmChannel();
await ch.assertQueue('backlog', { durable: true });
const body = Buffer.alloc(SIZE, 0x61);
let t0 = Date.now();
let sent = 0;
const WINDOW = 2000;
await new Promise((resolve, reject) => {
  let confirmed = 0;
  const onConfirm = (err) => {
    if (err) return reject(err);
    if (++confirmed === N) {
      clearInterval(report);
      resolve();
    } else pump();
  };
  const pump = () => {
    while (sent < N && sent - confirmed < WINDOW) {
      const b = Buffer.from(body);
      b.writeUInt32BE(sent, 0);
      sent++;
      ch.sendToQueue('backlog', b, { persistent: true }, onConfirm);
    }
  };
  const report = setInterval(
    () => process.stderr.write(`\rfill ${confirmed}/${N}  rss ${rss(pid).nowMiB.toFixed(0)} MiB  `),
    1000,
  );
  report.unref();
  pump();
});
const fillS = (Date.now() - t0) / 1000;
const afterFill = rss(pid);
process.stderr.write('\n');
const cc = await amqp.connect(s.url);
const con = await cc.createChannel();
await con.prefetch(1000);
t0 = Date.now();
let got = 0;
let outOfOrder = 0;
await new Promise((resolve) => {
  const report = setInterval(
    () => process.stderr.write(`\rdrain ${got}/${N}  rss ${rss(pid).nowMiB.toFixed(0)} MiB  `),
    1000,
  );
  report.unref();
  void con.consume('backlog', (m) => {
    if (m.content.readUInt32BE(0) !== got) outOfOrder++;
    got++;
    if (got % 100 === 0 || got === N) con.ack(m, true);
    if (got === N) {
      clearInterval(report);
      resolve();
    }
  });
});
const drainS = (Date.now() - t0) / 1000;
clearInterval(sampler);
const end = rss(pid);
process.stderr.write('\n');
await c.close();
await cc.close();
s.child.kill('SIGTERM');
await s.exited;
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      messages: N,
      size: SIZE,
      fillPerSec: Math.round(N / fillS),
      drainPerSec: Math.round(N / drainS),
      fillSeconds: Math.round(fillS),
      drainSeconds: Math.round(drainS),
      rssAfterFillMiB: Math.round(afterFill.nowMiB),
      peakRssMiB: Math.round(Math.max(end.peakMiB, peak)),
      outOfOrder,
    },
    null,
    1,
  ),
);
process.exit(outOfOrder === 0 && end.peakMiB < 1024 ? 0 : 1);
