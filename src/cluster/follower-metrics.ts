// Prometheus on a follower: the follower serves no clients itself (they are piped to the leader), so its
// /metrics says who it is and where it stands: rabbitmq_identity_info with its own node label (RabbitMQ's
// per-node scrape), and Warren's cluster gauges. The leader's /metrics has the broker's metrics as always.
import { createServer, type Server } from 'node:http';
import { listenAll } from '../frontend/net/listener.js';
import { RABBITMQ_COMPAT_VERSION } from '../frontend/amqp/server-properties.js';
import { VERSION } from '../version.js';
import type { ClusterInfo } from '../core/cluster-info.js';

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The cluster part of /metrics (both roles): node identity, role, in-sync state, running nodes. */
export function clusterMetrics(info: ClusterInfo, piped: number | null): string {
  const me = info.nodes().find((n) => n.name === info.nodeName);
  const nodes = info.nodes();
  const lines = [
    '# TYPE rabbitmq_build_info untyped',
    `rabbitmq_build_info{rabbitmq_version="${RABBITMQ_COMPAT_VERSION}",warren_version="${VERSION}",erlang_version="${process.version}"} 1`,
    '# TYPE rabbitmq_identity_info untyped',
    `rabbitmq_identity_info{rabbitmq_node="${esc(info.nodeName)}",rabbitmq_cluster="${esc(info.clusterName)}",rabbitmq_cluster_permanent_id="warren-${esc(info.clusterName)}"} 1`,
    '# HELP warren_cluster_leader 1 on the leader, 0 on a follower',
    '# TYPE warren_cluster_leader gauge',
    `warren_cluster_leader ${me?.role === 'leader' ? 1 : 0}`,
    '# HELP warren_cluster_in_sync 1 while this node is in the in-sync set (may become leader)',
    '# TYPE warren_cluster_in_sync gauge',
    `warren_cluster_in_sync ${me?.inSync ? 1 : 0}`,
    '# HELP warren_cluster_nodes_running Nodes of the cluster whose etcd lease is alive',
    '# TYPE warren_cluster_nodes_running gauge',
    `warren_cluster_nodes_running ${nodes.filter((n) => n.running).length}`,
    '# HELP warren_cluster_nodes Nodes known to the cluster',
    '# TYPE warren_cluster_nodes gauge',
    `warren_cluster_nodes ${nodes.length}`,
  ];
  if (piped !== null) {
    lines.push(
      '# HELP warren_cluster_proxied_connections_total Client connections piped to the leader',
      '# TYPE warren_cluster_proxied_connections_total counter',
      `warren_cluster_proxied_connections_total ${piped}`,
    );
  }
  return lines.join('\n') + '\n';
}

export async function startFollowerMetrics(
  port: number,
  bind: string[],
  info: ClusterInfo,
  piped: () => number,
): Promise<{ close(): Promise<void> }> {
  const { servers } = await listenAll(port, bind, (): Server =>
    createServer((req, res) => {
      if (req.url !== '/metrics' && !req.url?.startsWith('/metrics?') && !req.url?.startsWith('/metrics/')) {
        res.writeHead(404).end();
        return;
      }
      const body = clusterMetrics(info, piped());
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(body);
    }),
  );
  return {
    close: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      ).then(() => undefined),
  };
}
