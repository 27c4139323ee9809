// The queue class (amqp0-9-1.xml class queue): declare, bind, unbind, purge, delete, with rabbit_channel's
// permission checks, against the channel's vhost. Exclusive queues are the connection's (deleted with it).
import {
  writeQueueBindOk,
  writeQueueDeclareOk,
  writeQueueDeleteOk,
  writeQueuePurgeOk,
  writeQueueUnbindOk,
  type QueueBind,
  type QueueDeclare,
  type QueueDelete,
  type QueuePurge,
  type QueueUnbind,
} from '../../../codec/amqp/methods.generated.js';
import { VHost } from '../../../core/vhost.js';
import type { ChannelContext } from '../context.js';
import { REPLY_TO_QUEUE } from '../direct-reply-to.js';
import { channelError } from '../errors.js';
import { argTypesAt, shortstrSize } from './args.js';
import { checkBind } from './bind-access.js';

export function queueDeclare(ch: ChannelContext, m: QueueDeclare, payload: Buffer): void {
  const v = ch.vhost;
  const conn = ch.conn;
  let q;
  if (m.passive && m.queue === REPLY_TO_QUEUE) {
    // direct reply-to pseudo-queue: RabbitMQ answers a passive declare with 0 messages, 1 consumer
    if (!m.nowait) writeQueueDeclareOk(conn.out, ch.id, REPLY_TO_QUEUE, 0, 1);
    return;
  }
  if (m.passive) {
    q = v.declareQueuePassive(queueName(ch, m.queue), conn);
  } else {
    const name = m.queue === '' ? VHost.generateQueueName() : m.queue;
    ch.access.check('queue', name, 'configure');
    if (!v.queues.has(name)) checkNewQueue(ch, name, m.arguments);
    q = v.declareQueue(
      name,
      {
        durable: m.durable,
        exclusive: m.exclusive,
        autoDelete: m.autoDelete,
        args: m.arguments,
        // ids(4) reserved(2) queue bits(1) table
        argTypes: argTypesAt(payload, 4 + 2 + shortstrSize(m.queue) + 1),
      },
      conn,
      m.queue === '',
    );
    if (m.exclusive) conn.exclusiveQueues.add(name);
  }
  ch.lastQueueName = q.name;
  if (!m.nowait) writeQueueDeclareOk(conn.out, ch.id, q.name, q.messageCount, q.consumerCount);
}

export function queueBind(ch: ChannelContext, m: QueueBind): void {
  const name = queueName(ch, m.queue);
  checkBind(ch, 'queue', name, m.exchange, m.routingKey);
  ch.vhost.bindQueue(name, m.exchange, m.routingKey, m.arguments, ch.conn);
  if (!m.nowait) writeQueueBindOk(ch.conn.out, ch.id);
}

export function queueUnbind(ch: ChannelContext, m: QueueUnbind): void {
  const name = queueName(ch, m.queue);
  checkBind(ch, 'queue', name, m.exchange, m.routingKey);
  ch.vhost.unbindQueue(name, m.exchange, m.routingKey, m.arguments, ch.conn);
  writeQueueUnbindOk(ch.conn.out, ch.id);
}

export function queuePurge(ch: ChannelContext, m: QueuePurge): void {
  const name = queueName(ch, m.queue);
  ch.access.check('queue', name, 'read');
  const n = ch.vhost.getQueueFor(name, ch.conn).purge();
  if (!m.nowait) writeQueuePurgeOk(ch.conn.out, ch.id, n);
}

export function queueDelete(ch: ChannelContext, m: QueueDelete): void {
  const name = queueName(ch, m.queue);
  ch.access.check('queue', name, 'configure');
  const n = ch.vhost.deleteQueue(name, m.ifUnused, m.ifEmpty, ch.conn);
  ch.conn.exclusiveQueues.delete(name);
  if (!m.nowait) writeQueueDeleteOk(ch.conn.out, ch.id, n);
}

/** amqp0-9-1.xml queue.declare / queue.bind: an empty queue name means the last queue declared on the channel. */
function queueName(ch: ChannelContext, name: string): string {
  if (name !== '') return name;
  if (ch.lastQueueName === '') throw channelError(404, `no previously declared queue`);
  return ch.lastQueueName;
}

/** Checks RabbitMQ makes only when the queue is new: the vhost's queue limit, DLX permissions. */
function checkNewQueue(ch: ChannelContext, name: string, args: Record<string, unknown>): void {
  // before the DLX permissions, as rabbit_channel (declareQueue checks it again for the other callers)
  ch.vhost.checkQueueLimit(name);
  const dlx = args['x-dead-letter-exchange'];
  if (typeof dlx === 'string') {
    ch.access.check('queue', name, 'read');
    ch.access.check('exchange', dlx, 'write');
  }
}
