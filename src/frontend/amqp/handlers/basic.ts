// The basic class (amqp0-9-1.xml class basic) methods that set up consuming: qos, consume (including the
// direct reply-to pseudo-queue), cancel. basic.publish and its content are the publisher's (publish.ts);
// deliveries, get, ack/nack/reject and recover are the channel's deliveries (deliveries.ts).
import { randomBytes } from 'node:crypto';
import {
  writeBasicCancelOk,
  writeBasicConsumeOk,
  writeBasicQosOk,
  type BasicCancel,
  type BasicConsume,
  type BasicQos,
} from '../../../codec/amqp/methods.generated.js';
import { rs } from '../../../core/errors.js';
import type { AmqpChannel } from '../channel.js';
import { AmqpConsumer } from '../consumer.js';
import { StreamQueue } from '../../../core/queue/stream/stream-queue.js';
import { checkConsumeArguments } from '../consume-arguments.js';
import { parseStreamFilter } from '../stream-filter.js';
import type { OffsetSpec } from '../../../core/queue/stream/backing.js';
import { argTypesAt, shortstrSize } from './args.js';
import { REPLY_TO_QUEUE } from '../direct-reply-to.js';
import { ConnectionReplyCode, channelError, connectionError } from '../errors.js';

/**
 * basic.qos. With product "RabbitMQ" (advertiseRabbitmq, the default) RabbitMQ's semantics: global=false sets
 * the limit of each consumer started afterwards, global=true the channel's. With product "Warren" the spec's
 * (amqp0-9-1.xml basic.qos global: "apply to the entire connection" when set, else the channel; a change
 * applies at once to running consumers): global=false the whole channel, global=true the whole connection.
 * A client (kombu) picks its semantics by the product name, so the two always go together.
 */
export function basicQos(ch: AmqpChannel, m: BasicQos): void {
  const d = ch.deliveries;
  if (!ch.conn.server.options.advertiseRabbitmq) {
    if (m.global) {
      ch.conn.qosCount = m.prefetchCount;
      ch.conn.qosSize = m.prefetchSize;
      writeBasicQosOk(ch.conn.out, ch.id);
      ch.conn.resumeConsumers();
      return;
    }
    d.globalPrefetchCount = m.prefetchCount;
    d.globalPrefetchSize = m.prefetchSize;
  } else if (m.global) {
    d.globalPrefetchCount = m.prefetchCount;
    d.globalPrefetchSize = m.prefetchSize;
  } else {
    d.prefetchCount = m.prefetchCount;
    d.prefetchSize = m.prefetchSize;
  }
  writeBasicQosOk(ch.conn.out, ch.id);
  d.resumeConsumers(true);
}

export function basicConsume(ch: AmqpChannel, m: BasicConsume, payload: Buffer): void {
  const d = ch.deliveries;
  const tag = m.consumerTag === '' ? 'amq.ctag-' + randomBytes(16).toString('base64url') : m.consumerTag;
  if (d.consumers.has(tag) || (d.replyAddress !== null && d.replyTag === tag)) {
    throw connectionError(ConnectionReplyCode.NOT_ALLOWED, `attempt to reuse consumer tag '${tag}'`);
  }
  if (m.queue === REPLY_TO_QUEUE) return consumeReplyTo(ch, tag, m);
  const name = m.queue === '' ? ch.lastQueueName : m.queue;
  ch.access.check('queue', name, 'read');
  const q = ch.vhost.getQueueFor(name, ch.conn);
  // a stream does not enforce exclusive consumers (rabbit_stream_queue:consume/3 only reports the flag)
  if (!(q instanceof StreamQueue) && (q.exclusiveConsumer !== null || (m.exclusive && q.consumerCount > 0))) {
    throw channelError(403, `${rs('queue', q.name, q.vhost)} in exclusive use`);
  }
  // ids(4) reserved(2) queue consumer-tag bits(1) table
  const types = argTypesAt(payload, 6 + shortstrSize(m.queue) + shortstrSize(m.consumerTag) + 1);
  const offset = checkConsumeArguments(q.type, rs('queue', q.name, q.vhost), m.arguments, types);
  const spec = q instanceof StreamQueue ? streamConsumeChecks(ch, q, m, offset!) : null;
  const p = m.arguments['x-priority'];
  const priority = typeof p === 'number' ? p : 0;
  const c = new AmqpConsumer(tag, ch, d, q, m.noAck, m.exclusive, priority, m.noLocal, d.prefetchCount, d.prefetchSize);
  c.args = m.arguments;
  d.consumers.set(tag, c);
  if (spec !== null) (q as StreamQueue).startAt(c, spec, parseStreamFilter(m.arguments));
  // consume-ok goes before the first delivery (amqp0-9-1.xml basic.consume-ok)
  if (!m.nowait) writeBasicConsumeOk(ch.conn.out, ch.id, tag);
  q.addConsumer(c);
}

/**
 * What rabbit_stream_queue:consume/3 requires of a 0-9-1 consumer, in its order (replies as the anchor RabbitMQ
 * gives them): a consumer prefetch (406; a global one alone is not one), manual acks (540), and no global
 * prefetch (540 "does not support global qos"). With product "Warren" basic.qos global=false limits the
 * channel (basicQos above): that limit is the prefetch a stream consumer needs.
 */
function streamConsumeChecks(ch: AmqpChannel, q: StreamQueue, m: BasicConsume, spec: OffsetSpec): OffsetSpec {
  const r = rs('queue', q.name, q.vhost);
  const d = ch.deliveries;
  const rabbit = ch.conn.server.options.advertiseRabbitmq;
  if (rabbit ? d.prefetchCount === 0 : d.globalPrefetchCount === 0) {
    throw channelError(406, `consumer prefetch count is not set for '${r}'`);
  }
  if (m.noAck) {
    throw connectionError(
      ConnectionReplyCode.NOT_IMPLEMENTED,
      `automatic acknowledgement not supported by stream queues ${r}`,
    );
  }
  if (rabbit && d.globalPrefetchCount !== 0) {
    throw connectionError(ConnectionReplyCode.NOT_IMPLEMENTED, `${r} does not support global qos`);
  }
  return spec;
}

/** https://www.rabbitmq.com/docs/direct-reply-to: a no-ack consumer of amq.rabbitmq.reply-to. */
function consumeReplyTo(ch: AmqpChannel, tag: string, m: BasicConsume): void {
  const d = ch.deliveries;
  if (!m.noAck) throw channelError(406, `reply consumer cannot acknowledge`);
  if (d.replyAddress !== null) throw channelError(406, `reply consumer already set`);
  d.replyAddress = ch.conn.server.replyTo.register(d);
  d.replyTag = tag;
  if (!m.nowait) writeBasicConsumeOk(ch.conn.out, ch.id, tag);
}

export function basicCancel(ch: AmqpChannel, m: BasicCancel): void {
  const d = ch.deliveries;
  const tag = m.consumerTag;
  const c = d.consumers.get(tag);
  if (c) {
    d.consumers.delete(tag);
    c.queue.removeConsumer(c);
  } else if (d.replyAddress !== null && tag === d.replyTag) {
    ch.conn.server.replyTo.unregister(d.replyAddress);
    d.replyAddress = null;
  }
  // RabbitMQ keeps a cancelled consumer's unacked messages on the channel: they can still be acked,
  // and go back to the queue when the channel closes.
  if (!m.nowait) writeBasicCancelOk(ch.conn.out, ch.id, tag);
}
