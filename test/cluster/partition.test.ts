// No split brain with a network fault (issue 14): a fault-injecting proxy (test/helpers/fault-proxy.ts) sits
// between each node and etcd and in front of each node's cluster port. A leader partitioned from etcd and
// from the other nodes (its clients still reach it) stops confirming before another node can win, a new
// leader serves, and when the network heals the old leader rejoins as a follower and discards the records
// only it had (never confirmed). A leader cut off from its followers alone keeps its lease but confirms
// nothing until they are back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type ConfirmChannel } from 'amqplib';
import { sleep, startTestCluster, type TestCluster, type TestNode } from '../helpers/cluster/cluster.js';
import { drain, publishConfirmed, waitInSync } from './helpers.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ nodes: 3, leaseTtl: 2, faults: true });
});
after(async () => {
  await c?.close();
});

/** The time (ms) of the first line of `n`'s log after `from` whose message includes `text`, or null. */
function logTime(n: TestNode, text: string, from = 0): number | null {
  for (const line of n.output().split('\n')) {
    if (!line.includes(text)) continue;
    try {
      const t = (JSON.parse(line) as { time: number }).time;
      if (t >= from) return t;
    } catch {
      /* not a log line */
    }
  }
  return null;
}

async function until(what: string, ok: () => boolean, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await sleep(25);
  }
}

/** Publish `body` on `ch`; the promise says whether a basic.ack came (false: nack, or the channel went). */
function confirmOf(ch: ConfirmChannel, queue: string, body: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      ch.sendToQueue(queue, Buffer.from(body), { persistent: true }, (err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });
}

test('a leader partitioned from etcd and the other nodes stops confirming, then rejoins discarding what only it had', async () => {
  const old = await c.waitForLeader();
  await waitInSync(
    c,
    c.nodes.map((n) => n.nodeName),
  );
  const setup = await connect(old.url);
  await (await setup.createChannel()).assertQueue('orders', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await setup.close();
  const before = Array.from({ length: 200 }, (_, i) => `before-${i}`);
  await publishConfirmed(old.url, 'orders', before);

  // a publisher on the old leader's own port: the client is on the leader's side of the partition
  const conn = await connect(old.url);
  conn.on('error', () => {});
  const closed = new Promise((r) => conn.on('close', r));
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => {});
  const tCut = Date.now();
  old.etcdProxy!.blackhole();
  old.clusterProxy!.blackhole();
  const isolated = await Promise.all(
    Array.from({ length: 100 }, (_, i) => confirmOf(ch, 'orders', `isolated-${i}`)).map((p, i) =>
      p.then((acked) => (acked ? `isolated-${i}` : null)),
    ),
  );
  // written on the old leader's disk, but no follower could acknowledge them: not one confirmed
  assert.deepEqual(
    isolated.filter((x) => x !== null),
    [],
  );
  await closed; // the old leader stepped down: its clients are closed (320 CONNECTION_FORCED)
  const leader = await c.waitForLeader(15000, old.nodeName);
  // it stepped down (stopped confirming) before another node won: never two leaders confirming
  const down = logTime(old, 'lost its etcd lease', tCut);
  const won = logTime(leader, 'won the election', tCut);
  assert.ok(down !== null && won !== null, `step-down ${down}, election ${won}`);
  assert.ok(down < won, `the old leader stepped down at ${down - tCut} ms, the new one won at ${won - tCut} ms`);
  // the new leader confirms (a majority: itself and the third node)
  await publishConfirmed(leader.url, 'orders', ['after']);

  // the network heals: the old leader follows, and drops its records the new leader does not have
  old.etcdProxy!.heal();
  old.clusterProxy!.heal();
  await until('the old leader follows', () => {
    const out = old.output();
    return out.lastIndexOf(' follows (leader') > out.lastIndexOf('lost its etcd lease');
  });
  await until('the old leader truncates its unconfirmed records', () =>
    old.output().includes('truncating records the leader does not have'),
  );
  await waitInSync(
    c,
    c.nodes.map((n) => n.nodeName),
  );
  assert.equal(await c.leaderName(), leader.nodeName);
  // every confirmed message, and nothing of what only the old leader had
  const got = await drain(leader.url, 'orders', before.length + 1);
  assert.deepEqual(got, [...before, 'after']);
  await sleep(300);
  assert.deepEqual(await drain(leader.url, 'orders', 1, 500), [], 'the isolated messages are gone with the old leader');
});

test('a leader cut off from its followers keeps its lease but confirms nothing until they are back', async () => {
  const leader = await c.waitForLeader();
  await waitInSync(
    c,
    c.nodes.map((n) => n.nodeName),
  );
  const conn = await connect(leader.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue('cut', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  leader.clusterProxy!.cut(); // followers' log shipping connections reset, new ones refused
  await waitInSync(c, [leader.nodeName], 10000, true);
  const held = confirmOf(ch, 'cut', 'held');
  const first = await Promise.race([held, sleep(1500).then(() => 'pending' as const)]);
  assert.equal(first, 'pending', 'no confirm without a follower');
  assert.equal(await c.leaderName(), leader.nodeName, 'still the leader: etcd is reachable');
  leader.clusterProxy!.heal();
  assert.equal(await held, true); // the followers reconnect and catch up: confirmed
  await waitInSync(
    c,
    c.nodes.map((n) => n.nodeName),
  );
  await conn.close();
  assert.deepEqual(await drain(leader.url, 'cut', 1), ['held']);
});
