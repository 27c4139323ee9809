// Prometheus on a follower: the follower serves no clients itself (they are piped to the leader), so its
// /metrics says who it is and where it stands: rabbitmq_identity_info with its own node label (RabbitMQ's
// per-node scrape), and Warren's cluster gauges. The leader's /metrics has the broker's metrics as always.
import { createServer, type Server } from 'node:http';
import { listenAll } from '../frontend/net/listener.js';
import { RABBITMQ_COMPAT_VERSION } from '../frontend/amqp/server-properties.js';
import { VERSION } from '../version.js';
import type { ClusterInfo } from '../core/cluster-info.js';
import { clusterGauges, identityLine } from '../management/cluster-metrics.js';

/** A follower's whole /metrics. */
export function followerMetrics(info: ClusterInfo, piped: number): string {
  return (
    '# TYPE rabbitmq_build_info untyped\n' +
    `rabbitmq_build_info{rabbitmq_version="${RABBITMQ_COMPAT_VERSION}",warren_version="${VERSION}",erlang_version="${process.version}"} 1\n` +
    identityLine(info.nodeName, info.clusterName) +
    clusterGauges(info, piped)
  );
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
      const body = followerMetrics(info, piped());
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
