// A 3-node cluster on a real etcd: one leader, every node accepts clients (followers pipe them to the
// leader), the management API and warrenctl show the cluster as RabbitMQ's do, Prometheus per node.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import { startTestCluster, type TestCluster } from '../helpers/cluster/cluster.js';
import { api, ctl, metrics } from './helpers.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ nodes: 3 });
});
after(async () => {
  await c?.close();
});

test('one leader; a queue declared through each node is on the leader; in-sync set in etcd', async () => {
  const leader = await c.waitForLeader();
  for (const n of c.nodes) {
    const conn = await connect(n.url);
    const ch = await conn.createChannel();
    await ch.assertQueue(`via-${n.name}`, { durable: true });
    ch.sendToQueue(`via-${n.name}`, Buffer.from(n.name), { persistent: true });
    await conn.close();
  }
  // every node's management port reaches the leader's API: the same queues, the leader's node name
  for (const n of c.nodes) {
    const ov = await api<{ node: string; cluster_name: string }>(n, '/api/overview');
    assert.equal(ov.body.node, leader.nodeName);
    assert.equal(ov.body.cluster_name, 'test');
    const qs = await api<{ name: string; messages: number }[]>(n, '/api/queues');
    assert.deepEqual(qs.body.map((q) => q.name).sort(), ['via-n1', 'via-n2', 'via-n3']);
  }
  const isr = await c.isr();
  assert.ok(isr !== null && isr.includes(leader.nodeName));
});

test('/api/nodes lists every node; queues show node, leader, members, online', async () => {
  const leader = await c.waitForLeader();
  const nodes = await api<Record<string, unknown>[]>(c.nodes[0]!, '/api/nodes');
  assert.equal(nodes.status, 200);
  assert.deepEqual(
    nodes.body.map((n) => [n['name'], n['type'], n['running']]),
    c.nodes.map((n) => [n.nodeName, 'disc', true]),
  );
  const me = nodes.body.find((n) => n['name'] === leader.nodeName)!;
  assert.equal(me['warren_role'], 'leader');
  assert.equal(typeof me['mem_used'], 'number'); // the leader's full entry
  assert.equal(nodes.body.filter((n) => n['warren_role'] === 'follower').length, 2);
  const other = c.nodes.find((n) => n !== leader)!;
  const one = await api<Record<string, unknown>>(c.nodes[0]!, `/api/nodes/${encodeURIComponent(other.nodeName)}`);
  assert.equal(one.body['running'], true);
  const q = await api<Record<string, unknown>>(c.nodes[0]!, '/api/queues/%2F/via-n1');
  assert.equal(q.body['node'], leader.nodeName);
  assert.equal(q.body['leader'], leader.nodeName);
  assert.deepEqual(
    q.body['members'],
    c.nodes.map((n) => n.nodeName),
  );
  assert.ok((q.body['online'] as string[]).includes(leader.nodeName));
});

test('Prometheus on every node names the node (rabbitmq_identity_info) and its role', async () => {
  const leader = await c.waitForLeader();
  for (const n of c.nodes) {
    const text = await metrics(n);
    assert.match(text, new RegExp(`rabbitmq_identity_info\\{rabbitmq_node="${n.nodeName}",rabbitmq_cluster="test"`));
    assert.match(text, new RegExp(`warren_cluster_leader ${n === leader ? 1 : 0}\\n`));
    assert.match(text, /warren_cluster_nodes_running 3\n/);
    if (n === leader) assert.match(text, /rabbitmq_queues 3\n/);
  }
});

test('warrenctl cluster_status as rabbitmqctl prints it', async () => {
  const leader = await c.waitForLeader();
  const r = await ctl(c.nodes[2]!, 'cluster_status');
  assert.equal(r.code, 0, r.err);
  const names = c.nodes.map((n) => n.nodeName).join('\n');
  assert.ok(r.out.startsWith(`Cluster status of node ${leader.nodeName} ...\n`), r.out);
  assert.ok(r.out.includes(`Disk Nodes\n\n${names}\n`), r.out);
  assert.ok(r.out.includes(`Running Nodes\n\n${names}\n`), r.out);
  assert.ok(r.out.includes('Cluster name: test\n'), r.out);
  assert.ok(r.out.includes(`Leader\n\n${leader.nodeName}\n`), r.out);
  const j = await ctl(c.nodes[0]!, 'cluster_status', '--formatter', 'json');
  const s = JSON.parse(j.out) as Record<string, unknown>;
  assert.deepEqual(
    s['running_nodes'],
    c.nodes.map((n) => n.nodeName),
  );
  assert.equal(s['warren_leader'], leader.nodeName);
});

test('forget_cluster_node: refused while the node runs, done once it is down', async () => {
  const leader = await c.waitForLeader();
  const victim = c.nodes.find((n) => n !== leader)!;
  const running = await ctl(leader, 'forget_cluster_node', victim.nodeName);
  assert.equal(running.code, 69);
  assert.match(running.err, /failed_to_remove_node/);
  const unknown = await ctl(leader, 'forget_cluster_node', 'warren@nobody');
  assert.equal(unknown.code, 69);
  assert.match(unknown.err, /not_a_cluster_node/);
  await victim.stop();
  // its lease is revoked at a clean stop: it is down at once
  for (let i = 0; ; i++) {
    const nodes = await api<{ name: string; running: boolean }[]>(leader, '/api/nodes');
    if (nodes.body.find((n) => n.name === victim.nodeName)?.running === false) break;
    assert.ok(i < 100, 'the stopped node is still running');
    await new Promise((r) => setTimeout(r, 50));
  }
  const r = await ctl(leader, 'forget_cluster_node', victim.nodeName);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `Removing node ${victim.nodeName} from the cluster\n`);
  const nodes = await api<{ name: string }[]>(leader, '/api/nodes');
  assert.deepEqual(
    nodes.body.map((n) => n.name),
    c.nodes.filter((n) => n !== victim).map((n) => n.nodeName),
  );
  // it joins again when started
  await victim.start();
  const again = await api<{ name: string }[]>(leader, '/api/nodes');
  assert.equal(again.body.length, 3);
});
