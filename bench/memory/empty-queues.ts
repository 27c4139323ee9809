// Memory at scale, part 2 (issue #6): N durable, non-exclusive, empty queues declared over a few connections
// (each pipelining a window of queue.declare), then deleted the same way. Reports the declare and delete
// rates, the broker's RSS before, with the queues (delta per queue) and after deleting them, and what a
// client saw meanwhile: fresh-connection round trips (connect, declare, publish, get) every 2 s and the
// longest gap between broker heartbeats on a connection with a 2 s heartbeat.
//   npx tsc -p tsconfig.json
//   node dist/bench/memory/empty-queues.js --uri amqp://guest:guest@127.0.0.1:5672/ [--count 100000]
//     [--connections 4] [--window 500] [--settle 10] [--pid PID] [--keep]
// The queues are named mem.queues.<pid>.<time>.<i> and always deleted at the end (unless --keep), also when
// the declares fail half way: run it against a shared broker only with care.
import { commonOptions, mib, parseArgs, Prober, round, RssSampler, sleep, target } from './common.js';
import { M, RawConnection } from './raw-amqp.js';

const { values } = parseArgs({
  options: {
    ...commonOptions,
    count: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '4' },
    window: { type: 'string', default: '500' },
    settle: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const nConns = Number(values.connections);
const window = Number(values.window);
const t = target(values);
const log = (s: string): void => void process.stderr.write(s + '\n');
const prefix = `mem.queues.${process.pid}.${Date.now().toString(36)}`;
const name = (i: number): string => `${prefix}.${i}`;

const sampler = new RssSampler(t.pid);
await sleep(1000);
const before = sampler.sample();
log(`${t.name} pid ${t.pid}: RSS before ${mib(before)}; declaring ${count} durable queues over ${nConns} connections`);

const conns: RawConnection[] = [];
for (let i = 0; i < nConns; i++) conns.push(await RawConnection.open({ ...t.conn, heartbeat: 0 }));

/** Send `method(i)` for i in [0, count) split over the connections, at most `window` unanswered on each. */
async function pipelined(send: (c: RawConnection, i: number) => void, reply: number, what: string): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (c, k) => {
      const mine: number[] = [];
      for (let i = k; i < count; i += nConns) mine.push(i);
      let sent = 0;
      const inflight: Promise<unknown>[] = [];
      while (sent < mine.length || inflight.length > 0) {
        while (sent < mine.length && inflight.length < window) {
          send(c, mine[sent++]!);
          const p = c.expect([reply]);
          p.catch(() => {}); // awaited below, in order; this only keeps an early rejection handled
          inflight.push(p);
        }
        await inflight.shift();
        if (++done % 10000 === 0) log(`  ${done} ${what}, RSS ${mib(sampler.sample())}`);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

const prober = new Prober(t.conn, prefix);
await prober.start();
let declareS = 0;
let error = '';
try {
  declareS = await pipelined((c, i) => c.declareQueue(name(i), true), M.QueueDeclareOk, 'declared');
} catch (e) {
  error = String(e);
  log(`declare failed: ${error}`);
}
const declareProbe = await prober.stop();
log(`declared in ${declareS.toFixed(1)} s (${Math.round(count / declareS)}/s); settling ${values.settle} s`);
await sleep(Number(values.settle) * 1000);
const held = sampler.sample();
const heldProber = new Prober(t.conn, `${prefix}.held`);
await heldProber.start();
await sleep(6000);
const heldProbe = await heldProber.stop();

let deleteS = 0;
if (!values.keep) {
  // a failed run may have lost its connections: reopen for the cleanup
  for (let i = 0; i < conns.length; i++) {
    if (conns[i]!.closed !== null) conns[i] = await RawConnection.open({ ...t.conn, heartbeat: 0 });
  }
  deleteS = await pipelined((c, i) => c.deleteQueue(name(i)), M.QueueDeleteOk, 'deleted');
  log(`deleted in ${deleteS.toFixed(1)} s (${Math.round(count / deleteS)}/s)`);
}
for (const c of conns) await c.close();
await sleep(3000);
const after = sampler.sample();
sampler.stop();

const result = {
  mode: 'empty-queues',
  broker: t.name,
  pid: t.pid,
  count,
  connections: nConns,
  window,
  error: error || undefined,
  declarePerS: Math.round(count / declareS),
  declareS: round(declareS),
  deletePerS: deleteS === 0 ? undefined : Math.round(count / deleteS),
  rssBeforeMiB: round(before),
  rssHeldMiB: round(held),
  rssPeakMiB: round(sampler.peak),
  rssAfterDeleteMiB: round(after),
  deltaMiB: round(held - before),
  perQueueKiB: round(((held - before) * 1024) / count, 2),
  duringDeclare: declareProbe,
  whileHeld: heldProbe,
};
log(
  `RSS ${mib(before)} → ${mib(held)} (+${mib(held - before)}, ${result.perQueueKiB} KiB/queue; peak ` +
    `${mib(sampler.peak)}; after delete ${mib(after)})\n` +
    `during declares: round trip median ${declareProbe.roundTripMs.median} ms, max ${declareProbe.roundTripMs.max} ms; ` +
    `heartbeat (${declareProbe.heartbeat.intervalS} s) max gap ${declareProbe.heartbeat.maxGapMs} ms\n` +
    `with the queues: round trip median ${heldProbe.roundTripMs.median} ms, max ${heldProbe.roundTripMs.max} ms`,
);
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(error === '' ? 0 : 1);
