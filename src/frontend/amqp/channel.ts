// One AMQP channel: dispatches its methods, handles the exchange/queue/binding class methods against the
// vhost, and delegates publishing (publish.ts) and consuming/acking (deliveries.ts). Called only from the
// connection's data handler; errors thrown here close this channel (or, for hard errors, the connection).
import { newChannelStats, type ChannelStats } from '../../core/broker.js';
import {
  MethodId,
  type AmqpMethod,
  writeChannelClose,
  writeChannelFlowOk,
  writeExchangeBindOk,
  writeExchangeDeclareOk,
  writeExchangeDeleteOk,
  writeExchangeUnbindOk,
  writeQueueBindOk,
  writeQueueDeclareOk,
  writeQueueDeleteOk,
  writeQueuePurgeOk,
  writeQueueUnbindOk,
  type ExchangeDeclare,
  type QueueDeclare,
} from '../../codec/amqp/methods.generated.js';
import { VHost } from '../../core/vhost.js';
import { tableTypes } from '../../codec/amqp/field-table.js';
import type { AmqpConnection } from './connection.js';
import { ChannelPublisher } from './publish.js';
import { ChannelDeliveries } from './deliveries.js';
import { BASIC_PUBLISH, ConnectionReplyCode, connectionError, channelError } from './errors.js';
import { REPLY_TO_QUEUE } from './direct-reply-to.js';
import { AccessCache } from '../../core/auth/permissions.js';

export class AmqpChannel {
  closing = false;
  /** channel.flow from the client: false pauses deliveries to this channel (amqp0-9-1.xml channel.flow). */
  flowActive = true;
  readonly publisher: ChannelPublisher;
  /** message_stats for GET /api/channels (publish, deliver, get, ack, …), bumped in place. */
  readonly stats: ChannelStats = newChannelStats();
  readonly deliveries: ChannelDeliveries;
  /** Permission checks of this channel's user in its vhost (RabbitMQ checks per channel, with a cache). */
  readonly access: AccessCache;

  constructor(
    readonly conn: AmqpConnection,
    readonly id: number,
  ) {
    this.access = new AccessCache(conn.userObj!, conn.vhost);
    this.publisher = new ChannelPublisher(this);
    this.deliveries = new ChannelDeliveries(this);
  }

  get vhost(): VHost {
    return this.conn.vhostObj!;
  }

  // Hot path for basic.publish / basic.ack; everything else is rare.
  /** amqp0-9-1 §4.2.6: content frames follow their method without interleaving on a channel. */
  checkNotExpectingContent(): void {
    if (this.publisher.expectingContent()) {
      throw connectionError(
        ConnectionReplyCode.UNEXPECTED_FRAME,
        `expected content header for class 60, got non content header frame instead`,
        BASIC_PUBLISH,
      );
    }
  }

  onMethod(m: AmqpMethod, payload: Buffer): void {
    const out = this.conn.out;
    switch (m.id) {
      case MethodId.BasicPublish:
        return this.publisher.onPublish(m);
      case MethodId.BasicAck:
        return this.deliveries.ack(m.deliveryTag, m.multiple);
      case MethodId.BasicNack:
        return this.deliveries.nack(m.deliveryTag, m.multiple, m.requeue);
      case MethodId.BasicReject:
        return this.deliveries.nack(m.deliveryTag, false, m.requeue);
      case MethodId.BasicQos:
        return this.deliveries.qos(m.prefetchSize, m.prefetchCount, m.global);
      case MethodId.BasicConsume:
        return this.deliveries.consume(m);
      case MethodId.BasicCancel:
        return this.deliveries.cancel(m.consumerTag, m.nowait);
      case MethodId.BasicGet:
        return this.deliveries.get(m.queue, m.noAck);
      case MethodId.BasicRecover:
        return this.deliveries.recover(m.requeue, true);
      case MethodId.BasicRecoverAsync:
        return this.deliveries.recover(m.requeue, false);
      case MethodId.ExchangeDeclare:
        return this.exchangeDeclare(m, payload);
      case MethodId.ExchangeDelete:
        // rabbit_channel: default-exchange and amq.* checks come before the configure check
        if (m.exchange !== '' && !m.exchange.startsWith('amq.')) this.access.check('exchange', m.exchange, 'configure');
        this.vhost.deleteExchange(m.exchange, m.ifUnused);
        if (!m.nowait) writeExchangeDeleteOk(out, this.id);
        return;
      case MethodId.ExchangeBind:
        this.checkBind('exchange', m.destination, m.source, m.routingKey);
        this.vhost.bindExchange(m.destination, m.source, m.routingKey, m.arguments);
        if (!m.nowait) writeExchangeBindOk(out, this.id);
        return;
      case MethodId.ExchangeUnbind:
        this.checkBind('exchange', m.destination, m.source, m.routingKey);
        this.vhost.unbindExchange(m.destination, m.source, m.routingKey, m.arguments);
        if (!m.nowait) writeExchangeUnbindOk(out, this.id);
        return;
      case MethodId.QueueDeclare:
        return this.queueDeclare(m, payload);
      case MethodId.QueueBind:
        this.checkBind('queue', this.queueName(m.queue), m.exchange, m.routingKey);
        this.vhost.bindQueue(this.queueName(m.queue), m.exchange, m.routingKey, m.arguments, this.conn);
        if (!m.nowait) writeQueueBindOk(out, this.id);
        return;
      case MethodId.QueueUnbind:
        this.checkBind('queue', this.queueName(m.queue), m.exchange, m.routingKey);
        this.vhost.unbindQueue(this.queueName(m.queue), m.exchange, m.routingKey, m.arguments, this.conn);
        writeQueueUnbindOk(out, this.id);
        return;
      case MethodId.QueuePurge: {
        this.access.check('queue', this.queueName(m.queue), 'read');
        const n = this.vhost.getQueueFor(this.queueName(m.queue), this.conn).purge();
        if (!m.nowait) writeQueuePurgeOk(out, this.id, n);
        return;
      }
      case MethodId.QueueDelete: {
        const name = this.queueName(m.queue);
        this.access.check('queue', name, 'configure');
        const n = this.vhost.deleteQueue(name, m.ifUnused, m.ifEmpty, this.conn);
        this.conn.exclusiveQueues.delete(name);
        if (!m.nowait) writeQueueDeleteOk(out, this.id, n);
        return;
      }
      case MethodId.ChannelFlow:
        // Implemented as the spec says (RabbitMQ 4 refuses active=false): pause or resume deliveries.
        this.flowActive = m.active;
        writeChannelFlowOk(out, this.id, m.active);
        if (m.active) this.deliveries.resumeConsumers(true);
        return;
      case MethodId.ChannelFlowOk:
        return;
      case MethodId.ConfirmSelect:
        return this.publisher.confirmSelect(m.nowait);
      case MethodId.TxSelect:
        return this.publisher.txSelect();
      case MethodId.TxCommit:
        return this.publisher.txCommit();
      case MethodId.TxRollback:
        return this.publisher.txRollback();
      case MethodId.ChannelOpen:
        throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `second 'channel.open' seen`);
      default:
        throw connectionError(ConnectionReplyCode.COMMAND_INVALID, `unexpected method on channel ${this.id}`);
    }
  }

  onContentHeader(payload: Buffer): void {
    this.publisher.onContentHeader(payload);
  }

  onContentBody(payload: Buffer): void {
    this.publisher.onContentBody(payload);
  }

  /**
   * amqp0-9-1.xml queue.declare / queue.bind: an empty queue name means the last queue declared on
   * this channel.
   */
  lastQueueName = '';
  private queueName(name: string): string {
    if (name !== '') return name;
    if (this.lastQueueName === '') throw channelError(404, `no previously declared queue`);
    return this.lastQueueName;
  }

  private exchangeDeclare(m: ExchangeDeclare, payload: Buffer): void {
    if (m.passive) {
      this.vhost.declareExchangePassive(m.exchange);
    } else {
      if (m.exchange !== '') {
        this.access.check('exchange', m.exchange, 'configure');
        const ae = m.arguments['alternate-exchange'];
        if (typeof ae === 'string' && !this.vhost.exchanges.has(m.exchange)) {
          // rabbit_channel: a new exchange with an alternate exchange needs read on itself, write on the AE
          this.access.check('exchange', m.exchange, 'read');
          this.access.check('exchange', ae, 'write');
        }
      }
      this.vhost.declareExchange(m.exchange, {
        type: m.type,
        durable: m.durable,
        autoDelete: m.autoDelete,
        internal: m.internal,
        args: m.arguments,
        // arguments is the last field: ids(4) reserved(2) exchange type bits(1) table
        argTypes: argTypesAt(payload, 4 + 2 + shortstrSize(m.exchange) + shortstrSize(m.type) + 1),
      });
    }
    if (!m.nowait) writeExchangeDeclareOk(this.conn.out, this.id);
  }

  private queueDeclare(m: QueueDeclare, payload: Buffer): void {
    const v = this.vhost;
    let q;
    if (m.passive && m.queue === REPLY_TO_QUEUE) {
      // direct reply-to pseudo-queue: RabbitMQ answers a passive declare with 0 messages, 1 consumer
      if (!m.nowait) writeQueueDeclareOk(this.conn.out, this.id, REPLY_TO_QUEUE, 0, 1);
      return;
    }
    if (m.passive) {
      q = v.declareQueuePassive(this.queueName(m.queue), this.conn);
    } else {
      const name = m.queue === '' ? VHost.generateQueueName() : m.queue;
      this.access.check('queue', name, 'configure');
      if (!v.queues.has(name)) this.checkNewQueue(name, m.arguments);
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
        this.conn,
        m.queue === '',
      );
      if (m.exclusive) this.conn.exclusiveQueues.add(name);
    }
    this.lastQueueName = q.name;
    if (!m.nowait) writeQueueDeclareOk(this.conn.out, this.id, q.name, q.messageCount, q.consumerCount);
  }

  /** rabbit_channel:binding_action: write on the destination, read on the source (and its topic key). */
  private checkBind(kind: 'queue' | 'exchange', destination: string, source: string, key: string): void {
    this.access.check(kind, destination, 'write');
    // the default exchange is refused next, by the vhost (check_not_default_exchange)
    if (source === '' || (kind === 'exchange' && destination === '')) return;
    this.access.check('exchange', source, 'read');
    const x = this.vhost.exchanges.get(source);
    if (x !== undefined && x.type === 'topic') this.access.checkTopic(source, key, 'read', this.topicVars());
  }

  topicVars(): { username: string; vhost: string } {
    return { username: this.conn.user, vhost: this.conn.vhost };
  }

  /** Checks RabbitMQ makes only when the queue is new: the vhost's queue limit, DLX permissions. */
  private checkNewQueue(name: string, args: Record<string, unknown>): void {
    // before the DLX permissions, as rabbit_channel (declareQueue checks it again for the other callers)
    this.vhost.checkQueueLimit(name);
    const dlx = args['x-dead-letter-exchange'];
    if (typeof dlx === 'string') {
      this.access.check('queue', name, 'read');
      this.access.check('exchange', dlx, 'write');
    }
  }

  /** Close this channel from the server side (a channel error): amqp0-9-1.xml channel.close. */
  closeWithError(code: number, text: string, classId: number, methodId: number): void {
    if (this.closing) return;
    this.closing = true;
    this.teardown();
    writeChannelClose(this.conn.out, this.id, code, text, classId, methodId);
    this.conn.scheduleFlush();
  }

  /** Release the channel's consumers and requeue its unacked messages. Idempotent. */
  teardown(): void {
    this.publisher.teardown();
    this.deliveries.teardown();
  }

  resumeConsumers(): void {
    this.deliveries.resumeConsumers();
  }

  oldestUnackedAt(): number {
    return this.deliveries.oldestUnackedAt();
  }

  confirmPending(): boolean {
    return this.publisher.confirmPending();
  }

  sendConfirms(): void {
    this.publisher.sendConfirms();
  }
}

function shortstrSize(s: string): number {
  return 1 + Buffer.byteLength(s);
}

/** Wire type names of the arguments table starting (at its u32 length) at `offset` of a method payload. */
function argTypesAt(payload: Buffer, offset: number): Record<string, string> {
  const len = payload.readUInt32BE(offset);
  return len === 0 ? {} : tableTypes(payload, offset + 4, len);
}
