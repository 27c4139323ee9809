// The in-sync set (ISR), kept by the leader in etcd: the nodes that have every confirmed message, so the
// only ones that may become leader (election.ts checks it before campaigning). A confirm waits for every
// in-sync follower, and for at least enough followers to make a majority of the known nodes with the
// leader (RabbitMQ's quorum: a 3-node cluster confirms with one follower down, not with two).
// Order matters both ways: a follower leaves the set in etcd *before* confirms stop waiting for it (so a
// confirm it does not have can never be followed by its election), and confirms wait for a follower
// *before* it joins the set in etcd. Every write is guarded by the leadership (leader key create_revision).
// A member the set starts with (a new cluster's members, the old set's) has not shown this leader that it
// replicates: one that does not even connect within LAG_MS leaves the set (Kafka's replica.lag.time.max.ms),
// else confirms would wait for it forever and it would stay electable while following nothing.
import type { Etcd3 } from 'etcd3';
import type { Logger } from '../util/logger.js';
import type { ClusterKeys } from './config.js';
import type { LeaderLink } from './replication-link.js';
import type { ClusterState } from './state.js';
import { within } from './etcd-link.js';

/** How long a member of the set may go without a connection to this leader before it leaves the set. */
export const LAG_MS = 10_000;

export class InSyncSet {
  private readonly set = new Set<string>();
  /** Followers log shipping reports in sync (they re-enter the set when their membership comes back). */
  private readonly replicated = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly offState: () => void;
  /** Members of the set without a connection to this leader, since when (ms). */
  private readonly unconnected = new Map<string, number>();
  private lagTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly state: ClusterState,
    private readonly me: string,
    private readonly epoch: number,
    private readonly link: LeaderLink,
    /** false: no log shipping, so every running node is as in sync as it can be. */
    private readonly shipsData: boolean,
    private readonly log: Logger,
    private readonly lagMs = LAG_MS,
  ) {
    this.offState = state.onChange(() => this.membersChanged());
  }

  /** The set a new leader starts from: itself and the old set's members still running. */
  async start(): Promise<void> {
    this.set.add(this.me);
    const old = this.state.isr;
    for (const name of this.state.members.keys()) {
      if (!this.shipsData || old === null || old.includes(name)) this.set.add(name);
    }
    // before the first write: a follower may connect and catch up while it is under way (the leader's port
    // is open), and its one 'in sync' report must not go unheard
    this.link.onFollower((name, inSync) => {
      if (inSync) {
        this.replicated.add(name);
        this.add(name);
      } else {
        this.replicated.delete(name);
        this.remove(name);
      }
    });
    this.link.setRequiredAcks(this.requiredAcks(), this.voters());
    if (this.shipsData) {
      this.lagTimer = setInterval(() => this.dropUnconnected(), Math.min(1000, this.lagMs / 4));
      this.lagTimer.unref();
    }
    await this.write();
  }

  members(): string[] {
    return [...this.set].sort();
  }

  /** The followers whose acks count for a confirm: the set's members by name, the leader aside. */
  private voters(): string[] {
    return this.members().filter((n) => n !== this.me);
  }

  /** Followers a confirm waits for (0 without log shipping: nothing to wait for). */
  requiredAcks(): number {
    if (!this.shipsData) return 0;
    const known = Math.max(this.state.nodes.size, this.set.size);
    return Math.max(this.set.size - 1, Math.floor(known / 2));
  }

  stop(): void {
    this.stopped = true;
    this.offState();
    if (this.lagTimer !== null) clearInterval(this.lagTimer);
  }

  /** A member of the set that has not connected to this leader for `lagMs` leaves it. */
  private dropUnconnected(): void {
    const now = Date.now();
    for (const name of this.set) {
      if (name === this.me || this.link.connected(name)) this.unconnected.delete(name);
      else if (!this.unconnected.has(name)) this.unconnected.set(name, now);
      else if (now - this.unconnected.get(name)! >= this.lagMs) {
        this.log.warn(`cluster: ${name} has not connected to the leader for ${this.lagMs} ms`);
        this.remove(name);
      }
    }
    for (const name of this.unconnected.keys()) if (!this.set.has(name)) this.unconnected.delete(name);
  }

  private membersChanged(): void {
    if (this.stopped) return;
    for (const name of this.set) if (name !== this.me && !this.state.members.has(name)) this.remove(name);
    // a member back (a new lease) that never stopped replicating: in sync again
    for (const name of this.state.members.keys()) {
      if (!this.set.has(name) && (!this.shipsData || this.replicated.has(name))) this.add(name);
    }
  }

  private add(name: string): void {
    if (this.stopped || this.set.has(name) || !this.state.members.has(name)) return;
    this.set.add(name);
    this.link.setRequiredAcks(this.requiredAcks(), this.voters()); // wait for it first…
    this.log.info(`cluster: ${name} is in sync`);
    void this.write(); // …then let it lead
  }

  private remove(name: string): void {
    if (this.stopped || name === this.me || !this.set.has(name)) return;
    this.set.delete(name);
    this.log.info(`cluster: ${name} left the in-sync set`);
    // out of the set in etcd first, then confirms stop waiting for it
    void this.write().then(() => {
      if (!this.stopped) this.link.setRequiredAcks(this.requiredAcks(), this.voters());
    });
  }

  private write(): Promise<void> {
    const next = this.chain.then(async () => {
      // retried until written (or this leadership ends): a write lost to an etcd that did not answer would
      // leave the set in etcd stale, a caught-up follower out of it for good
      for (let wait = 200; !this.stopped; wait = Math.min(wait * 2, 2000)) {
        const value = JSON.stringify(this.members());
        try {
          await within(
            this.client
              .if(this.keys.leader, 'Create', '==', this.epoch)
              .then(this.client.put(this.keys.isr).value(value))
              .commit(),
            5000,
            'in-sync set',
          );
          return;
        } catch (e) {
          this.log.warn(`cluster: in-sync set not written (${(e as Error).message}), retrying`);
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    });
    this.chain = next;
    return next;
  }
}
