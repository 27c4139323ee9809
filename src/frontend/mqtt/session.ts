// An MQTT session's state on its connection (3.1, 3.1.1 and 5.0), with RabbitMQ's MQTT plugin semantics:
// publishes go to amq.topic (topic `/` → `.`), each client's subscriptions live in the queues
// mqtt-subscription-<client id>qos0 (transient, auto-delete, no-ack) and …qos1 (durable, auto-delete only
// for clean sessions, acked), so AMQP clients see them and can bind to them; QoS 2 subscriptions (which
// RabbitMQ downgrades to QoS 1) get a third queue, …qos2, declared as the QoS 1 one. This class holds what the
// packet handlers (handlers/*.ts) share: who the client is, its subscriptions, consumers and QoS 1
// in-flight window, and the operations several handlers use (send, refuse, close, route a publish, declare
// a subscription queue). The socket is StreamConnection's; the state machine is connection.ts.
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { newChannelStats, type ChannelInfo, type ClientConnection } from '../../core/broker.js';
import type { AccessCache, TopicVariables } from '../../core/auth/permissions.js';
import type { User } from '../../core/auth/users.js';
import { argsKey } from '../../core/binding.js';
import { BrokerError } from '../../core/errors.js';
import { Message, type QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import type { VHost } from '../../core/vhost.js';
import { roughNow } from '../../util/rough-clock.js';
import { StreamConnection } from '../net/stream-connection.js';
import { MqttConsumer, type MqttConsumerHost } from './consumer.js';
import type { MqttClient, MqttServerContext } from './context.js';
import { AckGate } from './ack-gate.js';
import { encodeMqttProps, mqttFormat, type Mqtt5Properties } from './format.js';
import { PREFETCH, SUBSCRIPTION_TTL } from './limits.js';
import { Qos2State } from './qos2-store.js';
import { RC5 } from './reason-codes.js';
import { leaveShared } from './shared.js';
import { onlyNoLocal, Subscriptions, type Subscription } from './subscriptions.js';
import type { OutboundTopicAliases } from './topic-aliases.js';
import { subscriptionQueueName, topicToRoutingKey } from './topics.js';

type Packet = mqttPacket.Packet;

/** A PUBLISH sent at QoS 1 not yet PUBACKed, or at QoS 2 not yet PUBRECed (a retained one has no queue entry). */
export class InFlight {
  constructor(
    readonly entry: QueuedMessage | null,
    readonly queue: Queue | null,
    readonly consumer: MqttConsumer | null,
    readonly at: number,
    readonly qos: 1 | 2,
  ) {}
}

// The fields are the handlers' to read and set (the MQTT front end's own; nothing outside it uses them).
export abstract class MqttSession
  extends StreamConnection<MqttServerContext>
  implements ClientConnection, MqttConsumerHost, MqttClient
{
  /**
   * RabbitMQ 3.10 shows an MQTT connection with one channel (the plugin's AMQP channel) carrying its
   * message_stats: publish, deliver(_no_ack), ack. Counted here, listed by channelInfos().
   */
  readonly channelStats = newChannelStats();
  protocol = 'MQTT';
  clientId = '';
  version: 3 | 4 | 5 = 4;
  v: VHost | null = null;
  /** Permission checks (core/auth/permissions.ts) at the points RabbitMQ's MQTT plugin makes them. */
  access: AccessCache | null = null;
  /** The login's answer (kept: a CONNECT replayed after an HTTP backend's answer does not ask again). */
  login: User | string | Promise<User | string> | null = null;
  topicVars: TopicVariables | null = null;
  keepalive = 0;
  /** MQTT 5 CONNECT User Properties (RabbitMQ shows them as client property `user_property`). */
  connectUserProps: Record<string, string | string[]> | null = null;
  will: mqttPacket.IConnectPacket['will'] | null = null;
  persistent = false;
  sessionExpiry = 0;
  /** The consumers of the QoS 0, 1 and 2 subscription queues. */
  readonly consumers: (MqttConsumer | null)[] = [null, null, null];
  /** The consumers of shared subscription queues (shared.ts), by queue name. */
  readonly sharedConsumers = new Map<string, MqttConsumer>();
  /**
   * QoS 1 PUBLISHes awaiting PUBACK and QoS 2 ones awaiting PUBREC, by packet id (insertion = send order,
   * which the timeout check uses).
   */
  readonly inFlight = new Map<number, InFlight>();
  /** QoS 2 ids both ways (qos2-store.ts); a persistent session's is the one kept in the server's store. */
  qos2 = new Qos2State();
  /** `qos2` is in the server's store (a persistent session): its changes are written. */
  qos2Stored = false;
  /** Outbound QoS 2 PUBRELed on this connection, awaiting PUBCOMP: the consumer whose window it holds. */
  readonly relConsumers = new Map<number, MqttConsumer>();
  /** PUBACK/PUBREC after the fsync of what they acknowledge. */
  readonly acks: AckGate;
  private nextPacketId = 1;
  receiveMaximum = 65535;
  /** MQTT 5 Maximum Packet Size of the client (§3.1.2.11.4: larger PUBLISHes are not sent). */
  maxPacketSize = 0;
  /** Client → server topic aliases (§3.3.2.3.4). */
  readonly aliases = new Map<number, string>();
  /** Server → client topic aliases; null when the client's Topic Alias Maximum (or Warren's) is 0. */
  outAliases: OutboundTopicAliases | null = null;
  /** This session's subscriptions and their MQTT 5 options (also kept in the bindings' arguments). */
  readonly subs = new Subscriptions();

  /** The logged-in user (AuthService: expiry, update-secret). */
  get userObj(): User | null {
    return this.access?.user ?? null;
  }

  /** The OAuth 2 token expired (rabbit_mqtt_reader credential_expired: DISCONNECT 0xA0, then close). */
  credentialExpired(): void {
    this.server.log.warn({ client: this.clientId }, 'MQTT connection closing: credential expired');
    this.disconnect(RC5.MAXIMUM_CONNECT_TIME, true);
  }

  /** RabbitMQ lists an MQTT connection's client id (and MQTT 5 CONNECT user properties) as client properties. */
  get clientProperties(): Record<string, unknown> {
    return this.connectUserProps === null
      ? { client_id: this.clientId }
      : { client_id: this.clientId, user_property: this.connectUserProps };
  }

  get heartbeat(): number {
    return this.keepalive;
  }

  /** The one channel RabbitMQ lists for an MQTT connection (GET /api/channels). */
  channelInfos(): ChannelInfo[] {
    let consumers = 0;
    for (const c of this.consumers) if (c !== null) consumers++;
    consumers += this.sharedConsumers.size;
    return [
      {
        number: 1,
        consumerCount: consumers,
        messagesUnacknowledged: this.inFlight.size,
        prefetchCount: 0,
        globalPrefetchCount: 0,
        confirm: false,
        transactional: false,
        stats: this.channelStats,
      },
    ];
  }

  constructor(server: MqttServerContext, socket: Duplex, remoteAddress: string, transport: string) {
    super(server, socket, remoteAddress, transport);
    this.acks = new AckGate(this, server.broker.store, server.qos2);
  }

  /** Closing or closed (the ack gate drops what waits). */
  get ended(): boolean {
    return this.closed;
  }

  /** QoS 2 exactly once (the default), or RabbitMQ's downgrade to QoS 1. */
  get exactlyOnce(): boolean {
    return this.server.options.mqttQos2 === 'exactly-once';
  }

  /** The QoS 2 state changed: the generation a PUBREC must wait for (0 unless it is stored). */
  qos2Changed(): number {
    return this.qos2Stored ? this.server.qos2.changed() : 0;
  }

  /** A delivery from a subscription queue (hot path; connection.ts). */
  abstract deliver(c: MqttConsumer, entry: QueuedMessage, queue: Queue): void;

  // ---- output and close ------------------------------------------------------------------------

  send(p: Packet): void {
    if (this.closed) return;
    this.output(mqttPacket.generate(p, { protocolVersion: this.version }));
  }

  /** Close after flushing what is queued (a CONNACK refusal, a DISCONNECT). */
  end(): void {
    this.closeSocket();
  }

  /** Close from the server: MQTT 5 clients hear why (DISCONNECT reason code), 3.1.1 ones see the socket close. */
  disconnect(reason: number, publishWill: boolean): void {
    if (this.closed) return;
    if (this.version === 5 && this.open) this.send({ cmd: 'disconnect', reasonCode: reason });
    if (!publishWill) this.will = null;
    this.end();
  }

  forceClose(_reason: string): void {
    this.disconnect(RC5.SERVER_SHUTTING_DOWN, false);
  }

  /** CONNACK with a refusal (3.1.1 return code or MQTT 5 reason code), then close without the will. */
  refuse(rc3: number, rc5: number): void {
    this.send(
      this.version === 5
        ? { cmd: 'connack', reasonCode: rc5, sessionPresent: false }
        : { cmd: 'connack', returnCode: rc3, sessionPresent: false },
    );
    this.will = null;
    this.end();
  }

  allocatePacketId(): number {
    for (;;) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 65535 ? 1 : id + 1;
      if (!this.inFlight.has(id) && !this.qos2.released.has(id)) return id;
    }
  }

  // ---- publish ---------------------------------------------------------------------------------

  /**
   * Route one publish (a client's or its will) into amq.topic; returns how many queues it reached, or -1 when
   * one refused it (x-overflow reject-publish).
   */
  publish(
    topic: string,
    qos: number,
    dup: boolean,
    payload: Buffer,
    v5: Mqtt5Properties | null,
    retain: boolean,
  ): number {
    const v = this.v!;
    const exName = this.server.options.mqttExchange;
    const x = v.exchanges.get(exName);
    if (x === undefined) throw new BrokerError('NOT_FOUND', `no exchange '${exName}' in vhost '${v.name}'`);
    const routingKey = topicToRoutingKey(topic);
    // write on the exchange, and the topic permission (with {client_id}) as rabbit_mqtt_processor checks
    const access = this.access!;
    access.checkPublish(exName);
    if (x.type === 'topic') access.checkTopic(exName, routingKey, 'write', this.topicVars!);
    const props = encodeMqttProps(qos, dup, v5, retain);
    const now = roughNow();
    if (retain) {
      this.server.retained.put(this.vhost, { topic, payload, qos, props, storedAt: Date.now() });
    }
    const expiry = v5?.messageExpiryInterval;
    const msg = new Message(
      mqttFormat,
      exName,
      routingKey,
      props,
      payload,
      qos !== 0,
      0,
      expiry !== undefined ? String(expiry * 1000) : null,
      now,
      this.id,
    );
    const st = this.channelStats;
    st.publish++;
    v.stats.publish++;
    x.stats.publishIn++;
    const queues = v.route(x, msg);
    if (this.subs.noLocal > 0) this.dropLocal(queues, routingKey);
    const n = queues.length;
    x.stats.publishOut += n;
    if (n === 0 && !v.duplicate) {
      st.dropUnroutable++;
      v.stats.dropUnroutable++;
      this.server.broker.stats.dropUnroutable++;
    }
    let refused = false;
    for (let i = 0; i < n; i++) {
      const q = queues[i]!;
      if (!q.enqueue(msg)) refused = true;
      if (q.overloaded) this.flowBlock(q);
    }
    return refused ? -1 : n;
  }

  /** No Local: this connection's own queues that the message reached only through No Local subscriptions. */
  private dropLocal(queues: Queue[], routingKey: string): void {
    const exName = this.server.options.mqttExchange;
    const own0 = subscriptionQueueName(this.clientId, 0);
    const own1 = subscriptionQueueName(this.clientId, 1);
    const own2 = subscriptionQueueName(this.clientId, 2);
    let w = 0;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      if ((q.name === own0 || q.name === own1 || q.name === own2) && onlyNoLocal(q.bindings, exName, routingKey))
        continue;
      queues[w++] = q;
    }
    while (queues.length > w) queues.pop();
  }

  // ---- subscription queues and their consumers -------------------------------------------------

  /** The subscription queue of `qos`, declared as RabbitMQ 3.10 declares it. */
  ensureQueue(qos: 0 | 1 | 2): Queue {
    const v = this.v!;
    const name = subscriptionQueueName(this.clientId, qos);
    const existing = v.queues.get(name);
    if (existing) return existing;
    this.access!.check('queue', name, 'configure');
    if (qos === 0) {
      return v.declareQueue(name, { durable: false, exclusive: false, autoDelete: true, args: {} }, null);
    }
    // durable; auto-delete for a clean session (rabbitmq-mqtt#37); a persistent one expires after
    // subscription_ttl (3.1.1) or the MQTT 5 session expiry interval
    const ttl = this.version === 5 ? this.sessionExpiry * 1000 : SUBSCRIPTION_TTL;
    return v.declareQueue(
      name,
      {
        durable: true,
        exclusive: false,
        autoDelete: !this.persistent,
        args: this.persistent ? { 'x-expires': ttl } : {},
        argTypes: this.persistent ? { 'x-expires': 'long' } : {},
      },
      null,
    );
  }

  ensureConsumer(qos: 0 | 1 | 2): void {
    if (this.consumers[qos] !== null) return;
    const q = this.ensureQueue(qos);
    const c = new MqttConsumer(
      `mqtt-${this.clientId}-qos${qos}`,
      this,
      q,
      qos,
      Math.min(PREFETCH, this.receiveMaximum),
    );
    this.consumers[qos] = c;
    // a resumed session's QoS 2 deliveries that were never PUBRECed go first, with their packet ids
    // ([MQTT-4.4.0-1]), in this consumer's window
    if (qos === 2 && this.qos2.parked.length !== 0) this.resendParked(c, q);
    q.addConsumer(c);
  }

  private resendParked(c: MqttConsumer, q: Queue): void {
    const parked = this.qos2.parked;
    this.qos2.parked = [];
    for (const p of parked) {
      if (p.queue !== q) continue; // the queue went (expired, deleted) while the client was away
      this.resend(c, p.entry, q, p.id);
    }
  }

  /** Re-send a QoS 2 delivery with its packet id and DUP (deliveries.ts). */
  protected abstract resend(c: MqttConsumer, entry: QueuedMessage, queue: Queue, id: number): void;

  abstract whenWritable(fn: () => void): void; // (run once the output has room again: connection.ts)
  /** A QoS 1 or 2 delivery of `c` is settled (PUBACK, PUBCOMP): its window has room again. */
  reopenWindow(c: MqttConsumer): void {
    c.unacked--;
    if (c.starved) {
      c.starved = false;
      c.queue.dispatch();
    }
  }

  /** This session's consumer of a shared subscription queue, at the QoS of its subscription. */
  ensureSharedConsumer(q: Queue, qos: 0 | 1 | 2): void {
    const old = this.sharedConsumers.get(q.name);
    if (old !== undefined) {
      if (old.qos === qos) return;
      q.removeConsumer(old);
    }
    const c = new MqttConsumer(
      `mqtt-${this.clientId}-${q.name}`,
      this,
      q,
      qos,
      Math.min(PREFETCH, this.receiveMaximum),
    );
    this.sharedConsumers.set(q.name, c);
    if (qos === 2 && this.qos2.parked.length !== 0) this.resendParked(c, q);
    q.addConsumer(c);
  }

  /** UNSUBSCRIBE of a shared subscription: the consumer and the membership go (the queue with its last member). */
  leaveSharedSubscription(sub: Subscription): void {
    const v = this.v!;
    const q = v.queues.get(sub.shared!);
    const c = this.sharedConsumers.get(sub.shared!);
    if (c !== undefined) {
      this.sharedConsumers.delete(sub.shared!);
      c.queue.removeConsumer(c);
    }
    if (q !== undefined) leaveShared(v, q, sub, this.server.options.mqttExchange);
  }

  consumerCancelled(c: MqttConsumer): void {
    if (this.sharedConsumers.get(c.queue.name) === c) this.sharedConsumers.delete(c.queue.name);
    if (this.consumers[c.qos] === c) this.consumers[c.qos] = null;
  }

  /** Removes `old`'s binding unless `now` is the very same binding. */
  unbind(old: Subscription, now: Subscription | null): void {
    const v = this.v!;
    const q = v.queues.get(old.shared ?? subscriptionQueueName(this.clientId, old.opts.qos));
    if (q === undefined) return;
    if (now !== null && now.opts.qos === old.opts.qos && now.key === old.key && argsEqual(now.args, old.args)) return;
    v.unbindQueue(q.name, this.server.options.mqttExchange, old.key, old.args, null);
  }
}

export function argsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return argsKey(a) === argsKey(b);
}
