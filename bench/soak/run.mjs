#!/usr/bin/env node
// The soak (issue 15): mixed traffic against a `warren server` child with its own data directory, a
// restart every --restart-every (SIGTERM, and kill -9 for every other restart), then checks:
// - nothing confirmed was lost, nothing acked came back, no duplicate without the redelivered flag except
//   after a kill -9 (ledger.mjs says exactly what each means);
// - RSS, event-loop lag and the publish→confirm p99 of a probe connection, sampled every --sample-every,
//   stay flat: the last quarter's median within a factor (or under a floor) of the first quarter's.
// Traffic (workers.mjs): AMQP 0-9-1 with amqplib and pika, MQTT QoS 0/1, STOMP; persistent and transient;
// per-queue and per-message TTL with dead-lettering; a priority queue; the x-delayed-message exchange; a
// quorum queue; consumers that come and go; the Stream protocol (stream.mjs: a publisher with confirms, a
// consumer resuming from its stored offset; after the final kill -9 the stream is read again from `first`
// and must hold every confirmed message). Writes a table and JSON to --out (default bench/results/);
// exits 1 when a check fails.
//   node bench/soak/run.mjs [--duration 60m] [--restart-every 10m] [--sample-every 60s] [--rate 1]
//                           [--no-pika] [--out DIR]
import mqtt from 'mqtt';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setInterval, clearInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startServer, rss } from '../durability/lib.mjs';
import { Ledger } from './ledger.mjs';
import { startTraffic, amqpConnect, declare, DURABLE_QUEUES } from './workers.mjs';
import { startProbes } from './probes.mjs';
import { finalStreamCheck, STREAM_FLOW } from './stream.mjs';
import { flatness, table } from './report.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const ms = (s) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] ?? 's'];
};
const DURATION = ms(opt('--duration', '60m'));
const RESTART_EVERY = ms(opt('--restart-every', '10m'));
const SAMPLE_EVERY = ms(opt('--sample-every', DURATION >= 20 * 60000 ? '60s' : `${Math.round(DURATION / 12000)}s`));
const OUT = opt('--out', fileURLToPath(new URL('../results/', import.meta.url)));

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

const dir = mkdtempSync(join(tmpdir(), 'warren-soak-'));
const ports = { amqp: await freePort(), mqtt: await freePort(), stomp: await freePort(), stream: await freePort() };
const serverArgs = [
  '--amqp-port',
  String(ports.amqp),
  '--mqtt-port',
  String(ports.mqtt),
  '--stomp-port',
  String(ports.stomp),
  '--stream-port',
  String(ports.stream),
  '--segment-size',
  '4MiB', // compaction runs during the soak too
];
const ctx = {
  ports,
  rate: Number(opt('--rate', '1')),
  pika: !args.includes('--no-pika'),
  ledger: new Ledger(),
  stats: {},
  counts: { transientSent: 0, transientReceived: 0, mqttQos0Sent: 0, mqttQos0Received: 0 },
  nextId: {},
  children: [],
  stopping: false,
  draining: false,
  done: false,
};

let server = await startServer(dir, serverArgs);
const restarts = [];
const t0 = Date.now();
const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}\n`);
log(`warren pid ${server.child.pid}, data ${dir}, ports ${JSON.stringify(ports)}`);

/** Stops the broker (SIGTERM or SIGKILL) and starts it again on the same directory and ports. */
async function restart(signal) {
  const r = { at: Math.round((Date.now() - t0) / 1000), signal, stopMs: 0, startMs: 0, sigtermTimedOut: false };
  const t = Date.now();
  if (signal === 'SIGKILL') ctx.ledger.killGen++;
  server.child.kill(signal);
  const exited = await Promise.race([server.exited.then(() => true), sleep(30000).then(() => false)]);
  if (!exited) {
    r.sigtermTimedOut = true; // a graceful stop that hangs is a finding too
    ctx.ledger.killGen++;
    server.child.kill('SIGKILL');
    await server.exited;
  }
  r.stopMs = Date.now() - t;
  for (let attempt = 0; ; attempt++) {
    try {
      server = await startServer(dir, serverArgs);
      break;
    } catch (e) {
      // a port of the old process may linger for a moment; anything else is fatal
      if (attempt > 20) throw e;
      await sleep(500);
    }
  }
  r.startMs = server.startMs;
  restarts.push(r);
  log(`restart ${restarts.length} (${signal}): stopped in ${r.stopMs} ms, started in ${r.startMs} ms`);
}

// the topology and the MQTT subscriber's persistent session exist before the first publish (a message
// routed nowhere is confirmed too, and would count as lost)
{
  const { c } = await amqpConnect(ctx);
  await declare(await c.createChannel());
  await c.close();
  const m = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, {
    clientId: 'soak-sub',
    clean: false,
    reconnectPeriod: 0,
    username: 'guest',
    password: 'guest',
  });
  await m.subscribeAsync('soak/m1', { qos: 1 });
  await m.endAsync();
}
const traffic = startTraffic(ctx);
const probes = startProbes(ctx);
const samples = [];
let rssMax = 0;
const rssTimer = setInterval(() => {
  try {
    rssMax = Math.max(rssMax, rss(server.child.pid).nowMiB);
  } catch {
    /* between restarts */
  }
}, 1000);

// the run: a sample every SAMPLE_EVERY, a restart every RESTART_EVERY
let nextSample = t0 + SAMPLE_EVERY;
let nextRestart = t0 + RESTART_EVERY;
while (Date.now() < t0 + DURATION) {
  const next = Math.min(nextSample, nextRestart, t0 + DURATION);
  await sleep(Math.max(0, next - Date.now()));
  if (Date.now() >= nextRestart && Date.now() < t0 + DURATION - 5000) {
    await restart(restarts.length % 2 === 0 ? 'SIGTERM' : 'SIGKILL');
    nextRestart += RESTART_EVERY;
  }
  if (Date.now() >= nextSample) {
    const p = probes.take();
    let now = 0;
    try {
      now = rss(server.child.pid).nowMiB;
    } catch {
      /* between restarts */
    }
    const s = {
      t: Math.round((Date.now() - t0) / 1000),
      rssMiB: Math.round(now),
      rssMaxMiB: Math.round(Math.max(rssMax, now)),
      lagP99Ms: p.lagP99,
      lagSamples: p.lagN,
      confirmP99Ms: p.confirmP99,
      confirmSamples: p.confirmN,
      load1: Number(loadavg()[0].toFixed(1)),
    };
    rssMax = 0;
    samples.push(s);
    log(`sample ${JSON.stringify(s)} confirmed ${JSON.stringify(confirmedSoFar())}`);
    nextSample += SAMPLE_EVERY;
  }
}

/** Per stream, how many confirmed messages are not consumed yet, and the first few ids. */
function missing() {
  const o = {};
  for (const [k, s] of ctx.ledger.streams) {
    const ids = [...s.confirmed].filter((id) => !s.acked.has(id));
    if (ids.length) o[k] = `${ids.length}: ${ids.slice(0, 5).join(',')}`;
  }
  return o;
}

function confirmedSoFar() {
  const o = {};
  for (const [k, s] of ctx.ledger.streams) o[k] = `${s.acked.size}/${s.confirmed.size}`;
  return o;
}

// drain: publishers stop, consumers stay until every confirmed message was consumed and nothing has been
// delivered for 5 s (the longest delay and TTL are 3 s and 1 s), at most 5 minutes
log('stopping publishers, draining');
ctx.stopping = true;
for (const c of ctx.children) c.kill('SIGTERM');
await sleep(3000);
ctx.draining = true;
const drainStart = Date.now();
let lastDeliveries = -1;
let quietSince = Date.now();
for (;;) {
  await sleep(500);
  const total = [...ctx.ledger.streams.values()].reduce((n, s) => n + s.deliveries, 0);
  if (total !== lastDeliveries) {
    lastDeliveries = total;
    quietSince = Date.now();
  }
  const all = [...ctx.ledger.streams.values()].every((s) => [...s.confirmed].every((id) => s.acked.has(id)));
  if ((all && Date.now() - quietSince > 5000) || Date.now() - drainStart > 300000) break;
  if ((Date.now() - drainStart) % 10000 < 500) log(`draining: ${JSON.stringify(missing())}`);
}
log(`drained in ${Math.round((Date.now() - drainStart) / 1000)} s ${JSON.stringify(confirmedSoFar())}`);
await sleep(1000); // the last acks' round trips
ctx.done = true;
probes.stop();
await Promise.race([traffic, sleep(15000)]);

// after a last kill -9 every durable queue must be empty: whatever comes back goes through the ledger
// (an acked message is a violation) and is counted
const leftAfterFinalKill = {};
/** The stream read again from `first` after the last kill -9: confirmed messages it no longer holds. */
let streamAfterFinalKill;
{
  await restart('SIGKILL');
  const { c } = await amqpConnect(ctx);
  const ch = await c.createChannel();
  await declare(ch);
  const queues = [...DURABLE_QUEUES, 'soak.stomp', 'mqtt-subscription-soak-subqos1'];
  for (const q of queues) {
    const n = (await ch.checkQueue(q).catch(() => ({ messageCount: -1 }))).messageCount;
    if (n === 0) continue;
    leftAfterFinalKill[q] = n;
    if (n < 0) continue;
    let got = 0;
    await new Promise((resolve) => {
      void ch.consume(q, (m) => {
        const { stream, id } = Ledger.parse(m.content);
        ctx.ledger.delivered(stream, id, m.fields.redelivered);
        ctx.ledger.acked(stream, id);
        ch.ack(m);
        if (++got === n) resolve();
      });
      setTimeout(resolve, 5000);
    });
  }
  await c.close();
  streamAfterFinalKill = await finalStreamCheck(ctx).catch((e) => ({ read: 0, missing: [], error: e.message }));
  server.child.kill('SIGTERM');
  await server.exited;
}
clearInterval(rssTimer);

const streams = ctx.ledger.summary();
const flat = flatness(samples, {
  rss: { factor: Number(opt('--rss-factor', '1.5')), floor: Number(opt('--rss-floor-mib', '64')), absolute: true },
  lag: { factor: Number(opt('--lag-factor', '3')), floor: Number(opt('--lag-floor-ms', '50')) },
  confirm: { factor: Number(opt('--confirm-factor', '3')), floor: Number(opt('--confirm-floor-ms', '100')) },
});
const violations = [];
for (const [name, s] of Object.entries(streams)) {
  if (s.lost) violations.push(`${name}: ${s.lost} confirmed messages lost (ids ${s.lostIds.join(', ')})`);
  if (s.ackedCameBack) violations.push(`${name}: ${s.ackedCameBack} acked messages came back`);
  if (s.dupWithoutRedelivered) violations.push(`${name}: ${s.dupWithoutRedelivered} duplicates without redelivered`);
  if (s.confirmed === 0) violations.push(`${name}: nothing confirmed`);
}
if (streamAfterFinalKill.error !== undefined)
  violations.push(
    `${STREAM_FLOW}: the stream could not be read after the final kill -9: ${streamAfterFinalKill.error}`,
  );
if (streamAfterFinalKill.missing.length > 0)
  violations.push(
    `${STREAM_FLOW}: ${streamAfterFinalKill.missing.length} confirmed messages missing from the stream after the final kill -9 (ids ${streamAfterFinalKill.missing.slice(0, 20).join(', ')})`,
  );
for (const r of restarts)
  if (r.sigtermTimedOut) violations.push(`restart at ${r.at}s: SIGTERM did not stop the broker in 30 s`);
for (const [k, f] of Object.entries(flat)) if (!f.flat) violations.push(`${k} not flat: ${f.text}`);

const result = {
  command: `node bench/soak/run.mjs ${args.join(' ')}`.trim(),
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  durationS: Math.round(DURATION / 1000),
  wallS: Math.round((Date.now() - t0) / 1000),
  restartEveryS: RESTART_EVERY / 1000,
  restarts,
  streams,
  counts: ctx.counts,
  workers: ctx.stats,
  leftAfterFinalKill,
  streamAfterFinalKill: { ...streamAfterFinalKill, missing: streamAfterFinalKill.missing.length },
  samples,
  flatness: flat,
  violations,
  pass: violations.length === 0,
};
const text = table(result);
process.stdout.write(text);
mkdirSync(OUT, { recursive: true });
const stamp = result.date.slice(0, 16).replace(/[:T]/g, '-');
const base = join(OUT, `soak-${stamp}-${Math.round(DURATION / 60000)}m`);
writeFileSync(`${base}.json`, JSON.stringify(result, null, 1) + '\n');
writeFileSync(`${base}.txt`, text);
log(`wrote ${base}.json and .txt`);
rmSync(dir, { recursive: true, force: true });
process.exit(result.pass ? 0 : 1);
