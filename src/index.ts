// Public API of the warren package: start a broker from code. The CLI is a thin wrapper over this.
export { startBroker, type RunningBroker } from './server.js';
/** `startBroker` by its short name. */
export { startBroker as start } from './server.js';
export type { BrokerOptions, TlsOptions, UserDefinition, LogLevel } from './options.js';
export type { MemoryMonitor, MemoryWatermark, MemoryStrategy } from './core/memory-monitor.js';
export type { VirtualClock } from './util/clock.js';
export type { Faults, DropOptions, DiskFaultOptions, DiskFaultKind, DiskFaultOp } from './controls/faults.js';
export type { QueueInspection, InspectedMessage } from './controls/inspect.js';

import type { BrokerOptions as ClusterNodeOptions } from './options.js';
import type { RunningClusterNode } from './cluster/start.js';
export type { RunningClusterNode };
export type { ClusterInfo, ClusterNodeInfo } from './core/cluster-info.js';

/**
 * A node of a Warren cluster (issue 14): startBroker's options plus `etcd`, `nodeName`, `clusterPort`, …
 * It runs a broker on the data directory while it leads and pipes clients to the leader while it follows.
 * (The etcd client is loaded only here.)
 */
export async function startCluster(options: ClusterNodeOptions): Promise<RunningClusterNode> {
  return (await import('./cluster/start.js')).startCluster(options);
}
