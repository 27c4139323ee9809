// Nodes catching up on a real 3-node cluster (issue 14): a follower that was down while messages were
// confirmed catches up when it comes back, and a new node with an empty data directory joins a cluster that
// has data and receives it. Each is shown the way a user would see it: every other node goes down, the node
// in question becomes the leader on its own copy, and a consumer gets every confirmed message from it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import { startTestCluster, type TestCluster, type TestNode } from '../helpers/cluster/cluster.js';
import { api, drain, publishConfirmed, waitInSync } from './helpers.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ nodes: 3, leaseTtl: 2 });
});
after(async () => {
  await c?.close();
});

const names = (nodes: TestNode[]) => nodes.map((n) => n.nodeName);

/** Kill every running node but `keep` (followers first, so the leader drops them from the in-sync set). */
async function leaveOnly(keep: TestNode): Promise<void> {
  const leader = await c.waitForLeader();
  for (const n of c.nodes) if (n !== keep && n !== leader && n.running) await n.kill();
  if (leader === keep) return;
  await waitInSync(c, [leader.nodeName, keep.nodeName], 10000, true);
  await leader.kill();
  const l = await c.waitForLeader(15000, leader.nodeName);
  assert.equal(l, keep, `${keep.name} leads on its own`);
}

async function declare(url: string, queue: string): Promise<void> {
  const conn = await connect(url);
  const ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await conn.close();
}

test('a follower that was down while messages were confirmed catches up when it comes back', async () => {
  const leader = await c.waitForLeader();
  await waitInSync(c, names(c.nodes));
  const [down, other] = c.nodes.filter((n) => n !== leader) as [TestNode, TestNode];
  await declare(leader.url, 'while-down');
  await down.kill();
  await waitInSync(c, [leader.nodeName, other.nodeName], 10000, true);
  const bodies = Array.from({ length: 300 }, (_, i) => `while-down-${i}`);
  await publishConfirmed(leader.url, 'while-down', bodies); // confirmed by the leader and `other`
  await down.start();
  await waitInSync(c, names(c.nodes));
  // the node that was down is now the only one: it must have every message confirmed while it was away
  await leaveOnly(down);
  const conn = await connect(down.url);
  const ch = await conn.createChannel();
  assert.equal((await ch.checkQueue('while-down')).messageCount, 300);
  await conn.close();
  assert.deepEqual(await drain(down.url, 'while-down', 300), bodies);
  // the others come back as followers
  for (const n of c.nodes) if (!n.running) await n.start();
  await waitInSync(c, names(c.nodes));
});

test('a new node with an empty data directory joins a cluster with data and receives it', async () => {
  const leader = await c.waitForLeader();
  await declare(leader.url, 'before-join');
  const bodies = Array.from({ length: 300 }, (_, i) => `before-join-${i}`);
  await publishConfirmed(leader.url, 'before-join', bodies);
  const fresh = await c.addNode();
  assert.equal(fresh.name, 'n4');
  await waitInSync(c, names(c.nodes));
  // listed with the others, as RabbitMQ lists a cluster's nodes
  const nodes = await api<{ name: string; running: boolean }[]>(await c.waitForLeader(), '/api/nodes');
  assert.deepEqual(nodes.body.map((n) => [n.name, n.running]).sort(), c.nodes.map((n) => [n.nodeName, true]).sort());
  await leaveOnly(fresh);
  const conn = await connect(fresh.url);
  const ch = await conn.createChannel();
  assert.equal((await ch.checkQueue('before-join')).messageCount, 300);
  await conn.close();
  assert.deepEqual(await drain(fresh.url, 'before-join', 300), bodies);
});
