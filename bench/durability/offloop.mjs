#!/usr/bin/env node
// Off the event loop (issue 12): while one consumer drains a backlog of N x 1 KiB persistent messages from
// disk (restart first, so all of it is paged and out of Warren's memory), another connection publishes one
// message at a time with confirms; its publish-to-confirm round trips are measured (p50, p99, max). The
// probe alternates a persistent message to a durable queue (its confirm waits for an fdatasync, so the
// disk's latency is in the figure) and a transient one to a transient queue (confirmed as soon as it is
// routed: what the event loop alone costs another connection). The bar: p99 under 10 ms with
// N = 5,000,000.
// On 2 cores the drain's own client (amqplib, a core of its own at full speed) competes with the broker and the
// probe for the CPU, as it would not across machines; --isolate runs it at nice 10 and the broker and the
// probe at nice -10 (as root), so that the figure is the broker's and not the scheduler's. Every thread: nice is
// per thread on Linux, and setpriority on a pid sets only the main one, so the broker's libuv pool (its fdatasyncs
// and page reads, started before the renice) stayed at 0 (test/fuzz/lib/isolate.ts, as the fuzz probe does).
//   node bench/durability/offloop.mjs [--count 5000000] [--probe-ms 2] [--drop-caches] [--slow-log FILE] [--isolate]
import amqp from 'amqplib';
import { execFileSync, fork } from 'node:child_process';
import { reniceProcess } from '../../dist/test/fuzz/lib/isolate.js';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setInterval, clearInterval, setTimeout } from 'node:timers';
import { startServer } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const COUNT = opt('--count', 5_000_000);
const PROBE_GAP_MS = opt('--probe-ms', 2);
const ISOLATE = args.includes('--isolate');
const SLOW_LOG = args.includes('--slow-log') ? args[args.indexOf('--slow-log') + 1] : undefined;
if (args[0] === '--probe') {
  // (forked by a process at nice 10: back to -10)
  if (ISOLATE) reniceProcess(process.pid, -10);
  // the probe runs in its own process, so the drain's client work does not delay its timings
  const pc = await amqp.connect(args[1]);
  const pch = await pc.createConfirmChannel();
  // the probe alternates a persistent message to a durable queue (its confirm waits for an fsync: the disk's
  // latency counts) and a transient one to a transient queue (confirmed at once: only the event loop counts)
  await pch.assertQueue('probe-transient', { durable: false });
  const rtts = [];
  const transientRtts = [];
  let probing = true;
  process.on('message', () => (probing = false));
  for (let n = 0; probing; n++) {
    const persistent = n % 2 === 0;
    const t = process.hrtime.bigint();
    await new Promise((resolve, reject) =>
      pch.sendToQueue(persistent ? 'probe' : 'probe-transient', Buffer.from('p'), { persistent }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (!persistent) {
      transientRtts.push(ms);
      // (transient ones over 5 ms too, marked t: the event loop's share of a slow stretch)
      if (SLOW_LOG !== undefined && ms > 5) appendFileSync(SLOW_LOG, `${Date.now()} ${ms.toFixed(1)} t\n`);
      await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
      continue;
    }
    rtts.push(ms);
    // --slow-log FILE: each persistent round trip over 10 ms with its wall-clock end, to line up with a broker trace
    if (SLOW_LOG !== undefined && ms > 10) appendFileSync(SLOW_LOG, `${Date.now()} ${ms.toFixed(1)}\n`);
    await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
  }
  await pc.close();
  process.send({ rtts, transientRtts }, () => process.exit(0));
} else {
  await main();
}

async function main() {
  const dir = args.includes('--dir') ? args[args.indexOf('--dir') + 1] : mkdtempSync(join(tmpdir(), 'warren-offloop-'));

  let s = await startServer(dir);
  let c = await amqp.connect(s.url);
  let ch = await c.createConfirmChannel();
  await ch.assertQueue('backlog', { durable: true });
  await ch.assertQueue('probe', { durable: true });
  const body = Buffer.alloc(1024, 7);
  const t0 = Date.now();
  for (let i = 0; i < COUNT; i++) {
    if (!ch.sendToQueue('backlog', body, { persistent: true })) await new Promise((r) => ch.once('drain', r));
    if (i % 5000 === 4999) {
      await ch.waitForConfirms();
      process.stderr.write(`\rfilled ${i + 1}/${COUNT}`);
    }
  }
  await ch.waitForConfirms();
  const fillS = (Date.now() - t0) / 1000;
  await c.close();
  // restart: the backlog is recovered as positions only; every message is read back from disk
  s.child.kill('SIGTERM');
  await s.exited;
  // --drop-caches (root): the backlog is read from the disk itself, not from the page cache the fill left
  if (args.includes('--drop-caches')) {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  }
  s = await startServer(dir);
  process.stderr.write(`\nrestarted in ${s.startMs} ms; draining\n`);

  if (ISOLATE) {
    reniceProcess(s.child.pid, -10);
    reniceProcess(process.pid, 10);
  }
  // the same probe for 3 s with nothing else running: what a confirm costs on this machine now
  const idle = fork(new URL(import.meta.url).pathname, ['--probe', s.url, ...args]);
  const idleP = new Promise((r) => idle.once('message', r));
  await new Promise((r) => setTimeout(r, 3000));
  idle.send('stop');
  const { rtts: idleRtts, transientRtts: idleTransient } = await idleP;
  const cc = await amqp.connect(s.url);
  const con = await cc.createChannel();
  await con.prefetch(1000);
  let drained = 0;
  const cpu0 = cpuMs(s.child.pid);
  const drainStart = Date.now();
  const allDrained = new Promise((resolve) => {
    void con.consume('backlog', (m) => {
      if (++drained % 500 === 0 || drained === COUNT) con.ack(m, true);
      if (drained === COUNT) resolve();
    });
  });
  const prober = fork(new URL(import.meta.url).pathname, ['--probe', s.url, ...args]);
  const rttsP = new Promise((r) => prober.once('message', r));
  let last = 0;
  const progress = setInterval(() => {
    process.stderr.write(`\rdrained ${drained}/${COUNT} (${drained - last}/s)   `);
    last = drained;
  }, 1000);
  await allDrained;
  const drainS = (Date.now() - drainStart) / 1000;
  const drainCpuMs = cpuMs(s.child.pid) - cpu0;
  prober.send('stop');
  const { rtts, transientRtts } = await rttsP;
  clearInterval(progress);
  await cc.close();
  s.child.kill('SIGTERM');
  await s.exited;
  if (!args.includes('--dir')) rmSync(dir, { recursive: true, force: true });
  const stats = (xs) => {
    xs.sort((a, b) => a - b);
    const q = (p) => +xs[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(2);
    return { probes: xs.length, p50: q(0.5), p99: q(0.99), max: q(1) };
  };
  process.stderr.write('\n');
  console.log(
    JSON.stringify({
      count: COUNT,
      fillSeconds: Math.round(fillS),
      drainSeconds: Math.round(drainS * 10) / 10,
      drainPerSecond: Math.round(COUNT / drainS),
      // the broker's CPU (user + system, all threads) per message drained: what the load does not change
      brokerCpuUsPerMessage: Math.round((drainCpuMs * 1000 * 100) / COUNT) / 100,
      idleConfirmRttMs: stats(idleRtts),
      drainingConfirmRttMs: stats(rtts),
      idleTransientConfirmRttMs: stats(idleTransient),
      drainingTransientConfirmRttMs: stats(transientRtts),
    }),
  );
}

/** CPU time of a process so far, ms (Linux /proc: utime + stime in clock ticks of 10 ms). */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
