#!/usr/bin/env node
/* global fetch, AbortSignal, setTimeout, clearTimeout */
// Chaos rounds on a 3-node Warren cluster (issue 14): a real etcd and three `warren server --etcd` nodes
// (test/helpers/cluster), a publisher with confirms and a consumer with acks on every node (amqplib, each
// reconnecting through the list of nodes as users configure a cluster; heartbeat 1 s, connection timeout 1 s). Each round: traffic,
// then kill -9 or SIGSTOP a random node (the leader half the time), measure how long until every publisher
// has a confirm again, bring the node back (restart or SIGCONT) and wait until it is in sync. At the end
// everything is drained and checked: 0 confirmed messages lost, nothing delivered that was never published,
// failover p99 < 5 s. Exit 1 when a check fails.
//   node bench/cluster/chaos.mjs [--rounds 200] [--lease-ttl 2] [--seed N] [--json]   (after npm run build)
import { connect } from 'amqplib';
import { writeFileSync } from 'node:fs';
import { startTestCluster, sleep } from '../../dist/test/helpers/cluster/cluster.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const ROUNDS = Number(arg('rounds', '200'));
const TTL = Number(arg('lease-ttl', '2'));
let seed = Number(arg('seed', String(Date.now() % 100000)));
const JSON_OUT = process.argv.includes('--json');
const QUEUE = 'chaos';
/** A seeded PRNG (mulberry32), so a failing run can be replayed with --seed. */
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const startSeed = seed;
if (!JSON_OUT) console.log(`chaos: ${ROUNDS} rounds, seed ${startSeed}, lease TTL ${TTL} s`);
const log = (...a) => {
  if (!JSON_OUT) console.log(new Date().toISOString().slice(11, 23), ...a);
};

const published = new Set(); // every id ever handed to basic.publish
const confirmed = new Set(); // ids whose confirm came back (ack)
const received = new Map(); // id → times delivered
let phantom = 0;

/** A client that keeps one connection to one of `urls` (starting at `first`), reconnecting through the list.
 * Every wait races the connection's close and stop(), so a client stops wherever it is: connecting, declaring,
 * waiting for confirms or consuming (CI once waited forever on a consumer that had reconnected after stop()). */
class Client {
  constructor(urls, first, role, name) {
    this.urls = urls;
    this.i = first;
    this.role = role;
    this.name = name;
    this.conn = null;
    this.stopped = false;
    this.stage = 'starting';
    this.seq = 0;
    this.lastConfirm = Date.now();
    this.stopping = new Promise((r) => (this.onStop = r));
    this.loop = this.run();
  }
  /** `p`, unless the connection closes or stop() is called first (then it rejects). */
  until(p, closed) {
    const stop = this.stopping.then(() => Promise.reject(new Error('stopped')));
    const gone = closed ? closed.then(() => Promise.reject(new Error('closed'))) : stop;
    return Promise.race([p, gone, stop]);
  }
  async run() {
    while (!this.stopped) {
      const url = this.urls[this.i % this.urls.length] + '?heartbeat=1';
      let conn = null;
      try {
        this.stage = `connecting to ${url}`;
        const connecting = connect(url, { timeout: 1000 });
        // a connection that opens after stop() is closed at once
        connecting.then(
          (c) => this.stopped && c.close().catch(() => {}),
          () => {},
        );
        conn = this.conn = await this.until(connecting);
        const closed = new Promise((r) => {
          conn.on('close', r);
          conn.on('error', () => {});
        });
        if (this.role === 'publisher') await this.publish(conn, closed);
        else await this.consume(conn, closed);
      } catch {
        /* the node is down or went away, or stop(): next one */
      }
      this.stage = 'between connections';
      if (conn) closeHard(conn);
      this.conn = null;
      this.i++;
      if (!this.stopped) await sleep(100);
    }
    this.stage = 'stopped';
  }
  async publish(conn, closed) {
    this.stage = 'opening a confirm channel';
    const ch = await this.until(conn.createConfirmChannel(), closed);
    ch.on('error', () => {});
    this.stage = 'declaring';
    await this.until(ch.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } }), closed);
    while (!this.stopped) {
      const batch = [];
      for (let k = 0; k < 20; k++) {
        const id = `${this.name}-${++this.seq}`;
        published.add(id);
        batch.push(id);
        ch.sendToQueue(QUEUE, Buffer.from(id), { persistent: true });
      }
      this.stage = 'waiting for confirms';
      await this.until(ch.waitForConfirms(), closed);
      for (const id of batch) confirmed.add(id);
      this.lastConfirm = Date.now();
      this.stage = 'publishing';
      await sleep(20);
    }
  }
  async consume(conn, closed) {
    this.stage = 'opening a channel';
    const ch = await this.until(conn.createChannel(), closed);
    ch.on('error', () => {});
    this.stage = 'declaring';
    await this.until(ch.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } }), closed);
    await this.until(ch.prefetch(200), closed);
    this.stage = 'subscribing';
    await this.until(
      ch.consume(QUEUE, (m) => {
        if (m === null) return;
        const id = m.content.toString();
        if (!published.has(id)) phantom++;
        received.set(id, (received.get(id) ?? 0) + 1);
        ch.ack(m);
      }),
      closed,
    );
    this.stage = 'consuming';
    await this.until(closed, closed);
  }
  /** Stop wherever the client is; its connection is closed politely, and dropped if that takes over 5 s. */
  async stop() {
    this.stopped = true;
    this.onStop();
    await Promise.race([this.loop, sleep(10000)]);
    if (this.stage !== 'stopped') throw new Error(`client ${this.name} did not stop (${this.stage})`);
  }
}

/** Close politely; if the broker has not answered close-ok within 5 s, drop the socket. */
function closeHard(conn) {
  const timer = setTimeout(() => conn.connection?.stream?.destroy(), 5000);
  conn
    .close()
    .catch(() => {})
    .finally(() => clearTimeout(timer));
}

function percentile(xs, p) {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

// A watchdog: a round waits at most ~90 s (failover, leader, in sync), the drain 30 s, the stop 10 s. A run past
// that is stuck somewhere: say where and fail, rather than hang a CI job until its own timeout.
const clients = [];
let stage = 'starting the cluster';
const watchdog = setTimeout(
  () => {
    console.error(`chaos: stuck while ${stage}, after ${Math.round(process.uptime())} s`);
    for (const c of clients) console.error(`  ${c.name}: ${c.stage}`);
    process.exit(2);
  },
  (ROUNDS * 100 + 180) * 1000,
);
watchdog.unref();
const cluster = await startTestCluster({ nodes: 3, leaseTtl: TTL });
const failovers = [];
const faults = { kill: 0, stop: 0, leader: 0 };
let ok;
try {
  await cluster.waitForLeader();
  const urls = cluster.urls();
  for (let n = 0; n < urls.length; n++) {
    clients.push(new Client(urls, n, 'publisher', `p${n}`));
    clients.push(new Client(urls, n, 'consumer', `c${n}`));
  }
  const publishers = clients.filter((c) => c.role === 'publisher');
  await sleep(1500);
  for (let round = 1; round <= ROUNDS; round++) {
    stage = `round ${round}`;
    const leaderName = await cluster.leaderName();
    const hitLeader = random() < 0.5;
    const candidates = cluster.nodes.filter((n) => (n.nodeName === leaderName) === hitLeader);
    const victim = candidates[Math.floor(random() * candidates.length)] ?? cluster.nodes[0];
    const how = random() < 0.5 ? 'kill' : 'stop';
    faults[how]++;
    if (victim.nodeName === leaderName) faults.leader++;
    await sleep(300 + Math.floor(random() * 700));
    const t0 = Date.now();
    if (how === 'kill') await victim.kill();
    else victim.pause();
    // failover: until every publisher has had a confirm after the fault
    while (publishers.some((p) => p.lastConfirm <= t0) && Date.now() - t0 < 30000) await sleep(20);
    const ms = Date.now() - t0;
    failovers.push(ms);
    if (how === 'kill') {
      await victim.start();
    } else {
      await sleep(Math.max(0, TTL * 1000 + 500 - (Date.now() - t0))); // past its lease
      victim.resume();
    }
    // back to three running nodes with a leader before the next round
    const leader = await cluster.waitForLeader(30000);
    await waitAllInSync(cluster, 30000);
    log(
      `round ${round}: ${how === 'kill' ? 'kill -9' : 'SIGSTOP'} ${victim.name}${victim.nodeName === leaderName ? ' (leader)' : ''}` +
        `, every publisher confirmed again after ${ms} ms; leader ${leader.name}; confirmed ${confirmed.size}`,
    );
  }
  // drain: every confirmed message must arrive
  stage = 'draining';
  const deadline = Date.now() + 30000;
  while ([...confirmed].some((id) => !received.has(id)) && Date.now() < deadline) await sleep(100);
  stage = 'stopping the clients';
  await Promise.all(clients.map((c) => c.stop()));
  const lost = [...confirmed].filter((id) => !received.has(id));
  const duplicates = [...received.values()].filter((n) => n > 1).length;
  const result = {
    rounds: ROUNDS,
    seed: startSeed,
    leaseTtl: TTL,
    faults,
    published: published.size,
    confirmed: confirmed.size,
    delivered: received.size,
    duplicates,
    lost: lost.length,
    phantom,
    failoverMs: { p50: percentile(failovers, 50), p99: percentile(failovers, 99), max: Math.max(0, ...failovers) },
  };
  const checks = [
    ['0 confirmed messages lost', lost.length === 0],
    ['nothing delivered that was never published', phantom === 0],
    ['failover p99 < 5 s', result.failoverMs.p99 < 5000],
    ['messages confirmed at all', confirmed.size > 0],
  ];
  ok = checks.every(([, pass]) => pass);
  if (JSON_OUT) console.log(JSON.stringify(result));
  else {
    console.log(JSON.stringify(result, null, 2));
    if (lost.length > 0) console.log('lost (first 10):', lost.slice(0, 10));
    for (const [what, pass] of checks) console.log(`${pass ? 'ok' : 'FAILED'}: ${what}`);
  }
  // the plain closing line CI reads
  console.log(`chaos: ${checks.filter(([, p]) => p).length} passed, ${checks.filter(([, p]) => !p).length} failed`);
} catch (e) {
  // what each node said last, to see why
  const logDir = process.env['CHAOS_LOGS'];
  for (const n of cluster.nodes) {
    if (logDir) writeFileSync(`${logDir}/${n.name}.log`, n.output());
    const answers = await fetch(`http://127.0.0.1:${n.ports.prometheus}/metrics`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.status)
      .catch((e) => e.name);
    console.error(`${n.name}: pid ${n.proc?.pid} /metrics: ${answers}`);
    console.error(`--- ${n.name} (${n.running ? 'running' : 'down'})`);
    console.error(n.output().split('\n').slice(-25).join('\n'));
  }
  throw e;
} finally {
  stage = 'closing the cluster';
  await cluster.close();
}
process.exit(ok ? 0 : 1);

/** Every node running and, once there is an in-sync set, in it. */
async function waitAllInSync(c, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const isr = await c.isr().catch(() => null);
    const members = await c.etcdClient
      .getAll()
      .prefix(`warren/${c.clusterName}/members/`)
      .keys()
      .catch(() => []);
    if (members.length === c.nodes.length && (isr === null || c.nodes.every((n) => isr.includes(n.nodeName)))) return;
    if (Date.now() > deadline) throw new Error(`not all nodes in sync after ${ms} ms (isr ${JSON.stringify(isr)})`);
    await sleep(50);
  }
}
