// Single active consumer for streams (RabbitMQ 3.11+, https://www.rabbitmq.com/docs/streams#single-active-
// consumer): subscriptions with `single-active-consumer=true` and the same `name` on a stream form a group
// across connections; one is active and reads, the others wait, as rabbit_stream_sac_coordinator decides:
// - a plain group (partition index -1): the first in arrival order is active; when it leaves, the next;
// - a partitioned group (the subscription names its super stream, `super-stream`, and the stream is that
//   super stream's partition number P): the active one is consumer number P mod N of the N in arrival order
//   (compute_active_consumer), so that a super stream's consumers of one name spread over its partitions and
//   move when one comes or goes.
// Becoming active sends the client a ConsumerUpdate (active = 1) whose answer names the offset it starts from
// (usually its stored offset); a newcomer that is not active is told so (active = 0), as RabbitMQ does. When
// the active one changes while it is still there, it is told first (active = 0: it stops reading and may
// store its offset) and the new one is activated once it answered (or its connection is gone): the
// coordinator's side effect, so that two consumers of a partition never read at once.

/** What a group needs of a member subscription. */
export interface SacMember {
  /** The group it belongs to (vhost, stream, name). */
  readonly sacKey: string | null;
  /** Its stream's index among its super stream's partitions (RabbitMQ's partition_index), -1 when none. */
  readonly partitionIndex: number;
  active: boolean;
  /** It became active: its connection asks the client where to start (ConsumerUpdate active). */
  activate(): void;
  /**
   * It is not active (a newcomer) or no longer (stepping down: it stops reading): its client is told
   * (ConsumerUpdate inactive); `answered`, if given, runs once the client answered or the connection is gone.
   */
  deactivate(answered: (() => void) | null): void;
}

export function sacKey(vhost: string, stream: string, name: string): string {
  return `${vhost}\u0000${stream}\u0000${name}`;
}

interface Group {
  /** Fixed when the group is created, as maybe_create_group does. */
  readonly partitionIndex: number;
  readonly members: SacMember[];
  /** An active member told to step down whose answer is awaited (nobody is activated meanwhile). */
  steppingDown: SacMember | null;
}

export class SacGroups {
  private readonly groups = new Map<string, Group>();

  /** Join its group: the active one is recomputed (the newcomer, someone else, or unchanged). */
  join(m: SacMember): void {
    const key = m.sacKey;
    if (key === null) return;
    let g = this.groups.get(key);
    if (g === undefined) {
      g = { partitionIndex: m.partitionIndex, members: [], steppingDown: null };
      this.groups.set(key, g);
    }
    g.members.push(m);
    m.active = false;
    this.settle(g);
    // a newcomer that is not (yet) the active one is told so
    if (!m.active && this.target(g) !== m) m.deactivate(null);
  }

  /** Leave its group: the active one is recomputed (the next takes over when it was the active one). */
  leave(m: SacMember): void {
    const key = m.sacKey;
    if (key === null) return;
    const g = this.groups.get(key);
    if (g === undefined) return;
    const i = g.members.indexOf(m);
    if (i < 0) return;
    g.members.splice(i, 1);
    m.active = false;
    if (g.steppingDown === m) g.steppingDown = null;
    if (g.members.length === 0) {
      this.groups.delete(key);
      return;
    }
    this.settle(g);
  }

  /** The member that should be active: the first, or number P mod N of a partitioned group. */
  private target(g: Group): SacMember | null {
    const n = g.members.length;
    if (n === 0) return null;
    return g.members[g.partitionIndex < 0 ? 0 : g.partitionIndex % n]!;
  }

  /** Make the target the active one: the current one steps down first (and is waited for). */
  private settle(g: Group): void {
    const target = this.target(g);
    const current = g.members.find((x) => x.active) ?? null;
    if (current === target) return;
    if (current !== null) {
      current.active = false;
      g.steppingDown = current;
      current.deactivate(() => {
        if (g.steppingDown !== current) return;
        g.steppingDown = null;
        this.activateTarget(g);
      });
      return;
    }
    if (g.steppingDown === null) this.activateTarget(g);
  }

  private activateTarget(g: Group): void {
    const t = this.target(g);
    if (t === null || t.active || g.members.some((x) => x.active)) return;
    t.active = true;
    t.activate();
  }

  /** The members of a group in arrival order (management, tests). */
  members(key: string): readonly SacMember[] {
    return this.groups.get(key)?.members ?? [];
  }
}
