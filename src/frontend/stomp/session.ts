// A STOMP session's state on its connection (1.0, 1.1, 1.2), with RabbitMQ's STOMP plugin semantics:
// destinations map to queues and exchanges (destination.ts), SEND headers to AMQP properties (format.ts),
// SUBSCRIBE to a consumer with ack mode and prefetch. This class holds what the frame handlers
// (handlers/*.ts) share: the login, subscriptions, unacked deliveries, open transactions and temporary
// queues, and the operations several handlers use (send a frame, ERROR, RECEIPT, close, declare a queue).
// The socket is StreamConnection's; the state machine is connection.ts.
import { randomBytes } from 'node:crypto';
import type { ChannelInfo, ClientConnection } from '../../core/broker.js';
import { newChannelStats } from '../../core/broker.js';
import type { AccessCache, TopicVariables } from '../../core/auth/permissions.js';
import type { User } from '../../core/auth/users.js';
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import { VHost } from '../../core/vhost.js';
import { StreamConnection } from '../net/stream-connection.js';
import type { SendTarget } from './destination.js';
import { encodeFrame, type StompFrame } from './frame.js';
import type { StompHeaders } from './format.js';
import { ReceiptGate } from './receipt-gate.js';
import { StompSubscription, type AckTarget, type StompSubscriptionHost } from './subscription.js';

/** The versions Warren speaks, oldest first (CONNECT accept-version, ERROR's version header). */
export const VERSIONS = ['1.0', '1.1', '1.2'];
/** A heart-beat, and what ends every frame after its NUL (as RabbitMQ sends them). */
export const EOL = Buffer.from('\n');
/** Queue arguments a SUBSCRIBE/SEND may carry as x-* headers (RabbitMQ stomp queue properties). */
const INT_ARGS = new Set(['x-expires', 'x-message-ttl', 'x-max-length', 'x-max-length-bytes', 'x-max-priority']);
const STR_ARGS = new Set([
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-queue-master-locator',
  'x-single-active-consumer',
]);

/** A MESSAGE delivered from an acked subscription and not yet ACKed or NACKed. */
export class Unacked {
  constructor(
    readonly tag: number,
    readonly entry: QueuedMessage,
    readonly queue: Queue,
    readonly sub: StompSubscription,
    readonly at: number,
  ) {}
}

/** A SEND, ACK or NACK held in a transaction until COMMIT, with what its checks found when it arrived. */
export interface TxOp {
  kind: 'send' | 'ack' | 'nack';
  frame: StompFrame;
  target: SendTarget | null;
  ack: AckTarget | null;
}

// The fields are the handlers' to read and set (the STOMP front end's own; nothing outside it uses them).
export abstract class StompSession extends StreamConnection implements ClientConnection, StompSubscriptionHost {
  /**
   * RabbitMQ 3.10 shows a STOMP connection with one channel carrying its message_stats (publish, deliver,
   * ack, …). Counted here, listed by channelInfos().
   */
  readonly channelStats = newChannelStats();
  protocol = 'STOMP';
  version = '1.0';
  v: VHost | null = null;
  /** Permission checks (core/auth/permissions.ts) where the AMQP operations they map to make them. */
  access: AccessCache | null = null;
  /** The login's answer (kept: a CONNECT replayed after an HTTP backend's answer does not ask again). */
  login: User | string | Promise<User | string> | null = null;
  topicVars: TopicVariables | null = null;
  readonly session = 'session-' + randomBytes(16).toString('base64url');
  /** By RabbitMQ's consumer tag (StompSubscription.key): T_<id>, or Q_<destination> without an id. */
  readonly subs = new Map<string, StompSubscription>();
  /** Unacked deliveries by tag (insertion = tag order, which cumulative acks rely on). */
  readonly unacked = new Map<number, Unacked>();
  nextTag = 0;
  readonly txs = new Map<string, TxOp[]>();
  /** The /queue/ names this connection declared (declareQueue). */
  private readonly declared = new Set<string>();
  /** /temp-queue/<name> → the server-named queue behind it. */
  private readonly tempQueues = new Map<string, string>();
  /** SEND receipts wait for the message store's fsync, as RabbitMQ's wait for a publisher confirm. */
  readonly receipts = new ReceiptGate(
    this.server.broker.store,
    (id) => this.send('RECEIPT', [['receipt-id', id]]),
    () => this.closed,
  );

  /** CONNECTED was sent and the connection is not closing (StompSubscriptionHost). */
  get connected(): boolean {
    return this.open;
  }

  /** The version CONNECT agreed on: the parser's header escaping follows it. */
  abstract useVersion(version: string): void;
  /** A delivery from a subscription's queue (hot path; connection.ts). */
  abstract deliver(sub: StompSubscription, entry: QueuedMessage, queue: Queue): void;

  /** The one channel RabbitMQ lists for a STOMP connection (GET /api/channels). */
  channelInfos(): ChannelInfo[] {
    return [
      {
        number: 1,
        consumerCount: this.subs.size,
        messagesUnacknowledged: this.unacked.size,
        prefetchCount: 0,
        globalPrefetchCount: 0,
        confirm: false,
        transactional: false,
        stats: this.channelStats,
      },
    ];
  }

  // ---- output and close ------------------------------------------------------------------------

  send(command: string, headers: StompHeaders, body: Buffer | null = null): void {
    if (this.closed) return;
    const esc = this.version !== '1.0';
    // RabbitMQ ends every frame with NUL + EOL
    this.output(encodeFrame(command, headers, body, esc, this.version === '1.2'));
    this.output(EOL);
  }

  /** Close after flushing what is queued (an ERROR, a RECEIPT for DISCONNECT). */
  close(): void {
    this.closeSocket();
  }

  forceClose(reason: string): void {
    if (this.open) this.sendError('connection_forced', reason);
    this.close();
  }

  /** The logged-in user (AuthService: expiry, update-secret). */
  get userObj(): User | null {
    return this.access?.user ?? null;
  }

  /** The OAuth 2 token expired: an ERROR frame, then the connection closes. */
  credentialExpired(): void {
    this.server.log.warn({ user: this.user }, 'STOMP connection closing: credential expired');
    this.sendError('Credential expired', 'The credential (OAuth 2 token) expired\n');
    this.close();
  }

  /** RabbitMQ 3.10's ERROR (rabbit_stomp_processor send_error): never a receipt-id, even for a frame
   *  that asked for a receipt. */
  sendError(message: string, detail: string): void {
    const h: StompHeaders = [
      ['message', message],
      ['content-type', 'text/plain'],
      ['version', VERSIONS.join(',')],
    ];
    const body = Buffer.from(detail);
    h.push(['content-length', String(body.length)]);
    this.send('ERROR', h, body);
  }

  /** RECEIPT for a frame that asked for one. */
  receipt(f: StompFrame): void {
    const r = f.get('receipt');
    if (r !== undefined) this.send('RECEIPT', [['receipt-id', r]]);
  }

  /** The message store's last ticket (0 without a file store): taken before routing, for sendReceipt. */
  get appended(): number {
    return this.server.broker.store?.appended ?? 0;
  }

  /**
   * RECEIPT for a SEND, or a COMMIT, that routed its messages (`before`: `appended` before routing): once
   * the persistent messages it put on durable queues are fsynced, after earlier SEND receipts. `after`:
   * `appended` once it routed them (a COMMIT sends its SENDs' receipts after routing them all).
   */
  sendReceipt(f: StompFrame, before: number, after = this.appended): void {
    const r = f.get('receipt');
    if (r === undefined) return;
    this.receipts.send(r, after !== before ? after : 0);
  }

  // ---- queues ----------------------------------------------------------------------------------

  /**
   * /queue/<name>, as RabbitMQ's STOMP adapter declares it (rabbit_stomp_util build_params,
   * rabbit_routing_util queue_declare_method): durable unless the durable (or persistent) header says false,
   * and then exclusive and auto-delete unless those headers say otherwise: a SEND with persistent:false
   * declares an exclusive queue. Once per connection (ensure_endpoint keeps the names it declared): later
   * frames' headers are not checked against the queue again. Null: declared before and gone since.
   */
  declareQueue(name: string, f: StompFrame): Queue | null {
    const v = this.v!;
    if (this.declared.has(name)) return v.queues.get(name) ?? null;
    if (!v.queues.has(name)) this.access!.check('queue', name, 'configure');
    const durable = (f.get('durable') ?? f.get('persistent')) !== 'false';
    const flag = (h: string) => (f.get(h) === undefined ? !durable : f.get(h) === 'true');
    const q = v.declareQueue(
      name,
      { durable, exclusive: flag('exclusive'), autoDelete: flag('auto-delete'), args: queueArgs(f) },
      this,
    );
    this.declared.add(name);
    return q;
  }

  /** reply-to:/temp-queue/x creates (once) the session's queue for x and subscribes to it. */
  replyTo(value: string): string {
    if (!value.startsWith('/temp-queue/')) return value;
    return this.tempQueue(value.slice('/temp-queue/'.length));
  }

  tempQueue(name: string): string {
    const existing = this.tempQueues.get(name);
    if (existing !== undefined) return existing;
    const v = this.v!;
    const qn = VHost.generateQueueName();
    this.access!.check('queue', qn, 'configure');
    const q = v.declareQueue(qn, { durable: false, exclusive: true, autoDelete: true, args: {} }, this, true);
    this.tempQueues.set(name, qn);
    const id = '/temp-queue/' + name;
    const sub = new StompSubscription(`stomp-${id}`, this, id, id, q, 'auto', 0, false);
    this.subs.set(sub.key, sub);
    q.addConsumer(sub);
    return qn;
  }

  subscriptionCancelled(sub: StompSubscription): void {
    if (this.subs.get(sub.key) !== sub) return;
    this.subs.delete(sub.key);
  }
}

/** x-* headers of a SUBSCRIBE/SEND as queue arguments (RabbitMQ's stomp queue properties). */
export function queueArgs(f: StompFrame): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [k, v] of f.headers) {
    if (INT_ARGS.has(k) && /^-?\d+$/.test(v)) args[k] = Number(v);
    else if (STR_ARGS.has(k)) args[k] = k === 'x-single-active-consumer' ? v === 'true' : v;
  }
  return args;
}
