// One STOMP connection's state machine: bytes → the frame parser (frame.ts) → one handler per command
// (handlers/*.ts), CONNECT (or STOMP) first and only once, transactional frames held until COMMIT,
// RECEIPTs; the catch boundary; deliveries; handshake, heart-beat and consumer timeouts; what goes when the
// connection ends. The session state and shared operations are StompSession's (session.ts), the socket is
// StreamConnection's (net/).
//
// Errors are ERROR frames with RabbitMQ's `message` header and body; broker errors (missing queue,
// inequivalent declare) close the connection as RabbitMQ's channel closure does; header mistakes do not.
import type { Duplex } from 'node:stream';
import { AuthzPending } from '../../core/auth/authz.js';
import { AuthHold } from '../net/auth-hold.js';
import { BrokerError } from '../../core/errors.js';
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import type { FrontEndHost } from '../net/front-end-server.js';
import { writeDelivery } from './deliveries.js';
import { FrameParser, StompError, StompFrame } from './frame.js';
import { ackTarget, settle } from './handlers/ack.js';
import { handleConnect } from './handlers/connect.js';
import { handleDisconnect } from './handlers/disconnect.js';
import { handleSend } from './handlers/send.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleAbort, handleBegin, handleCommit, holdInTransaction } from './handlers/transaction.js';
import { handleUnsubscribe } from './handlers/unsubscribe.js';
import { StompSession } from './session.js';
import type { StompSubscription } from './subscription.js';

export class StompConnection extends StompSession {
  private readonly parser: FrameParser;
  /** Frames held while an auth backend answers (HTTP): the waiting one is handled again, then these. */
  private readonly hold: AuthHold<StompFrame>;

  constructor(server: FrontEndHost, socket: Duplex, remoteAddress: string, transport: string) {
    super(server, socket, remoteAddress, transport);
    this.hold = new AuthHold<StompFrame>(
      (f) => this.onFrame(f),
      (on) => this.gate.authWait(!on),
    );
    this.parser = new FrameParser(
      (f) => this.onFrame(f),
      () => {},
    );
    // as AMQP's handshake_timeout: a socket that never sends CONNECT does not stay open
    this.handshakeDeadline(server.options.handshakeTimeout, () => {
      if (!this.open && !this.closed) this.close();
    });
  }

  protected onChunk(chunk: Buffer): void {
    try {
      this.parser.push(chunk);
    } catch (e) {
      this.onError(e, null);
    }
  }

  useVersion(version: string): void {
    this.version = version;
    this.parser.escaping = version !== '1.0';
    this.parser.v12 = version === '1.2';
  }

  private onFrame(f: StompFrame): void {
    if (this.closed || this.hold.queue(f)) return;
    try {
      if (!this.open) {
        if (f.command !== 'CONNECT' && f.command !== 'STOMP') {
          throw new StompError('Illegal command', 'You must log in using CONNECT first', true);
        }
        return handleConnect(this, f);
      }
      const tx = f.get('transaction');
      if (tx !== undefined && (f.command === 'SEND' || f.command === 'ACK' || f.command === 'NACK')) {
        holdInTransaction(this, f, tx);
        // a held SEND's RECEIPT comes once COMMIT routed it and it is stored (handleCommit), as RabbitMQ's
        if (f.command !== 'SEND') this.receipt(f);
        return;
      }
      switch (f.command) {
        case 'SEND': {
          const before = this.appended;
          if (handleSend(this, f)) this.sendReceipt(f, before);
          return;
        }
        case 'SUBSCRIBE':
          // sends its own RECEIPT, before the first MESSAGE
          return handleSubscribe(this, f);
        case 'UNSUBSCRIBE':
          handleUnsubscribe(this, f);
          break;
        case 'ACK':
        case 'NACK': {
          // RabbitMQ casts the ack to its channel: the RECEIPT goes first, before a NACK's redelivery, and
          // an unknown delivery tag closes the channel after it
          const t = ackTarget(this, f);
          this.receipt(f);
          const late = settle(this, f, t, f.command === 'ACK');
          if (late !== null) throw late;
          return;
        }
        case 'BEGIN':
          handleBegin(this, f);
          break;
        case 'COMMIT':
          // sends its own RECEIPT, before the MESSAGEs and RECEIPTs of its SENDs
          return handleCommit(this, f);
        case 'ABORT':
          handleAbort(this, f);
          break;
        case 'DISCONNECT':
          return handleDisconnect(this, f);
        case 'CONNECT':
        case 'STOMP':
          // RabbitMQ 3.10 closes the connection without an ERROR
          this.close();
          return;
        default:
          throw new StompError('Bad command', `Could not interpret command "${f.command}"\n`, false);
      }
      this.receipt(f);
    } catch (e) {
      if (e instanceof AuthzPending) this.hold.wait(e, f);
      else this.onError(e, f);
    }
  }

  // ---- the catch boundary ----------------------------------------------------------------------

  // RabbitMQ 3.10's ERROR frames carry no receipt-id. A SUBSCRIBE that ends the connection (a duplicate id,
  // or a channel error: missing queue, inequivalent or locked queue, refused access) still gets its RECEIPT,
  // after the ERROR: RabbitMQ stops with {stop, normal, State}, which runs ensure_receipt. Other failed
  // frames get none.
  private onError(e: unknown, f: StompFrame | null): void {
    const receiptAfter = f?.command === 'SUBSCRIBE';
    if (e instanceof StompError) {
      this.sendError(e.summary, e.detail);
      if (e.fatal) {
        if (receiptAfter) this.receipt(f);
        this.close();
      }
      return;
    }
    if (e instanceof BrokerError) {
      // as RabbitMQ reports a channel closure: "not_found" / "NOT_FOUND - no queue 'x' in vhost '/'"
      this.sendError(e.kind.toLowerCase(), `${e.kind} - ${e.message}`);
      if (receiptAfter) this.receipt(f);
      this.close();
      return;
    }
    this.server.log.error({ err: e }, 'STOMP connection error');
    this.sendError('internal_error', 'Internal error');
    this.close();
  }

  // ---- deliveries ------------------------------------------------------------------------------

  // Hot path: a subscription's queue hands over a message, inside the publisher's call stack: a failure
  // ends this connection only.
  deliver(sub: StompSubscription, entry: QueuedMessage, queue: Queue): void {
    try {
      writeDelivery(this, sub, entry, queue);
    } catch (e) {
      this.server.log.error({ err: e }, 'STOMP delivery failed');
      this.open = false; // takes nothing more
      if (!sub.noAck) queue.requeue([entry]);
      setImmediate(() => this.close());
    }
  }

  protected onDrain(): void {
    for (const s of this.subs.values()) {
      if (s.starved) {
        s.starved = false;
        s.queue.dispatch();
      }
    }
  }

  // ---- timeouts and close ----------------------------------------------------------------------

  /** RabbitMQ (rabbit_heartbeat) closes a connection silent for about twice the agreed period. */
  protected override onHeartbeatMissed(): void {
    this.server.log.debug({ user: this.user }, 'STOMP heart-beat missed');
    this.close();
  }

  /**
   * consumer_timeout (1 s ticker): RabbitMQ's STOMP plugin runs on an AMQP channel, which closes when a
   * delivery stays unacknowledged too long; the client gets the channel's 406 as an ERROR frame.
   */
  tick(now: number): void {
    if (!this.open) return;
    const timeout = this.server.options.consumerTimeout;
    for (const u of this.unacked.values()) {
      if (now - u.at <= timeout) return;
      this.sendError(
        'precondition_failed',
        `PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: ${timeout} ms. ` +
          `This timeout value can be configured, see consumers doc guide to learn more`,
      );
      this.close();
      return;
    }
  }

  /** Subscriptions leave their queues, unacked messages go back, exclusive queues are deleted. */
  protected release(): void {
    const subs = [...this.subs.values()];
    this.subs.clear();
    for (const s of subs) s.queue.removeConsumer(s);
    const back = new Map<Queue, QueuedMessage[]>();
    for (const u of this.unacked.values()) {
      let l = back.get(u.queue);
      if (!l) back.set(u.queue, (l = []));
      l.push(u.entry);
    }
    this.unacked.clear();
    for (const [q, entries] of back) q.requeue(entries);
    // exclusive queues (temp queues, exclusive /queue declares) go with their connection
    if (this.v) {
      for (const q of [...this.v.queues.values()]) if (q.exclusiveOwner === this) this.v.deleteQueueObject(q);
      this.server.broker.unregister(this);
    }
    this.server.broker.auth.unwatch(this);
  }
}
