// What management and Prometheus show of a stream queue beyond any queue's fields, as RabbitMQ's
// rabbit_stream_queue:info/2 and rabbitmq_prometheus report them (single node: the node is the leader, the
// only member and online; "readers" counts the stream's readers on it).
import { StreamQueue } from '../core/queue/stream/stream-queue.js';
import type { Queue } from '../core/queue/queue.js';

/** rabbit_stream_queue:i/2's stream keys for GET /api/queues. */
export function streamQueueFields(q: StreamQueue, node: string): Record<string, unknown> {
  const b = q.streamBacking;
  return {
    leader: node,
    members: [node],
    online: [node],
    readers: { [node]: q.readerCount },
    segments: b?.segments ?? 0,
    committed_offset: q.committedOffset,
    first_offset: b?.firstOffset ?? 0,
    // bytes of its segment files (Warren's; RabbitMQ has no field for it)
    stream_bytes: b?.bytes ?? 0,
  };
}

/**
 * Messages a queue counts as unacknowledged in management and Prometheus: none for a stream (its consumers'
 * unacked deliveries stay in the stream; RabbitMQ reports messages = messages_ready and 0 unacked).
 */
export function unackedShown(q: Queue): number {
  return q instanceof StreamQueue ? 0 : q.unackedCount;
}

/** rabbitmq_prometheus's per-stream metrics (queue_metrics and stream_consumer_metrics families). */
export const STREAM_METRICS: [string, string, string, (q: StreamQueue) => number][] = [
  ['stream_segments', 'counter', 'Total number of stream segment files', (q) => q.streamBacking?.segments ?? 0],
  ['stream_consumer_max_offset_lag', 'gauge', 'Highest consumer offset lag', (q) => q.maxOffsetLag()],
];
