// A cluster node's settings, resolved from startBroker's options (`etcd`, `nodeName`, `clusterPort`, …) and
// the etcd key layout they imply. One cluster is one prefix `warren/<cluster name>/` in etcd:
//   members/<node>  this node's addresses and ports, under its lease (gone when the node is)
//   nodes/<node>    the nodes that ever joined, no lease (rabbitmqctl's disk nodes; forget_cluster_node deletes)
//   leader          the leader's node name, under its lease; its create_revision is the leader's epoch
//   isr             JSON list of the in-sync nodes (only they may become leader), written by the leader
//   definitions     the cluster's definitions (RabbitMQ's JSON), written by the leader, watched by all
import { hostname } from 'node:os';
import { fullNodeName, type BrokerOptions } from '../options.js';

export interface ClusterConfig {
  endpoints: string[];
  nodeName: string;
  clusterName: string;
  /** 0: pick a free port at start. */
  clusterPort: number;
  leaseTtl: number;
  advertiseHost: string;
  /** The cluster port as the other nodes reach it (null: the port itself). */
  advertisePort: number | null;
}

/** The cluster options of `o`, or null when there is no `etcd` (a single node, nothing of this starts). */
export function clusterConfig(o: BrokerOptions): ClusterConfig | null {
  const e = o.etcd;
  if (e === undefined || e === null) return null;
  const endpoints = (Array.isArray(e) ? e : e.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^[a-z]+:\/\//.test(s) ? s : `http://${s}`));
  if (endpoints.length === 0) return null;
  const ttl = o.clusterLeaseTtl ?? 3;
  // etcd's own minimum is about 1.5 × its election timeout; below 2 s a loaded machine loses leases
  if (!Number.isInteger(ttl) || ttl < 2) throw new Error(`clusterLeaseTtl: expected whole seconds ≥ 2, got ${ttl}`);
  const name = o.clusterName ?? 'warren';
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`clusterName: letters, digits, '_', '.', '-' only: '${name}'`);
  return {
    endpoints,
    nodeName: fullNodeName(o.nodeName ?? hostname()),
    clusterName: name,
    clusterPort: o.clusterPort ?? 25672,
    leaseTtl: ttl,
    advertiseHost: o.clusterAdvertiseHost ?? hostname(),
    advertisePort: o.clusterAdvertisePort ?? null,
  };
}

export class ClusterKeys {
  readonly prefix: string;
  readonly members: string;
  readonly nodes: string;
  readonly leader: string;
  readonly isr: string;
  readonly definitions: string;

  constructor(clusterName: string) {
    this.prefix = `warren/${clusterName}/`;
    this.members = this.prefix + 'members/';
    this.nodes = this.prefix + 'nodes/';
    this.leader = this.prefix + 'leader';
    this.isr = this.prefix + 'isr';
    this.definitions = this.prefix + 'definitions';
  }

  member(node: string): string {
    return this.members + node;
  }

  node(node: string): string {
    return this.nodes + node;
  }
}
