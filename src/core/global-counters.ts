// Node-wide counters of RabbitMQ's rabbit_global_counters that belong to no queue and that nothing else
// keeps: the Stream protocol's messages (received, confirmed, delivered) and its error responses, by response
// code (rabbit_stream_metrics' stream_error_* counters). The AMQP 0-9-1 side is derived at scrape time from
// the counters the core already keeps (queues, vhosts, broker.stats: management/prometheus-global.ts). Plain
// numbers bumped in place by the Stream front end (each session holds this object): no lookup per message.
// A deleted vhost's counters are folded in here (deletedVHosts), so that no node-wide counter ever goes down.
import { addRetired, newRetiredStats, type RetiredStats } from './stats.js';

export interface StreamProtocolCounters {
  /** Messages stored by Publish (each expects a confirm: received_confirm is the same count, as RabbitMQ). */
  received: number;
  /** Publishing ids confirmed (PublishConfirm). */
  confirmed: number;
  /** Messages delivered to subscriptions (all from streams: queue_type rabbit_stream_queue). */
  delivered: number;
  /** Responses and closes sent with a failure code, indexed by the code (codec/stream/constants.ts). */
  readonly errors: number[];
}

export class GlobalCounters {
  readonly stream: StreamProtocolCounters = { received: 0, confirmed: 0, delivered: 0, errors: new Array(32).fill(0) };
  /**
   * Deleted vhosts' counters: channel-side publishes and their (deleted) queues' counters. RabbitMQ's global
   * counters are the node's, not the vhosts': a vhost deleted must not make rabbitmq_global_* go down (a
   * counter that drops reads as a reset to Prometheus, and rate() over it as a spike).
   */
  readonly deletedVHosts: { publish: number; queues: RetiredStats } = { publish: 0, queues: newRetiredStats() };

  /** A vhost is deleted (its queues already retired into `retired`): keep what it counted. */
  vhostDeleted(publish: number, retired: RetiredStats): void {
    this.deletedVHosts.publish += publish;
    addRetired(this.deletedVHosts.queues, retired);
  }

  /** A Stream response or close with `code` went out: count it when it is a failure. */
  streamResponse(code: number): void {
    // 0x01 OK; 0x13 NoOffset (QueryOffset's "no offset stored") has no counter in RabbitMQ either
    if (code > 1 && code < 32) this.stream.errors[code]!++;
  }
}
