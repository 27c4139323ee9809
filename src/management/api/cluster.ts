// The cluster in the management API (issue 14): /api/nodes lists every node of the cluster (this one with
// its full statistics, the others with what etcd knows of them: name, type, running, uptime, as RabbitMQ's
// entry for a node whose statistics it does not have), queues carry node/leader/members/online as quorum
// queues do, and DELETE /api/nodes/NAME forgets a node that is down (Warren's: rabbitmqctl
// forget_cluster_node, over HTTP here because warrenctl speaks to the management API).
import type { ClusterInfo, ClusterNodeInfo } from '../../core/cluster-info.js';
import { HttpError, notFound, sendStatus, type Ctx } from '../context.js';
import { requireLevel } from '../auth.js';
import type { Router } from '../router.js';

type Json = Record<string, unknown>;

function clusterFields(n: ClusterNodeInfo): Json {
  return { warren_role: n.role, warren_in_sync: n.inSync, warren_host: n.host, warren_ports: n.ports };
}

function otherNodeJson(n: ClusterNodeInfo): Json {
  return {
    name: n.name,
    type: 'disc',
    running: n.running,
    being_drained: false,
    uptime: n.running && n.startedAt > 0 ? Date.now() - n.startedAt : 0,
    cluster_links: [],
    partitions: [],
    applications: n.version ? [{ name: 'warren', description: 'Warren', version: n.version }] : [],
    ...clusterFields(n),
  };
}

/** /api/nodes: this node's full entry, and on a cluster every other node's. */
export function nodeList(c: Ctx, local: Json): Json[] {
  const cl = c.m.cluster;
  if (cl === null) return [local];
  return cl.nodes().map((n) => (n.name === local['name'] ? { ...local, ...clusterFields(n) } : otherNodeJson(n)));
}

/** /api/nodes/NAME of another node of the cluster, or null. */
export function otherNode(c: Ctx, name: string): Json | null {
  const n = c.m.cluster?.nodes().find((x) => x.name === name);
  return n ? otherNodeJson(n) : null;
}

/** What a queue shows of the cluster (a quorum queue's fields): every queue lives on the leader, replicated. */
export interface QueueMembers {
  node: string;
  leader: string;
  members: string[];
  online: string[];
}

export function queueMembers(cl: ClusterInfo | null): QueueMembers | null {
  if (cl === null) return null;
  const nodes = cl.nodes();
  const leader = cl.leader() ?? cl.nodeName;
  return {
    node: leader,
    leader,
    members: nodes.map((n) => n.name),
    online: nodes.filter((n) => n.running && n.inSync).map((n) => n.name),
  };
}

export function registerCluster(r: Router): void {
  r.on('DELETE', '/api/nodes/:node', async (c) => {
    requireLevel(c, 'administrator');
    const name = c.params['node']!;
    const cl = c.m.cluster;
    if (cl === null || !cl.nodes().some((n) => n.name === name)) throw notFound();
    const n = cl.nodes().find((x) => x.name === name)!;
    if (n.running) throw new HttpError(409, 'node_running', `node ${name} is running`);
    await cl.forget(name);
    sendStatus(c, 204);
  });
}
