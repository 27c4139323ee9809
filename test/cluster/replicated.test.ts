// Messages across a failover on a real 3-node cluster (etcd + log shipping): publish with confirms through
// every node, kill -9 the leader, reconnect to another node within 5 s, and every confirmed message is
// delivered (at least once; nothing that was never published). The restarted node catches up and is in
// the in-sync set again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sleep, startTestCluster, type TestCluster } from '../helpers/cluster/cluster.js';
import { connectAny } from './helpers.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster({ nodes: 3, leaseTtl: 2 });
});
after(async () => {
  await c?.close();
});

async function inSync(names: string[], ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const isr = await c.isr();
    if (isr !== null && names.every((n) => isr.includes(n))) return;
    assert.ok(Date.now() < deadline, `in-sync set ${JSON.stringify(isr)} lacks some of ${names.join(', ')}`);
    await sleep(50);
  }
}

test('kill -9 the leader: every confirmed message is delivered after the failover', async () => {
  const leader = await c.waitForLeader();
  await inSync(c.nodes.map((n) => n.nodeName));
  const confirmed = new Set<string>();
  // 600 persistent messages through each node (followers pipe to the leader), all confirmed
  for (const n of c.nodes) {
    const { conn } = await connectAny([n.url]);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('orders', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    for (let i = 0; i < 600; i++) ch.sendToQueue('orders', Buffer.from(`${n.name}-${i}`), { persistent: true });
    await ch.waitForConfirms();
    for (let i = 0; i < 600; i++) confirmed.add(`${n.name}-${i}`);
    await conn.close();
  }
  const t0 = Date.now();
  await leader.kill();
  const others = c.nodes.filter((n) => n !== leader);
  const { conn } = await connectAny(
    others.map((n) => n.url),
    5000,
  );
  const ch = await conn.createConfirmChannel();
  ch.sendToQueue('orders', Buffer.from('after'), { persistent: true });
  await ch.waitForConfirms();
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 5000, `publishing with confirms again after ${elapsed} ms`);
  confirmed.add('after');
  const got = new Set<string>();
  let phantom = 0;
  await ch.consume('orders', (m) => {
    if (m === null) return;
    const id = m.content.toString();
    if (!confirmed.has(id)) phantom++;
    got.add(id);
    ch.ack(m);
  });
  for (let i = 0; got.size < confirmed.size && i < 200; i++) await sleep(50);
  assert.equal(phantom, 0);
  assert.deepEqual(
    [...confirmed].filter((id) => !got.has(id)),
    [],
  );
  await conn.close();
  // the killed node comes back, catches up and may lead again
  await leader.start();
  await inSync(c.nodes.map((n) => n.nodeName));
});
