// Log shipping between cluster nodes (issue 14): the API the cluster layer (etcd, election, roles) uses.
// Roles are the caller's: a node elected leader runs `startReplicationLeader` next to its broker; every
// other node runs `startReplicationFollower` into its data directory, and when it is elected it closes the
// follower and starts a broker on that directory. ARCHITECTURE.md "Cluster: replication" explains the design.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../util/logger.js';
import { ReplicationFollower, type ReplicationFollowerOptions } from './follower.js';
import { ReplicationLeader, type LeaderBroker, type ReplicationLeaderOptions } from './leader.js';

export { ReplicationLeader, type FollowerInfo, type LeaderBroker, type ReplicationLeaderOptions } from './leader.js';
export { ReplicationFollower, type ReplicationFollowerOptions } from './follower.js';
export type { Divergence } from './follower-files.js';

/**
 * Serve followers on the cluster port. Events: 'follower-in-sync' (name): a follower has everything up to
 * its initial sync on disk and counts for confirms from now on; 'follower-lost' (name). `setRequiredAcks(n)`
 * (floor(nodes/2) in a cluster of `nodes`) makes confirms wait for n followers; 0 (the default) is today's
 * single-node behaviour. `close()` stops serving; a stopped leader that required acks confirms nothing more.
 */
export function startReplicationLeader(
  running: LeaderBroker,
  o: ReplicationLeaderOptions,
  logger: Logger = createLogger('info'),
): Promise<ReplicationLeader> {
  return ReplicationLeader.start(running, o, logger);
}

/**
 * Keep `dataDir` a copy of the leader's data directory. Events: 'synced' (seq): in sync (everything the
 * leader confirmed is on this disk); 'diverged' ({path, had, leader}): this directory had records past
 * the leader's (it was leader before), truncated; 'error' (Error): a connection given up (it retries).
 * `position` is the leader's action seq this directory holds. `close()` stops; then open `dataDir` as a
 * broker.
 */
export function startReplicationFollower(
  o: ReplicationFollowerOptions,
  logger: Logger = createLogger('info'),
): ReplicationFollower {
  if (!o.secret) throw new Error('replication needs a cluster secret');
  return new ReplicationFollower(o, logger);
}

/**
 * The shared secret (RabbitMQ's Erlang cookie): the option if given, else `WARREN_CLUSTER_SECRET`, else the
 * first line of `~/.warren.cookie` (as `~/.erlang.cookie`); null when there is none.
 */
export function clusterSecret(option?: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (option) return option;
  if (env.WARREN_CLUSTER_SECRET) return env.WARREN_CLUSTER_SECRET;
  try {
    const s = readFileSync(join(env.HOME ?? homedir(), '.warren.cookie'), 'utf8')
      .split('\n')[0]!
      .trim();
    return s === '' ? null : s;
  } catch {
    return null;
  }
}
