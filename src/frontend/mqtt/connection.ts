// One MQTT connection's state machine: bytes → mqtt-packet's parser → one handler per packet type
// (handlers/*.ts), CONNECT first and only once; the catch boundary; deliveries from the subscription
// queues; keep-alive and consumer timeouts; what goes when the connection ends. The session state and
// shared operations are MqttSession's (session.ts), the socket is StreamConnection's (net/).
//
// Errors: a malformed packet or protocol violation closes this connection only (MQTT 5: DISCONNECT with
// the reason code first); other connections are never touched.
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { AuthzPending } from '../../core/auth/authz.js';
import { BrokerError } from '../../core/errors.js';
import { AuthHold } from '../net/auth-hold.js';
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import type { MqttConsumer } from './consumer.js';
import type { MqttServerContext } from './context.js';
import { writeDelivery } from './deliveries.js';
import { handleAuth } from './handlers/auth.js';
import { handleConnect } from './handlers/connect.js';
import { handleDisconnect } from './handlers/disconnect.js';
import { handlePingreq } from './handlers/pingreq.js';
import { handlePuback } from './handlers/puback.js';
import { handlePubcomp } from './handlers/pubcomp.js';
import { handlePublish } from './handlers/publish.js';
import { handlePubrec } from './handlers/pubrec.js';
import { handlePubrel } from './handlers/pubrel.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleUnsubscribe } from './handlers/unsubscribe.js';
import { MAX_PACKET_UNAUTHENTICATED } from './limits.js';
import { badProperties } from './properties-check.js';
import { ProtocolError, RC3, RC5 } from './reason-codes.js';
import { MAX_SESSION_EXPIRY, SUBSCRIPTION_TTL } from './limits.js';
import { MqttSession } from './session.js';
import { leaveShared } from './shared.js';
import { subscriptionQueueName } from './topics.js';
import { roughNow } from '../../util/rough-clock.js';
import { publishWill } from './will.js';

type Packet = mqttPacket.Packet;

export class MqttConnection extends MqttSession {
  private readonly parser = mqttPacket.parser();
  /** Packets held while an auth backend answers (HTTP): the waiting one is handled again, then these. */
  private readonly hold: AuthHold<Packet>;
  /** handshake_timeout counts from the accept, not the last byte: a CONNECT sent a byte at a time expires too. */
  private readonly acceptedAt = roughNow();
  /** Bytes read before the first packet (the CONNECT) parsed, bounded by MAX_PACKET_UNAUTHENTICATED; -1 after. */
  private preConnectBytes = 0;

  constructor(server: MqttServerContext, socket: Duplex, remoteAddress: string, transport: string) {
    super(server, socket, remoteAddress, transport);
    this.hold = new AuthHold<Packet>(
      (p) => this.onPacket(p),
      (on) => this.gate.authWait(!on),
    );
    this.parser.on('packet', (p: Packet) => {
      this.preConnectBytes = -1;
      this.onPacket(p);
    });
    this.parser.on('error', (e: Error) => this.onParseError(e));
  }

  protected onChunk(chunk: Buffer): void {
    try {
      this.parser.parse(chunk);
    } catch (e) {
      this.onError(e);
    }
    if (this.preConnectBytes >= 0 && (this.preConnectBytes += chunk.length) > MAX_PACKET_UNAUTHENTICATED) {
      // a CONNECT announced larger than RabbitMQ allows before authentication is not buffered up to 256 MB
      this.server.log.debug({ remote: this.remoteAddress }, 'MQTT CONNECT larger than max_packet_size_unauthenticated');
      this.end();
    }
  }

  private onPacket(p: Packet): void {
    if (this.closed || this.hold.queue(p)) return;
    try {
      const bad = this.version === 5 || p.cmd === 'connect' ? badProperties(p) : 0;
      if (bad !== 0) throw new ProtocolError(bad, 'malformed properties');
      if (!this.open) {
        if (p.cmd !== 'connect') throw new ProtocolError(RC5.PROTOCOL_ERROR, `expected CONNECT, got ${p.cmd}`);
        return handleConnect(this, p);
      }
      switch (p.cmd) {
        case 'publish':
          return handlePublish(this, p);
        case 'puback':
          return handlePuback(this, p);
        case 'subscribe':
          // §3.8.3-2, §3.10.3-2: at least one topic filter (found by the fuzzer: an empty SUBACK threw in mqtt-packet)
          if (p.subscriptions.length === 0)
            throw new ProtocolError(RC5.PROTOCOL_ERROR, 'SUBSCRIBE without topic filters');
          return handleSubscribe(this, p);
        case 'unsubscribe':
          if (p.unsubscriptions.length === 0)
            throw new ProtocolError(RC5.PROTOCOL_ERROR, 'UNSUBSCRIBE without topic filters');
          return handleUnsubscribe(this, p);
        case 'pingreq':
          return handlePingreq(this);
        case 'disconnect':
          return handleDisconnect(this, p);
        case 'auth':
          return handleAuth();
        case 'pubrec':
          return handlePubrec(this, p);
        case 'pubrel':
          return handlePubrel(this, p);
        case 'pubcomp':
          return handlePubcomp(this, p);
        case 'connect':
          // §3.1.0: a second CONNECT is a protocol violation
          throw new ProtocolError(RC5.PROTOCOL_ERROR, 'second CONNECT');
        default:
          throw new ProtocolError(RC5.PROTOCOL_ERROR, `unexpected ${p.cmd} from a client`);
      }
    } catch (e) {
      if (e instanceof AuthzPending) this.hold.wait(e, p);
      else this.onError(e);
    }
  }

  // ---- the catch boundary ----------------------------------------------------------------------

  private onParseError(e: Error): void {
    if (this.closed) return;
    if (!this.open && /protocol version/i.test(e.message)) {
      // §3.1.2.2: unacceptable protocol level → CONNACK 0x01 and close
      this.send({ cmd: 'connack', returnCode: RC3.BAD_VERSION, sessionPresent: false });
      return this.end();
    }
    this.server.log.debug({ err: e.message, client: this.clientId }, 'MQTT malformed packet');
    this.disconnect(RC5.MALFORMED, true);
  }

  private onError(e: unknown): void {
    if (e instanceof ProtocolError) {
      this.server.log.debug({ err: e.message, client: this.clientId }, 'MQTT protocol error');
      return this.disconnect(e.reason, true);
    }
    if (e instanceof BrokerError) {
      this.server.log.warn({ err: e.message, client: this.clientId }, 'MQTT operation refused');
      return this.disconnect(e.kind === 'ACCESS_REFUSED' ? RC5.NOT_AUTHORIZED : RC5.UNSPECIFIED, true);
    }
    this.server.log.error({ err: e, client: this.clientId }, 'MQTT connection error');
    this.disconnect(RC5.UNSPECIFIED, true);
  }

  // ---- deliveries ------------------------------------------------------------------------------

  // Hot path: a subscription queue hands over a message. This runs inside the *publisher's* call stack:
  // a failure here must end this connection only, never propagate to the publisher.
  deliver(c: MqttConsumer, entry: QueuedMessage, queue: Queue): void {
    try {
      writeDelivery(this, c, entry, queue);
    } catch (e) {
      this.server.log.error({ err: e, client: this.clientId }, 'MQTT delivery failed');
      this.open = false; // takes nothing more
      if (!c.noAck) queue.requeue([entry]);
      setImmediate(() => this.disconnect(RC5.UNSPECIFIED, true));
    }
  }

  protected resend(c: MqttConsumer, entry: QueuedMessage, queue: Queue, id: number): void {
    try {
      writeDelivery(this, c, entry, queue, id);
    } catch (e) {
      this.server.log.error({ err: e, client: this.clientId }, 'MQTT delivery failed');
      queue.requeue([entry]);
    }
  }

  /** Waiting for the output to drain (retained messages for a client that reads slowly: deliveries.ts). */
  private drainWaiters: (() => void)[] | null = null;

  whenWritable(fn: () => void): void {
    (this.drainWaiters ??= []).push(fn);
  }

  protected onDrain(): void {
    const w = this.drainWaiters;
    this.drainWaiters = null;
    if (w !== null) for (const fn of w) fn();
    for (const c of this.consumers) {
      if (c !== null && c.starved) {
        c.starved = false;
        c.queue.dispatch();
      }
    }
    for (const c of this.sharedConsumers.values()) {
      if (c.starved) {
        c.starved = false;
        c.queue.dispatch();
      }
    }
  }

  // ---- keep-alive, close -----------------------------------------------------------------------

  /** §3.1.2.10: no packet within 1.5 × keep-alive closes the connection (and publishes the will). */
  tick(now: number): void {
    if (this.closed) return;
    if (!this.open) {
      if (now - this.acceptedAt > this.server.options.handshakeTimeout) this.end();
      return;
    }
    // not while the broker stopped reading (flow control, an alarm): StreamConnection.silentFor
    if (this.keepalive > 0 && this.silentFor(now, this.keepalive * 1500)) {
      this.server.log.debug({ client: this.clientId }, 'MQTT keep-alive timeout');
      this.disconnect(RC5.KEEP_ALIVE_TIMEOUT, true);
      return;
    }
    // consumer_timeout: a QoS 1 delivery never PUBACKed closes the connection (RabbitMQ's MQTT plugin
    // runs on an AMQP channel, which closes with 406); the message goes back to its queue
    for (const f of this.inFlight.values()) {
      if (now - f.at <= this.server.options.consumerTimeout) break;
      this.server.log.warn({ client: this.clientId }, 'MQTT delivery acknowledgement timed out');
      this.disconnect(RC5.UNSPECIFIED, true);
      return;
    }
  }

  /**
   * Consumers leave their queues, in-flight QoS 1 messages go back (redelivered), a persistent session's
   * QoS 2 deliveries awaiting PUBREC are parked to be re-sent with their packet ids, the will is published.
   */
  protected release(): void {
    const back = new Map<Queue, QueuedMessage[]>();
    const st = this.qos2;
    // MQTT 5 session expiry 0 at disconnect: the session ends now
    const ended = this.version === 5 && this.v !== null && this.persistent && this.sessionExpiry === 0;
    for (const [id, f] of this.inFlight) {
      if (f.queue === null || f.entry === null) continue;
      if (f.qos === 2 && this.qos2Stored && !ended) {
        this.server.qos2.park(st, { id, entry: f.entry, queue: f.queue });
        continue;
      }
      let l = back.get(f.queue);
      if (!l) back.set(f.queue, (l = []));
      l.push(f.entry);
    }
    this.inFlight.clear();
    for (const [q, entries] of back) q.requeue(entries);
    this.relConsumers.clear();
    for (let i = 0; i < 3; i++) {
      const c = this.consumers[i];
      if (c) {
        this.consumers[i] = null;
        c.queue.removeConsumer(c);
      }
    }
    for (const c of this.sharedConsumers.values()) c.queue.removeConsumer(c);
    this.sharedConsumers.clear();
    // a clean session's shared subscriptions end with it (a persistent one's stay members while away)
    if (this.v !== null && (!this.persistent || ended) && this.subs.shared !== 0) {
      const v = this.v;
      for (const sub of this.subs.values()) {
        const q = sub.shared === null ? undefined : v.queues.get(sub.shared);
        if (q !== undefined) leaveShared(v, q, sub, this.server.options.mqttExchange);
      }
    }
    publishWill(this);
    if (ended) {
      for (const qos of [1, 2] as const) {
        const q = subscriptionQueueName(this.clientId, qos);
        if (this.v!.queues.has(q)) this.v!.deleteQueue(q, false, false, null);
      }
    }
    if (this.qos2Stored) {
      // the stored QoS 2 state lives as long as the session (its queues' x-expires); an empty one is
      // not kept (a resumed session starts from an empty one all the same)
      const key = this.server.sessionKey(this.vhost, this.clientId);
      if (ended || st.empty) this.server.qos2.delete(key);
      else {
        const ttl = this.version === 5 ? Math.min(this.sessionExpiry, MAX_SESSION_EXPIRY) * 1000 : SUBSCRIPTION_TTL;
        st.expiresAt = Date.now() + ttl;
        this.qos2Changed();
      }
    }
    if (this.v) this.server.broker.unregister(this);
    this.server.broker.auth.unwatch(this);
  }
}
