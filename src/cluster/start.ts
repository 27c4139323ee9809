// startCluster(): a Warren node in a cluster (`warren server --etcd …`). Every port is fixed before the
// node starts (a 0 becomes a free port now), because the same ports are served by the proxy while the node
// follows and by the broker while it leads.
import { createServer } from 'node:net';
import type { BrokerOptions } from '../options.js';
import type { RunningBroker } from '../server.js';
import { createLogger, type Logger } from '../util/logger.js';
import { ClusterKeys, clusterConfig } from './config.js';
import { EtcdLink, within } from './etcd-link.js';
import { ClusterState } from './state.js';
import { makeClusterInfo } from './info.js';
import { ClusterNode, PROXIED, type Role } from './node.js';
import type { Replication } from './replication-link.js';
import { logShipping, resolveSecret } from './log-shipping.js';
import type { ClusterInfo } from '../core/cluster-info.js';

export interface RunningClusterNode {
  nodeName: string;
  /** Bound ports by protocol (amqp, management, prometheus, mqtt, …, cluster). */
  ports: Record<string, number>;
  role(): Role;
  /** The broker while this node leads, else null. */
  running(): RunningBroker | null;
  info: ClusterInfo;
  /** The node object (tests, scripts). */
  node: ClusterNode;
  close(): Promise<void>;
}

export async function startCluster(options: BrokerOptions, replication?: Replication): Promise<RunningClusterNode> {
  const cfg = clusterConfig(options);
  if (cfg === null) throw new Error('startCluster needs etcd endpoints (the etcd option)');
  const log = createLogger(options.logLevel ?? 'info');
  const opts: BrokerOptions = { ...options, nodeName: cfg.nodeName, clusterName: cfg.clusterName };
  const ports: Record<string, number> = {};
  const host = firstHost(options.bind);
  for (const [protocol, key] of PROXIED) {
    const p = opts[key];
    if (p === undefined || p === null) continue;
    opts[key] = p === 0 ? await freePort(host) : p;
    ports[protocol] = opts[key];
  }
  if (opts.prometheusPort !== undefined && opts.prometheusPort !== null) {
    opts.prometheusPort = opts.prometheusPort === 0 ? await freePort(host) : opts.prometheusPort;
    ports['prometheus'] = opts.prometheusPort;
  }
  ports['cluster'] = cfg.clusterPort === 0 ? await freePort(host) : cfg.clusterPort;
  const etcd = new EtcdLink(cfg.endpoints);
  const keys = new ClusterKeys(cfg.clusterName);
  let shipping: Replication;
  try {
    shipping = replication ?? logShipping(await secretFromEtcd(options.clusterSecret ?? undefined, etcd, keys, log));
  } catch (e) {
    etcd.close();
    throw e;
  }
  const state = new ClusterState(etcd, keys);
  const info = makeClusterInfo(etcd, keys, state, cfg.clusterName, cfg.nodeName);
  const node = new ClusterNode(cfg, keys, etcd, state, info, opts, ports, shipping, log);
  try {
    await node.start();
  } catch (e) {
    etcd.close();
    throw e;
  }
  log.info(`cluster: ${cfg.nodeName} joined cluster ${cfg.clusterName} through ${cfg.endpoints.join(', ')}`);
  let closing: Promise<void> | null = null;
  return {
    nodeName: cfg.nodeName,
    ports,
    role: () => node.role,
    running: () => node.running,
    info,
    node,
    close() {
      closing ??= node.stop().finally(() => etcd.close());
      return closing;
    },
  };
}

/** resolveSecret, retried on a fresh etcd client when etcd does not answer (a call on a broken channel hangs). */
async function secretFromEtcd(
  option: string | undefined,
  etcd: EtcdLink,
  keys: ClusterKeys,
  log: Logger,
): Promise<string> {
  for (let i = 1; ; i++) {
    try {
      return await within(resolveSecret(option, etcd.client, keys), 3000, 'cluster secret');
    } catch (e) {
      if (i === 5) throw e;
      log.warn(`cluster: cannot read the cluster secret from etcd (${(e as Error).message}), retrying`);
      etcd.renew();
    }
  }
}

function firstHost(bind: string | string[] | undefined): string {
  const b = bind === undefined ? '::' : Array.isArray(bind) ? (bind[0] ?? '::') : bind;
  return b;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}
