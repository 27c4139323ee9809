// The cluster's part of Prometheus /metrics (issue 14), on the leader (after the broker's metrics) and on a
// follower (its whole /metrics, cluster/follower-metrics.ts): who this node is and where it stands.
import type { ClusterInfo } from '../core/cluster-info.js';

export const escLabel = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** RabbitMQ's identity line: this node, its cluster. */
export function identityLine(node: string, cluster: string): string {
  return (
    '# TYPE rabbitmq_identity_info untyped\n# HELP rabbitmq_identity_info RabbitMQ node & cluster identity info\n' +
    `rabbitmq_identity_info{rabbitmq_node="${escLabel(node)}",rabbitmq_cluster="${escLabel(cluster)}",rabbitmq_cluster_permanent_id="warren-${escLabel(cluster)}"} 1\n`
  );
}

/** Warren's cluster gauges: role, in-sync, nodes running and known; piped connections on a follower. */
export function clusterGauges(info: ClusterInfo, piped: number | null): string {
  const nodes = info.nodes();
  const me = nodes.find((n) => n.name === info.nodeName);
  const out: string[] = [];
  const g = (name: string, help: string, v: number, type = 'gauge') =>
    out.push(`# TYPE ${name} ${type}`, `# HELP ${name} ${help}`, `${name} ${v}`);
  g('warren_cluster_leader', '1 on the leader, 0 on a follower', me?.role === 'leader' ? 1 : 0);
  g('warren_cluster_in_sync', '1 while this node is in the in-sync set (may become leader)', me?.inSync ? 1 : 0);
  g(
    'warren_cluster_nodes_running',
    'Nodes of the cluster whose etcd lease is alive',
    nodes.filter((n) => n.running).length,
  );
  g('warren_cluster_nodes', 'Nodes known to the cluster', nodes.length);
  if (piped !== null) {
    g('warren_cluster_proxied_connections_total', 'Client connections piped to the leader', piped, 'counter');
  }
  return out.join('\n') + '\n';
}
