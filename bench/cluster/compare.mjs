#!/usr/bin/env node
// Issue 14's throughput bar: a 3-node Warren cluster (a real etcd and three `warren server --etcd` nodes on
// loopback, test/helpers/cluster), persistent messages replicated to a follower before each confirm,
// measured with the shared yardstick compare.sh against one RabbitMQ node: A = the cluster's leader,
// B = RabbitMQ, C = the same cluster through a follower (its pipe to the leader). CPU is counted for all
// three Warren processes on both A and C (`--broker-pid` takes a list), since they share the machine.
//   node bench/cluster/compare.mjs [--rabbitmq amqp://guest:guest@127.0.0.1:5672/] [--compare ../shared/bench/compare.sh]
//        [--rounds 3] [--duration 6] [--lease-ttl 3] [--out DIR] [--hold] [scenario...]   (after npm run build)
// Default scenario: persistent-confirm. EXTRA_FLAGS etc. pass through to compare.sh (its README).
// --hold: start the cluster, print its URLs and wait (Ctrl-C stops it), to run compare.sh or a profiler by hand.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestCluster, sleep } from '../../dist/test/helpers/cluster/cluster.js';

const argv = process.argv.slice(2);
const opts = {};
const scenarios = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--hold') opts.hold = true;
  else if (a.startsWith('--')) opts[a.slice(2)] = argv[++i];
  else scenarios.push(a);
}
const RABBIT = opts.rabbitmq ?? 'amqp://guest:guest@127.0.0.1:5672/';
const COMPARE = opts.compare ?? fileURLToPath(new URL('../../../shared/bench/compare.sh', import.meta.url));

const c = await startTestCluster({ nodes: 3, leaseTtl: Number(opts['lease-ttl'] ?? 3) });
let code;
try {
  const leader = await c.waitForLeader();
  const follower = c.nodes.find((n) => n !== leader);
  // every node in the in-sync set: confirms wait for a follower from the first message
  for (let i = 0; ; i++) {
    const isr = await c.isr();
    if (isr !== null && isr.length === 3) break;
    if (i > 400) throw new Error(`in-sync set ${JSON.stringify(isr)}`);
    await sleep(50);
  }
  const pids = c.nodes.map((n) => n.proc.pid).join(',');
  console.error(
    `cluster: leader ${leader.name} ${leader.url}, follower ${follower.name} ${follower.url}, pids ${pids}`,
  );
  if (opts.hold) {
    await new Promise((r) => process.once('SIGINT', r));
    code = 0;
  } else {
    const args = ['-r', opts.rounds ?? '3', '-d', opts.duration ?? '6', '-c', follower.url];
    if (opts.out) args.push('-o', opts.out);
    args.push(leader.url, RABBIT, ...(scenarios.length ? scenarios : ['persistent-confirm']));
    const env = {
      ...process.env,
      A_NAME: `warren 3-node cluster, leader ${leader.name} (pids ${pids})`,
      B_NAME: 'rabbitmq, one node',
      C_NAME: `warren 3-node cluster through follower ${follower.name} (pids ${pids})`,
      A_PID: pids,
      C_PID: pids,
    };
    const child = spawn(COMPARE, args, { stdio: 'inherit', env });
    code = await new Promise((r) => child.on('exit', (x) => r(x ?? 1)));
  }
} finally {
  await c.close();
}
process.exit(code);
