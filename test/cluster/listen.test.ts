// A node's ports (src/cluster/node.ts): a node that cannot listen on one of them does not start (it exits
// with EADDRINUSE, as a single node does) instead of joining as a member that follows nothing, and a
// follower holds its cluster port, so it can still lead later. A CI run saw a node lose its Prometheus port
// to another process between the port's pick and its bind: it stayed a member, in the in-sync set of the
// new cluster, holding every confirm, and never replicated.
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { startTestCluster, type TestCluster } from '../helpers/cluster/cluster.js';
import { waitInSync } from './helpers.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ nodes: 2, leaseTtl: 2 });
});
after(async () => {
  await c?.close();
});

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((sock) => sock.destroy());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

test('a node whose port is taken exits with EADDRINUSE and is no member; it joins once the port is free', async () => {
  await c.waitForLeader();
  await waitInSync(
    c,
    c.nodes.map((n) => n.nodeName),
  );
  const leader = await c.waitForLeader();
  const n = c.nodes.find((x) => x !== leader)!;
  for (const port of [n.ports.prometheus, n.ports.cluster]) {
    await n.stop();
    const blocker = await occupy(port);
    try {
      await assert.rejects(n.start(), /exited: [\s\S]*EADDRINUSE/);
      const members = await c.etcdClient.getAll().prefix('warren/test/members/').keys();
      assert.deepEqual(members, [`warren/test/members/${leader.nodeName}`]);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    await n.start();
    await waitInSync(
      c,
      c.nodes.map((x) => x.nodeName),
    );
  }
});

test('a follower holds its cluster port (closing whoever connects: it does not lead)', async () => {
  const leader = await c.waitForLeader();
  const n = c.nodes.find((x) => x !== leader)!;
  await assert.rejects(occupy(n.ports.cluster), /EADDRINUSE/);
  const closed = await new Promise<boolean>((resolve) => {
    const s = connect(n.ports.cluster, '127.0.0.1');
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(true));
    s.resume();
  });
  assert.equal(closed, true);
});
