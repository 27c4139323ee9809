// Resource alarms (RabbitMQ's disk and memory alarms): while any is raised, publishing connections are
// blocked. The core only holds the state; storage raises the disk alarm (free space under diskFreeLimit,
// or writes failing), the memory monitor (memory-monitor.ts) the memory alarm, and each front end blocks
// a connection when it publishes during an alarm (AMQP: connection.blocked; MQTT, STOMP: not read).
export type AlarmName = 'disk' | 'memory';

export interface AlarmListener {
  /** Called when the set of raised alarms goes from empty to not, or back. */
  alarmsChanged(blocked: boolean, reason: string): void;
}

export class Alarms {
  private readonly raised = new Set<AlarmName>();
  private readonly listeners = new Set<AlarmListener>();

  get blocked(): boolean {
    return this.raised.size !== 0;
  }

  /** RabbitMQ's connection.blocked reason (rabbit_reader blocked_by_message): "low on memory & disk". */
  get reason(): string {
    return 'low on ' + [...this.raised].join(' & ');
  }

  isRaised(a: AlarmName): boolean {
    return this.raised.has(a);
  }

  set(a: AlarmName, on: boolean): void {
    const was = this.blocked;
    if (on) this.raised.add(a);
    else this.raised.delete(a);
    if (was !== this.blocked) for (const l of this.listeners) l.alarmsChanged(this.blocked, this.reason);
  }

  subscribe(l: AlarmListener): void {
    this.listeners.add(l);
  }

  unsubscribe(l: AlarmListener): void {
    this.listeners.delete(l);
  }
}
