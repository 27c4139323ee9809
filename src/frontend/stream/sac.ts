// Single active consumer for streams (RabbitMQ 3.11+, https://www.rabbitmq.com/docs/streams#single-active-
// consumer): subscriptions with `single-active-consumer=true` and the same `name` on a stream form a group
// across connections; one is active and reads, the others wait. The first to join is active; when the active
// one leaves (unsubscribe, connection closed, stream deleted) the next in arrival order takes over. Becoming
// active sends the client a ConsumerUpdate (active = 1), and the client's answer names the offset it starts
// from (usually its stored offset), as rabbit_stream_sac_coordinator does. Partitioned groups (the
// `super-stream` property) use the same rule (RabbitMQ spreads their active consumers over the partitions).

/** What a group needs of a member subscription. */
export interface SacMember {
  /** The group it belongs to (vhost, stream, name). */
  readonly sacKey: string | null;
  active: boolean;
  /** It became active: its connection asks the client where to start (ConsumerUpdate). */
  activate(): void;
}

export function sacKey(vhost: string, stream: string, name: string): string {
  return `${vhost}\u0000${stream}\u0000${name}`;
}

export class SacGroups {
  private readonly groups = new Map<string, SacMember[]>();

  /** Join its group: active when it is the first (and then activated). */
  join(m: SacMember): void {
    const key = m.sacKey;
    if (key === null) return;
    let g = this.groups.get(key);
    if (g === undefined) this.groups.set(key, (g = []));
    g.push(m);
    m.active = g.length === 1;
    if (m.active) m.activate();
  }

  /** Leave its group; the next member takes over when it was the active one. */
  leave(m: SacMember): void {
    const key = m.sacKey;
    if (key === null) return;
    const g = this.groups.get(key);
    if (g === undefined) return;
    const i = g.indexOf(m);
    if (i < 0) return;
    g.splice(i, 1);
    const wasActive = m.active;
    m.active = false;
    if (g.length === 0) {
      this.groups.delete(key);
      return;
    }
    if (wasActive) {
      const next = g[0]!;
      next.active = true;
      next.activate();
    }
  }

  /** The members of a group, active first (management). */
  members(key: string): readonly SacMember[] {
    return this.groups.get(key) ?? [];
  }
}
