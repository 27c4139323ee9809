// A million bindings (issue 15, resource attacks): `--bindings` (default 1,000,000) queue.bind on one direct
// exchange across `--queues` (default 1,000) durable queues, pipelined with nowait by one client
// (test/helpers/bindings-flood.ts), against a broker child with file storage (test/fuzz/lib/broker-child.ts)
// while a probe connection (test/fuzz/lib/probe.ts, a worker thread) does publish → confirm round trips
// every 5 ms. Reports: the declare rate, the broker's live memory (heap + array buffers after a GC) and RSS
// before and after, the probe's p50/p99/max during the flood, routing (20,000 persistent messages to random
// keys with confirms: rate, and every message in its queue), a restart with the bindings durable (time to
// start, routing after it), and deleting the exchange (time, memory after).
//   npm run build && node dist/bench/limits/bindings.js [--bindings 1000000] [--queues 1000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { FuzzBroker, type MemorySample } from '../../test/fuzz/lib/harness.js';
import { Probe } from '../../test/fuzz/lib/probe.js';
import { bindingKey, flood, floodClient, queueName } from '../../test/helpers/bindings-flood.js';

const { values } = parseArgs({
  options: { bindings: { type: 'string', default: '1000000' }, queues: { type: 'string', default: '1000' } },
});
const TOTAL = Number(values.bindings);
const QUEUES = Number(values.queues);
const MESSAGES = 20000;
const dir = mkdtempSync(join(tmpdir(), 'warren-bindings-'));
const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const live = (m: MemorySample): number => m.heapUsed + m.arrayBuffers;
const out: Record<string, unknown> = { bindings: TOTAL, queues: QUEUES, load1Start: loadavg()[0] };
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const start = (): Promise<FuzzBroker> => FuzzBroker.start({ storage: 'file', dataDir: dir, logLevel: 'warn' });

let broker = await start();
const m0 = await broker.mem(300000);
const url = (b: FuzzBroker): string => `amqp://guest:guest@127.0.0.1:${b.ports.amqp}/`;
const probe = new Probe(url(broker));
const c = await floodClient(broker.ports.amqp);
const r = await flood(c, { exchange: 'bx', type: 'direct', queues: QUEUES, total: TOTAL, durable: true }, (n) => {
  if (n % 100000 === 0) log(`${n} bindings`);
});
c.close();
log(`declared in ${r.ms} ms`);
const p = await probe.stop();
const m1 = await broker.mem(300000);
out.declare = { ms: r.ms, perSecond: Math.round((TOTAL * 1000) / r.ms) };
out.probeDuringFlood = { n: p.n, p50: p.p50, p99: p.p99, max: p.max, errors: p.errors.length };
out.memory = { before: mib(live(m0)), after: mib(live(m1)), rssBefore: mib(m0.rss), rssAfter: mib(m1.rss) };
out.bytesPerBinding = Math.round((live(m1) - live(m0)) / TOTAL);
log(JSON.stringify(out));

/** Publish MESSAGES persistent messages to random keys; check that each queue got what its keys route. */
async function route(b: FuzzBroker, label: string): Promise<void> {
  const conn = await amqp.connect(url(b));
  const ch = await conn.createConfirmChannel();
  const expected = new Map<number, number>();
  const t0 = Date.now();
  for (let k = 0; k < MESSAGES; k++) {
    const i = Math.floor(Math.random() * TOTAL);
    expected.set(i % QUEUES, (expected.get(i % QUEUES) ?? 0) + 1);
    if (!ch.publish('bx', bindingKey(i), Buffer.from(String(i)), { persistent: true }))
      await new Promise((res) => ch.once('drain', res));
  }
  await ch.waitForConfirms();
  const ms = Date.now() - t0;
  let wrong = 0;
  for (let q = 0; q < QUEUES; q++) {
    const n = (await ch.checkQueue(queueName(q))).messageCount;
    if (n !== (expected.get(q) ?? 0)) wrong++;
    await ch.purgeQueue(queueName(q));
  }
  out[label] = { messages: MESSAGES, ms, perSecond: Math.round((MESSAGES * 1000) / ms), queuesWithWrongCount: wrong };
  log(`${label}: ${JSON.stringify(out[label])}`);
  await conn.close();
}

await route(broker, 'routing');

// restart: the bindings are durable, they come back
await broker.stop();
const t0 = Date.now();
broker = await start();
out.restart = {
  startMs: Date.now() - t0,
  memory: mib(live(await broker.mem(300000))),
  rss: mib((await broker.mem(300000)).rss),
};
log(`restart: ${JSON.stringify(out.restart)}`);
await route(broker, 'routingAfterRestart');

// deleting the exchange removes every binding
const conn = await amqp.connect(url(broker));
const ch = await conn.createChannel();
const t1 = Date.now();
await ch.deleteExchange('bx');
const delMs = Date.now() - t1;
for (let q = 0; q < QUEUES; q++) await ch.deleteQueue(queueName(q));
await conn.close();
await new Promise((res) => setTimeout(res, 1000));
const m2 = await broker.mem(300000);
out.deleteExchange = { ms: delMs, memoryAfterDeletingAll: mib(live(m2)), rss: mib(m2.rss) };
out.load1End = loadavg()[0];
out.failures = broker.failures.map((f) => f.line.slice(0, 300));
await broker.stop();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 1));
