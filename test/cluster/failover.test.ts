// Failover on a real 3-node cluster: kill -9 the leader, a client with the nodes' list reconnects within
// 5 s and finds what was declared; a paused leader (SIGSTOP past its lease) steps down when it runs
// again and rejoins as a follower: one leader at a time, no split brain.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import { sleep, startTestCluster, type TestCluster } from '../helpers/cluster/cluster.js';
import { api, connectAny } from './helpers.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ nodes: 3, leaseTtl: 2 });
});
after(async () => {
  await c?.close();
});

test('kill -9 the leader: another node leads and serves within 5 s, definitions kept; the old one rejoins', async () => {
  const leader = await c.waitForLeader();
  const conn = await connect(leader.url);
  const ch = await conn.createChannel();
  await ch.assertExchange('orders', 'topic', { durable: true });
  await ch.assertQueue('orders.eu', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue('orders.eu', 'orders', 'eu.#');
  await conn.close();
  await sleep(300); // the definitions mirror coalesces over 100 ms
  const t0 = Date.now();
  await leader.kill();
  const others = c.nodes.filter((n) => n !== leader);
  const { conn: conn2 } = await connectAny(
    others.map((n) => n.url),
    5000,
  );
  const ch2 = await conn2.createConfirmChannel();
  // the client reaches the new leader (directly or piped): the queue, its binding, publishing with confirms
  await ch2.checkQueue('orders.eu');
  ch2.publish('orders', 'eu.fr', Buffer.from('after failover'), { persistent: true });
  await ch2.waitForConfirms();
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 5000, `serving again after ${elapsed} ms`);
  const m = await ch2.get('orders.eu', { noAck: true });
  assert.ok(m && m.content.toString() === 'after failover');
  await conn2.close();
  const newLeader = await c.waitForLeader(5000, leader.nodeName);
  assert.notEqual(newLeader, leader);
  // the old leader comes back as a follower
  await leader.start();
  await sleep(500);
  assert.equal(await c.leaderName(), newLeader.nodeName);
  const ov = await api<{ node: string }>(leader, '/api/overview');
  assert.equal(ov.body.node, newLeader.nodeName, 'the restarted node pipes to the leader');
  const nodes = await api<{ name: string; running: boolean; warren_role: string }[]>(newLeader, '/api/nodes');
  assert.deepEqual(
    nodes.body.map((n) => [n.name, n.running, n.warren_role]),
    c.nodes.map((n) => [n.nodeName, true, n === newLeader ? 'leader' : 'follower']),
  );
});

test('SIGSTOP the leader past its lease: a new leader; SIGCONT: the old one steps down, no split brain', async () => {
  const leader = await c.waitForLeader();
  const conn = await connect(leader.url);
  conn.on('error', () => {});
  const closed = new Promise((r) => conn.on('close', r));
  leader.pause();
  const newLeader = await c.waitForLeader(10000, leader.nodeName);
  assert.notEqual(newLeader, leader);
  leader.resume();
  // the old leader notices its lease is gone, closes its clients and follows
  await closed;
  for (let i = 0; !leader.output().includes('lost its etcd lease'); i++) {
    assert.ok(i < 200, 'the paused leader did not notice');
    await sleep(25);
  }
  for (let i = 0; ; i++) {
    const out = leader.output();
    if (out.lastIndexOf(' follows (leader') > out.lastIndexOf('lost its etcd lease')) break;
    assert.ok(i < 400, 'the old leader did not rejoin as a follower');
    await sleep(25);
  }
  assert.equal(await c.leaderName(), newLeader.nodeName);
  // its ports now lead to the new leader
  const ov = await api<{ node: string }>(leader, '/api/overview');
  assert.equal(ov.body.node, newLeader.nodeName);
  const conn2 = await connect(leader.url);
  const ch = await conn2.createChannel();
  await ch.checkQueue('orders.eu');
  await conn2.close();
});
