// The cluster's options: endpoints, node names, defaults; the CLI's flags, WARREN_* variables and config keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostname } from 'node:os';
import { clusterConfig, ClusterKeys } from '../../../src/cluster/config.js';
import { readEnv, toBrokerOptions } from '../../../src/cli/config.js';

test('no etcd: no cluster', () => {
  assert.equal(clusterConfig({}), null);
  assert.equal(clusterConfig({ etcd: null }), null);
  assert.equal(clusterConfig({ etcd: ' , ' }), null);
});

test('endpoints, names and defaults', () => {
  const c = clusterConfig({ etcd: 'etcd1:2379, http://etcd2:2379', nodeName: 'n1' })!;
  assert.deepEqual(c.endpoints, ['http://etcd1:2379', 'http://etcd2:2379']);
  assert.equal(c.nodeName, 'warren@n1');
  assert.equal(c.clusterName, 'warren');
  assert.equal(c.clusterPort, 25672);
  assert.equal(c.leaseTtl, 3);
  assert.equal(c.advertiseHost, hostname());
  assert.equal(c.advertisePort, null);
  assert.equal(clusterConfig({ etcd: ['x:1'], nodeName: 'rabbit@h' })!.nodeName, 'rabbit@h');
  assert.equal(clusterConfig({ etcd: ['x:1'] })!.nodeName, `warren@${hostname()}`);
  assert.throws(() => clusterConfig({ etcd: 'x:1', clusterLeaseTtl: 1 }), /clusterLeaseTtl/);
  assert.throws(() => clusterConfig({ etcd: 'x:1', clusterName: 'a/b' }), /clusterName/);
});

test('key layout: one prefix per cluster', () => {
  const k = new ClusterKeys('prod');
  assert.equal(k.leader, 'warren/prod/leader');
  assert.equal(k.member('warren@n1'), 'warren/prod/members/warren@n1');
  assert.equal(k.node('warren@n1'), 'warren/prod/nodes/warren@n1');
  assert.equal(k.isr, 'warren/prod/isr');
  assert.equal(k.definitions, 'warren/prod/definitions');
});

test('warren server: WARREN_ETCD, WARREN_NODE_NAME, WARREN_CLUSTER_PORT and the other cluster settings', () => {
  const o = toBrokerOptions(
    readEnv({
      WARREN_ETCD: 'http://a:2379,http://b:2379',
      WARREN_NODE_NAME: 'n2',
      WARREN_CLUSTER_PORT: '25673',
      WARREN_CLUSTER_NAME: 'prod',
      WARREN_CLUSTER_LEASE_TTL: '5',
      WARREN_CLUSTER_ADVERTISE_HOST: '10.0.0.2',
      WARREN_CLUSTER_ADVERTISE_PORT: '35672',
    }),
  );
  assert.deepEqual(o.etcd, ['http://a:2379', 'http://b:2379']);
  assert.equal(o.nodeName, 'n2');
  assert.equal(o.clusterPort, 25673);
  assert.equal(o.clusterName, 'prod');
  assert.equal(o.clusterLeaseTtl, 5);
  assert.equal(o.clusterAdvertiseHost, '10.0.0.2');
  assert.equal(o.clusterAdvertisePort, 35672);
  // without them nothing of the cluster is set
  const single = toBrokerOptions(readEnv({}));
  assert.equal(single.etcd, undefined);
  assert.equal(single.nodeName, undefined);
});
