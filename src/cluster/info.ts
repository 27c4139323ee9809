// ClusterInfo (core/cluster-info.ts) from the mirrored etcd state: what /api/nodes, the queues' members
// and `warren ctl cluster_status` show.
import type { ClusterInfo, ClusterNodeInfo } from '../core/cluster-info.js';
import type { ClusterKeys } from './config.js';
import type { ClusterState } from './state.js';
import type { EtcdLink } from './etcd-link.js';

/** forget_cluster_node on a node that is running (rabbitmqctl refuses it too). */
export class NodeRunningError extends Error {}

export function makeClusterInfo(
  etcd: EtcdLink,
  keys: ClusterKeys,
  state: ClusterState,
  clusterName: string,
  nodeName: string,
): ClusterInfo {
  return {
    clusterName,
    nodeName,
    leader: () => state.leader?.name ?? null,
    nodes(): ClusterNodeInfo[] {
      const names = new Set([...state.nodes, ...state.members.keys()]);
      const leader = state.leader?.name ?? null;
      return [...names].sort().map((name) => {
        const m = state.members.get(name);
        const running = m !== undefined;
        return {
          name,
          running,
          role: name === leader ? 'leader' : running ? 'follower' : 'down',
          inSync: state.isr === null ? running : state.isr.includes(name),
          host: m?.host ?? '',
          ports: m?.ports ?? {},
          clusterPort: m?.clusterPort ?? 0,
          version: m?.version ?? '',
          startedAt: m?.startedAt ?? 0,
        };
      });
    },
    async forget(name: string): Promise<void> {
      if (state.members.has(name)) throw new NodeRunningError(`node ${name} is running`);
      if (!state.nodes.has(name)) throw new Error(`node ${name} is not a member of the cluster`);
      await etcd.client.delete().key(keys.node(name)).exec();
      await state.until(() => !state.nodes.has(name), 5000);
    },
  };
}
