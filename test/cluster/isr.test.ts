// The leader's in-sync set (src/cluster/isr.ts) against a real etcd, with the log shipping side played by
// the test: a member the set starts with that never connects to the leader leaves the set (it would hold
// every confirm and stay electable while following nothing), and a follower that catches up while the
// set's first write is under way is heard.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import { ClusterKeys } from '../../src/cluster/config.js';
import { EtcdLink } from '../../src/cluster/etcd-link.js';
import { InSyncSet } from '../../src/cluster/isr.js';
import type { LeaderLink } from '../../src/cluster/replication-link.js';
import { ClusterState } from '../../src/cluster/state.js';
import { createLogger } from '../../src/util/logger.js';
import { startEtcd, type EtcdProcess } from '../helpers/cluster/etcd.js';
import { sleep } from '../helpers/cluster/cluster.js';

let etcd: EtcdProcess;
/** Closed after the tests even when one fails (an open watch would keep the test process alive). */
const toClose: { close(): Promise<void> | void }[] = [];
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  for (const o of toClose.reverse()) await o.close();
  await etcd?.stop();
});

/** Log shipping as the set sees it: who is connected, 'in sync' reports, what confirms wait for. */
class FakeLink extends EventEmitter implements LeaderLink {
  readonly connectedNames = new Set<string>();
  required = -1;
  voters: readonly string[] = [];
  onFollower(fn: (name: string, inSync: boolean) => void): void {
    this.on('follower', fn);
  }
  connected(name: string): boolean {
    return this.connectedNames.has(name);
  }
  setRequiredAcks(n: number, voters: readonly string[] = []): void {
    this.required = n;
    this.voters = voters;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function cluster(name: string, members: string[]) {
  const link = new EtcdLink([etcd.url]);
  const keys = new ClusterKeys(name);
  for (const m of members) {
    await link.client.put(keys.member(m)).value(JSON.stringify({ name: m, host: '127.0.0.1', ports: {} }));
    await link.client.put(keys.node(m)).value(m);
  }
  const r = await link.client
    .if(keys.leader, 'Create', '==', 0)
    .then(link.client.put(keys.leader).value('n1'))
    .commit();
  const epoch = Number(r.header.revision);
  const state = new ClusterState(link, keys);
  toClose.push(link, { close: () => state.stop() });
  await state.start();
  const isr = async () => JSON.parse((await link.client.get(keys.isr).string()) ?? 'null') as string[] | null;
  return { link, keys, state, epoch, isr };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await sleep(25);
  }
}

test('a member the set starts with that never connects leaves it after the lag limit; back once in sync', async () => {
  const c = await cluster('lag', ['n1', 'n2', 'n3']);
  const f = new FakeLink();
  f.connectedNames.add('n2'); // n3 is a member (its lease lives) but never reaches the leader
  const set = new InSyncSet(c.link.client, c.keys, c.state, 'n1', c.epoch, f, true, createLogger('silent'), 400);
  toClose.push({ close: () => set.stop() });
  await set.start();
  // a new cluster: every member starts in the set, so confirms wait for both followers
  assert.deepEqual(await c.isr(), ['n1', 'n2', 'n3']);
  assert.equal(f.required, 2);
  const t0 = Date.now();
  await until('n3 leaves the set', async () => (await c.isr())?.includes('n3') === false);
  assert.ok(Date.now() - t0 >= 300, 'not before the lag limit');
  assert.deepEqual(await c.isr(), ['n1', 'n2']);
  // out of etcd first, then confirms stop waiting for it: a majority (n2) is enough
  await until('confirms wait for n2 alone', () => f.required === 1 && f.voters.join() === 'n2');
  // connected again and caught up: in the set again
  f.connectedNames.add('n3');
  f.emit('follower', 'n3', true);
  await until('n3 is back', async () => (await c.isr())?.includes('n3') === true);
  assert.equal(f.required, 2);
  // connected members stay, however long
  await sleep(1000);
  assert.deepEqual(await c.isr(), ['n1', 'n2', 'n3']);
});

test('a follower that catches up while the first write of the set is under way is heard', async () => {
  const c = await cluster('early', ['n1', 'n2']);
  // n3 registers after the leader read the members, and is in sync before the set's first write is done
  const f = new FakeLink();
  f.connectedNames.add('n2').add('n3');
  const set = new InSyncSet(c.link.client, c.keys, c.state, 'n1', c.epoch, f, true, createLogger('silent'), 400);
  toClose.push({ close: () => set.stop() });
  const started = set.start();
  await c.link.client.put(c.keys.member('n3')).value(JSON.stringify({ name: 'n3', host: '127.0.0.1', ports: {} }));
  f.emit('follower', 'n3', true);
  await started;
  await until('n3 in the set', async () => (await c.isr())?.includes('n3') === true);
  assert.deepEqual(await c.isr(), ['n1', 'n2', 'n3']);
});
