// Single active consumer (x-single-active-consumer, https://www.rabbitmq.com/docs/consumers#single-active-consumer):
// of the consumers on the queue only one receives messages, the first to have subscribed; when it goes,
// the next in subscription order takes over (classic queues in RabbitMQ 3.10 ignore consumer priorities
// for this choice). The others stay subscribed and wait.
/** Generic over the consumer type, so this file needs nothing of the queue that owns it. */
export class ActiveConsumer<Consumer> {
  /** Consumers in subscription order. */
  private readonly order: Consumer[] = [];

  get active(): Consumer | null {
    return this.order.length === 0 ? null : this.order[0]!;
  }

  add(c: Consumer): void {
    this.order.push(c);
  }

  /** Returns true when the active consumer changed. */
  remove(c: Consumer): boolean {
    const i = this.order.indexOf(c);
    if (i < 0) return false;
    this.order.splice(i, 1);
    return i === 0;
  }
}
