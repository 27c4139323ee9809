// What the cluster layer needs of log shipping (src/cluster/replication/, issue 14's other half): on the
// leader, a server on the cluster port that followers stream the data directory from and a confirm gate
// (confirms wait for `requiredAcks` followers, and never go out once the lease may have expired); on a
// follower, a client that streams from the leader into its data directory and reports when it is in sync.
import type { RunningBroker } from '../server.js';
import type { Logger } from '../util/logger.js';

export interface LeaderContext {
  running: RunningBroker;
  port: number;
  bind: string[];
  nodeName: string;
  epoch: number;
  /** The lease holds (NodeLease.valid): false → confirm nothing more. */
  leaseValid: () => boolean;
  log: Logger;
}

export interface FollowerContext {
  dataDir: string;
  nodeName: string;
  leader: { name: string; host: string; port: number; epoch: number };
  log: Logger;
}

export interface LeaderLink {
  /** A follower is in sync (`true`: has all the leader has written) or not (disconnected, lagging). */
  onFollower(fn: (name: string, inSync: boolean) => void): void;
  /** A follower of this name is connected (past the handshake: syncing or streaming). */
  connected(name: string): boolean;
  /**
   * Confirms wait until this many followers have the message on disk (Infinity: confirm nothing); with
   * `voters`, only followers of those names count (the in-sync set as etcd has it).
   */
  setRequiredAcks(n: number, voters?: readonly string[]): void;
  close(): Promise<void>;
}

export interface FollowerLink {
  close(): Promise<void>;
}

export interface Replication {
  /** Whether message data is shipped (false: definitions only, see `noReplication`). */
  readonly shipsData: boolean;
  leader(ctx: LeaderContext): Promise<LeaderLink>;
  follower(ctx: FollowerContext): Promise<FollowerLink>;
}

/**
 * Membership, election, proxying and definitions without message data: a follower that takes over starts
 * with the definitions (etcd) but not the messages the old leader held. Used until log shipping is wired in;
 * every running follower counts as in sync and confirms wait for no follower.
 */
export const noReplication: Replication = {
  shipsData: false,
  leader() {
    return Promise.resolve({
      onFollower() {},
      connected: () => true,
      setRequiredAcks() {},
      close: () => Promise.resolve(),
    });
  },
  follower() {
    return Promise.resolve({ close: () => Promise.resolve() });
  },
};
