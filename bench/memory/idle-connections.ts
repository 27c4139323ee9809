// Memory at scale, part 1 (issue #6): N idle AMQP connections, each with channel 1 open and a heartbeat,
// held for a while. Reports the broker's RSS before and with them (delta per connection), the longest gap
// between heartbeats the broker sent on any of them against the negotiated interval, connections the broker
// dropped, and the round-trip latency (connect, declare, publish, get) of fresh connections meanwhile.
//   npx tsc -p tsconfig.json
//   node dist/bench/memory/idle-connections.js --uri amqp://guest:guest@127.0.0.1:5672/ [--count 10000]
//     [--heartbeat 10] [--hold 30] [--concurrency 100] [--pid PID] [--json]
// The broker is found by the port it listens on (or --pid): beam.smp for RabbitMQ. Both this process and
// the broker need more than --count open files (ulimit -n); the script checks both and says so.
import { commonOptions, fdLimit, mib, parseArgs, pool, Prober, round, RssSampler, sleep, target } from './common.js';
import { RawConnection } from './raw-amqp.js';

const { values } = parseArgs({
  options: {
    ...commonOptions,
    count: { type: 'string', default: '10000' },
    heartbeat: { type: 'string', default: '10' },
    hold: { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '100' },
  },
});
const count = Number(values.count);
const heartbeat = Number(values.heartbeat);
const holdS = Number(values.hold);
const t = target(values);
const log = (s: string): void => void process.stderr.write(s + '\n');

const need = count + 64;
const mine = fdLimit('self');
let theirs = Infinity;
try {
  theirs = fdLimit(t.pid);
} catch {
  /* another user's process: cannot tell */
}
if (mine < need || theirs < need) {
  log(
    `open-file limits too low for ${count} connections: this process ${mine}, broker ${theirs} (need > ${need}). ` +
      `Raise them (ulimit -n; for RabbitMQ see bench/memory/start-rabbitmq.sh) or pass a smaller --count.`,
  );
  process.exit(2);
}

const prefix = `mem.conns.${process.pid}.${Date.now().toString(36)}`;
const sampler = new RssSampler(t.pid);
await sleep(1000);
const before = sampler.sample();
log(`${t.name} pid ${t.pid}: RSS before ${mib(before)}; opening ${count} connections (heartbeat ${heartbeat} s)`);

const conns: RawConnection[] = [];
// the client's heartbeats: one ticker for all connections, every half interval
const ticker = setInterval(
  () => {
    for (const c of conns) c.sendHeartbeat();
  },
  (heartbeat * 1000) / 2,
);
const prober = new Prober(t.conn, prefix);
await prober.start();

let failed = 0;
let firstError = '';
const t0 = performance.now();
await pool(count, Number(values.concurrency), async () => {
  try {
    conns.push(await RawConnection.open({ ...t.conn, heartbeat }));
  } catch (e) {
    failed++;
    firstError ||= String(e);
  }
  if ((conns.length + failed) % 1000 === 0)
    log(`  ${conns.length} open, ${failed} failed, RSS ${mib(sampler.sample())}`);
});
const openS = (performance.now() - t0) / 1000;
log(`opened ${conns.length} in ${openS.toFixed(1)} s (${Math.round(conns.length / openS)}/s); holding ${holdS} s`);

await sleep(holdS * 1000);
const held = sampler.sample();
const probe = await prober.stop();
clearInterval(ticker);

let maxGap = 0;
let beats = 0;
let silent = 0;
let dropped = 0;
for (const c of conns) {
  if (c.closed !== null) dropped++;
  if (c.beats === 0) silent++;
  beats += c.beats;
  maxGap = Math.max(maxGap, c.gapNow());
}
for (const c of conns) c.destroy();
await sleep(3000);
const afterClose = sampler.sample();
sampler.stop();

const result = {
  mode: 'idle-connections',
  broker: t.name,
  pid: t.pid,
  count,
  opened: conns.length,
  failed,
  firstError: firstError || undefined,
  openPerS: Math.round(conns.length / openS),
  heartbeatS: heartbeat,
  holdS,
  rssBeforeMiB: round(before),
  rssHeldMiB: round(held),
  rssPeakMiB: round(sampler.peak),
  rssAfterCloseMiB: round(afterClose),
  deltaMiB: round(held - before),
  perConnectionKiB: round(((held - before) * 1024) / Math.max(1, conns.length), 2),
  heartbeats: { received: beats, maxGapMs: maxGap, connectionsWithout: silent, droppedByBroker: dropped },
  probe,
};
log(
  `RSS ${mib(before)} → ${mib(held)} (+${mib(held - before)}, ${result.perConnectionKiB} KiB/connection; ` +
    `after close ${mib(afterClose)})\n` +
    `heartbeats: ${beats} received, max gap ${maxGap} ms (interval ${heartbeat * 1000} ms), ` +
    `${silent} connections got none, ${dropped} dropped by the broker\n` +
    `fresh-connection round trip: median ${probe.roundTripMs.median} ms, max ${probe.roundTripMs.max} ms ` +
    `(${probe.roundTripMs.n} probes); ${probe.heartbeat.intervalS} s watcher max gap ${probe.heartbeat.maxGapMs} ms`,
);
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
