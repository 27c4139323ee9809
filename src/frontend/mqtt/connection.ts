// One MQTT connection (3.1, 3.1.1 and 5.0) on the protocol-neutral core, with RabbitMQ's MQTT plugin
// semantics: publishes go to amq.topic (topic `/` → `.`), each client's subscriptions live in the queues
// mqtt-subscription-<client id>qos0 (transient, auto-delete, no-ack) and …qos1 (durable, auto-delete only
// for clean sessions, acked), so AMQP clients see them and can bind to them. Framing is mqtt-packet's.
//
// Errors: a malformed packet or protocol violation closes this connection only (MQTT 5: DISCONNECT with
// the reason code first); other connections are never touched.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { newChannelStats, type ChannelInfo, type ClientConnection } from '../../core/broker.js';
import { AccessCache, type TopicVariables } from '../../core/auth/permissions.js';
import { argsKey } from '../../core/binding.js';
import { BrokerError } from '../../core/errors.js';
import { Message, type QueuedMessage } from '../../core/message.js';
import type { FlowControlled } from '../../core/queue/consumer.js';
import type { Queue } from '../../core/queue/queue.js';
import type { VHost } from '../../core/vhost.js';
import { roughNow } from '../../util/rough-clock.js';
import { ReadGate } from '../net/read-gate.js';
import { MqttConsumer } from './consumer.js';
import {
  encodeMqttProps,
  mqttFormat,
  propsQos,
  propsRetain,
  propsV5,
  QOS_UNSPECIFIED,
  type Mqtt5Properties,
} from './format.js';
import type { RetainedMessage } from './retained.js';
import type { MqttServer } from './server.js';
import {
  bindingArgs,
  onlyNoLocal,
  optionsFromBinding,
  sameOptions,
  Subscription,
  Subscriptions,
  type SubscriptionOptions,
} from './subscriptions.js';
import { badProperties } from './properties-check.js';
import { OutboundTopicAliases } from './topic-aliases.js';
import {
  bindingKeyToFilter,
  filterToBindingKey,
  routingKeyToTopic,
  subscriptionQueueName,
  topicMatches,
  topicToRoutingKey,
  validTopicFilter,
  validTopicName,
} from './topics.js';

type Packet = mqttPacket.Packet;
type QoS = mqttPacket.QoS;

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
const RC3 = { ACCEPTED: 0, BAD_VERSION: 1, ID_REJECTED: 2, UNAVAILABLE: 3, BAD_CREDENTIALS: 4, NOT_AUTHORIZED: 5 };
/** MQTT 5 reason codes (§2.4) used here. */
export const RC5 = {
  SUCCESS: 0x00,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  DISCONNECT_WITH_WILL: 0x04,
  UNSPECIFIED: 0x80,
  MALFORMED: 0x81,
  PROTOCOL_ERROR: 0x82,
  UNSUPPORTED_VERSION: 0x84,
  CLIENT_ID_INVALID: 0x85,
  BAD_CREDENTIALS: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  QOS_NOT_SUPPORTED: 0x9b,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
} as const;

/** RabbitMQ mqtt.prefetch default: QoS 1 messages in flight per subscription queue. */
const PREFETCH = 10;
/**
 * CONNACK Maximum Packet Size: RabbitMQ 3.13's mqtt.max_packet_size_authenticated default, the largest
 * packet MQTT can frame (268,435,455 bytes).
 */
const MAX_PACKET_SIZE = 268435455;
/**
 * RabbitMQ's mqtt.max_packet_size_unauthenticated (65,536): the largest packet read before CONNECT succeeds,
 * so an unauthenticated client cannot make the parser buffer a 256 MB packet.
 */
const MAX_PACKET_UNAUTHENTICATED = 65536;
/** §3.8.2.1.2: a Subscription Identifier is a Variable Byte Integer from 1 to 268,435,455. */
const MAX_SUBSCRIPTION_ID = 268435455;
/** MQTT 3.1.1 subscription_ttl default in RabbitMQ 3.10 (x-expires of persistent sessions' queues), ms. */
const SUBSCRIPTION_TTL = 86400000;
/** RabbitMQ 3.13 max_session_expiry_interval_seconds default (one day). */
const MAX_SESSION_EXPIRY = 86400;
const OUTPUT_HIGH_WATER = 1024 * 1024;

class InFlight {
  constructor(
    readonly entry: QueuedMessage | null,
    readonly queue: Queue | null,
    readonly consumer: MqttConsumer | null,
    readonly at: number,
  ) {}
}

class ProtocolError extends Error {
  constructor(
    readonly reason: number,
    message: string,
  ) {
    super(message);
  }
}

export class MqttConnection implements ClientConnection, FlowControlled {
  readonly id: number;
  /** For management listings (ClientConnection). */
  readonly connectedAt = Date.now();
  /** Socket octets and reads/writes (management's recv_oct/send_oct and their sampled rates). */
  readonly stats = { recvOct: 0, sendOct: 0, recvCnt: 0, sendCnt: 0 };
  /**
   * RabbitMQ 3.10 shows an MQTT connection with one channel (the plugin's AMQP channel) carrying its
   * message_stats: publish, deliver(_no_ack), ack. Counted here, listed by channelInfos().
   */
  readonly channelStats = newChannelStats();
  readonly remotePort: number | undefined;
  readonly localPort: number | undefined;
  readonly localAddress: string | undefined;
  readonly tls: boolean;
  protocol = 'MQTT';
  user = '';
  vhost = '';
  clientId = '';
  open = false;
  private version: 3 | 4 | 5 = 4;
  private v: VHost | null = null;
  /** Permission checks (core/auth/permissions.ts) at the points RabbitMQ's MQTT plugin makes them. */
  private access: AccessCache | null = null;
  private topicVars: TopicVariables | null = null;
  private readonly parser = mqttPacket.parser();
  private closed = false;
  private lastSeen = roughNow();
  /** handshake_timeout counts from the accept, not the last byte: a CONNECT sent a byte at a time expires too. */
  private readonly acceptedAt = roughNow();
  /** Bytes read before the first packet (the CONNECT) parsed: bounded by MAX_PACKET_UNAUTHENTICATED. */
  private preConnectBytes = 0;
  private keepalive = 0;
  /** MQTT 5 CONNECT User Properties (RabbitMQ shows them as client property `user_property`). */
  private connectUserProps: Record<string, string | string[]> | null = null;
  /** RabbitMQ lists an MQTT connection's client id (and MQTT 5 CONNECT user properties) as client properties. */
  get clientProperties(): Record<string, unknown> {
    return this.connectUserProps === null
      ? { client_id: this.clientId }
      : { client_id: this.clientId, user_property: this.connectUserProps };
  }
  get heartbeat(): number {
    return this.keepalive;
  }
  private will: mqttPacket.IConnectPacket['will'] | null = null;
  private persistent = false;
  private sessionExpiry = 0;
  private readonly consumers: (MqttConsumer | null)[] = [null, null];
  private readonly inFlight = new Map<number, InFlight>();
  private nextPacketId = 1;
  private receiveMaximum = 65535;
  /** MQTT 5 Maximum Packet Size of the client (§3.1.2.11.4: larger PUBLISHes are not sent). */
  private maxPacketSize = 0;
  /** Client → server topic aliases (§3.3.2.3.4). */
  private readonly aliases = new Map<number, string>();
  /** Server → client topic aliases; null when the client's Topic Alias Maximum (or Warren's) is 0. */
  private outAliases: OutboundTopicAliases | null = null;
  /** This session's subscriptions and their MQTT 5 options (also kept in the bindings' arguments). */
  private readonly subs = new Subscriptions();
  /** Why the socket is not read (read budget, flow control, alarm). */
  private readonly gate: ReadGate;
  private out: Buffer[] = [];
  private flushScheduled = false;

  constructor(
    readonly server: MqttServer,
    readonly socket: Duplex,
    readonly remoteAddress: string,
    readonly transport: string,
  ) {
    this.id = server.broker.allocateConnectionId();
    const sock = socket as Partial<{ remotePort: number; localPort: number; localAddress: string }>;
    this.localAddress = sock.localAddress;
    this.remotePort = sock.remotePort;
    this.localPort = sock.localPort;
    this.tls = transport === 'tls' || transport === 'wss';
    this.parser.on('packet', (p: Packet) => {
      this.preConnectBytes = -1;
      this.onPacket(p);
    });
    this.parser.on('error', (e: Error) => this.onParseError(e));
    this.gate = new ReadGate(socket, () => {
      this.lastSeen = roughNow();
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastSeen = roughNow();
      this.stats.recvOct += chunk.length;
      this.stats.recvCnt++;
      try {
        this.parser.parse(chunk);
      } catch (e) {
        this.onError(e);
      }
      if (this.preConnectBytes >= 0 && (this.preConnectBytes += chunk.length) > MAX_PACKET_UNAUTHENTICATED) {
        // a CONNECT announced larger than RabbitMQ allows before authentication is not buffered up to 256 MB
        this.server.log.debug(
          { remote: this.remoteAddress },
          'MQTT CONNECT larger than max_packet_size_unauthenticated',
        );
        return this.end();
      }
      this.gate.read(chunk.length);
    });
    socket.on('drain', () => this.resumeConsumers());
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
  }

  /** The one channel RabbitMQ lists for an MQTT connection (GET /api/channels). */
  channelInfos(): ChannelInfo[] {
    let consumers = 0;
    for (const c of this.consumers) if (c !== null) consumers++;
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

  // ---- output ----------------------------------------------------------------------------------

  canWrite(): boolean {
    return !this.closed && this.socket.writableLength < OUTPUT_HIGH_WATER && !this.socket.writableNeedDrain;
  }

  private send(p: Packet): void {
    if (this.closed) return;
    this.out.push(mqttPacket.generate(p, { protocolVersion: this.version }));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.socket.destroyed) return;
    const b = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    this.stats.sendOct += b.length;
    this.stats.sendCnt++;
    this.socket.write(b);
  }

  /** Close after flushing what is queued (a CONNACK refusal, a DISCONNECT). */
  private end(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.open = false;
    this.socket.end();
    // a client that never reads must not keep the socket open
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.teardown(true);
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

  // ---- input -----------------------------------------------------------------------------------

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

  private onPacket(p: Packet): void {
    if (this.closed) return;
    try {
      const bad = this.version === 5 || p.cmd === 'connect' ? badProperties(p) : 0;
      if (bad !== 0) throw new ProtocolError(bad, 'malformed properties');
      if (!this.open) {
        if (p.cmd !== 'connect') throw new ProtocolError(RC5.PROTOCOL_ERROR, `expected CONNECT, got ${p.cmd}`);
        return this.onConnect(p);
      }
      switch (p.cmd) {
        case 'publish':
          return this.onPublish(p);
        case 'puback':
          return this.onPuback(p.messageId ?? 0, p.reasonCode ?? 0);
        case 'subscribe':
          // §3.8.3-2, §3.10.3-2: at least one topic filter (found by the fuzzer: an empty SUBACK threw in mqtt-packet)
          if (p.subscriptions.length === 0)
            throw new ProtocolError(RC5.PROTOCOL_ERROR, 'SUBSCRIBE without topic filters');
          return this.onSubscribe(p);
        case 'unsubscribe':
          if (p.unsubscriptions.length === 0)
            throw new ProtocolError(RC5.PROTOCOL_ERROR, 'UNSUBSCRIBE without topic filters');
          return this.onUnsubscribe(p);
        case 'pingreq':
          return this.send({ cmd: 'pingresp' });
        case 'disconnect':
          // §3.14.4: a DISCONNECT discards the will (MQTT 5: unless reason 0x04)
          if (p.reasonCode !== RC5.DISCONNECT_WITH_WILL) this.will = null;
          if (this.version === 5 && p.properties?.sessionExpiryInterval !== undefined) {
            this.sessionExpiry = Math.min(p.properties.sessionExpiryInterval, MAX_SESSION_EXPIRY);
          }
          return this.end();
        case 'pubrec':
        case 'pubrel':
        case 'pubcomp':
          // QoS 2 is never granted (see onPublish/onSubscribe), so these cannot belong to a flow
          throw new ProtocolError(RC5.PROTOCOL_ERROR, `unexpected ${p.cmd}: QoS 2 is not supported`);
        case 'connect':
          // §3.1.0: a second CONNECT is a protocol violation
          throw new ProtocolError(RC5.PROTOCOL_ERROR, 'second CONNECT');
        case 'auth':
          // §4.12: AUTH belongs to enhanced authentication, which a CONNECT without an Authentication Method
          // (the only kind accepted, see onConnect) did not start: a protocol error. RabbitMQ's parser
          // rejects every AUTH packet (extended_authentication_unsupported) and closes the connection.
          throw new ProtocolError(RC5.PROTOCOL_ERROR, 'AUTH: enhanced authentication is not supported');
        default:
          throw new ProtocolError(RC5.PROTOCOL_ERROR, `unexpected ${p.cmd} from a client`);
      }
    } catch (e) {
      this.onError(e);
    }
  }

  // ---- CONNECT ---------------------------------------------------------------------------------

  private refuse(rc3: number, rc5: number): void {
    this.send(
      this.version === 5
        ? { cmd: 'connack', reasonCode: rc5, sessionPresent: false }
        : { cmd: 'connack', returnCode: rc3, sessionPresent: false },
    );
    this.will = null;
    this.end();
  }

  private onConnect(p: mqttPacket.IConnectPacket): void {
    this.version = (p.protocolVersion ?? 4) as 3 | 4 | 5;
    this.protocol = this.version === 5 ? 'MQTT 5.0' : this.version === 4 ? 'MQTT 3.1.1' : 'MQTT 3.1';
    let clientId = p.clientId;
    let assigned = false;
    const v5props = p.properties ?? {};
    if (this.version === 5 && v5props.authenticationMethod !== undefined) {
      // §4.12: RabbitMQ supports no enhanced authentication method (rabbit_mqtt_processor
      // check_extended_auth, checked first): CONNACK 0x8C Bad authentication method
      this.server.log.warn({ method: v5props.authenticationMethod }, 'MQTT enhanced authentication is not supported');
      return this.refuse(RC3.UNAVAILABLE, RC5.BAD_AUTHENTICATION_METHOD);
    }
    if (this.version === 5) {
      this.sessionExpiry = Math.min(v5props.sessionExpiryInterval ?? 0, MAX_SESSION_EXPIRY);
      this.persistent = this.sessionExpiry > 0;
      if (v5props.receiveMaximum !== undefined) this.receiveMaximum = v5props.receiveMaximum;
      if (v5props.maximumPacketSize !== undefined) this.maxPacketSize = v5props.maximumPacketSize;
      // server → client aliases: at most what the client accepts and what Warren is configured for
      const aliasMax = Math.min(v5props.topicAliasMaximum ?? 0, this.server.options.mqttTopicAliasMaximum);
      if (aliasMax > 0) this.outAliases = new OutboundTopicAliases(aliasMax);
      if (v5props.userProperties !== undefined) this.connectUserProps = { ...v5props.userProperties };
    } else {
      this.persistent = p.clean === false;
    }
    if (clientId === '') {
      // §3.1.3.1: an empty client id is allowed only with a clean session (3.1.1); MQTT 5 assigns one
      if (this.version !== 5 && this.persistent) return this.refuse(RC3.ID_REJECTED, RC5.CLIENT_ID_INVALID);
      clientId = 'warren-' + randomBytes(12).toString('base64url');
      assigned = true;
    }
    // authentication: RabbitMQ's "vhost:user" usernames; no credentials → the default user (guest)
    const o = this.server.options;
    let username = p.username;
    const password = p.password?.toString('utf8');
    if (username === undefined && password !== undefined) return this.refuse(RC3.BAD_CREDENTIALS, RC5.BAD_CREDENTIALS);
    let vhostName = o.mqttVhost;
    if (username !== undefined) {
      const colon = username.indexOf(':');
      if (colon > 0) {
        vhostName = username.slice(0, colon);
        username = username.slice(colon + 1);
      }
    }
    const name = username ?? o.mqttDefaultUser.name;
    const pass = username === undefined ? o.mqttDefaultUser.password : (password ?? '');
    const auth = this.server.broker.authenticate(name, pass, this.remoteAddress);
    if (typeof auth === 'string') {
      this.server.log.warn({ user: name, reason: auth }, 'MQTT login refused');
      return this.refuse(
        auth.startsWith('Login') ? RC3.BAD_CREDENTIALS : RC3.NOT_AUTHORIZED,
        auth.startsWith('Login') ? RC5.BAD_CREDENTIALS : RC5.NOT_AUTHORIZED,
      );
    }
    let vhost: VHost;
    // RabbitMQ 3.10: a vhost that does not exist is "bad user name or password" (4), one the user may
    // not access is "not authorised" (5)
    if (!this.server.broker.vhosts.has(vhostName)) {
      this.server.log.warn({ user: name, vhost: vhostName }, 'MQTT login to a missing vhost');
      return this.refuse(RC3.BAD_CREDENTIALS, RC5.BAD_CREDENTIALS);
    }
    try {
      vhost = this.server.broker.openVHost(vhostName, auth);
    } catch (e) {
      this.server.log.warn({ user: name, vhost: vhostName, reason: (e as Error).message }, 'MQTT vhost refused');
      return this.refuse(RC3.NOT_AUTHORIZED, RC5.NOT_AUTHORIZED);
    }
    this.user = name;
    this.vhost = vhostName;
    this.v = vhost;
    this.access = new AccessCache(auth, vhostName);
    this.topicVars = { username: name, vhost: vhostName, client_id: clientId };
    this.clientId = clientId;
    this.keepalive = p.keepalive ?? 0;
    this.will = p.will ?? null;
    if (this.will && !validTopicName(this.will.topic)) {
      return this.refuse(RC3.NOT_AUTHORIZED, RC5.TOPIC_NAME_INVALID);
    }
    if (this.will && (this.will.qos ?? 0) > 1 && this.version === 5) {
      return this.refuse(RC3.NOT_AUTHORIZED, RC5.QOS_NOT_SUPPORTED);
    }
    // §3.1.4-2: a second connection with the same client id takes the session over
    this.server.takeOver(this);
    const cleanStart = this.version === 5 ? p.clean !== false : !this.persistent;
    const q0 = subscriptionQueueName(clientId, 0);
    const q1 = subscriptionQueueName(clientId, 1);
    if (cleanStart) {
      // clean session: whatever the previous session left goes (rabbit_mqtt_processor maybe_clean_sess)
      if (vhost.queues.has(q0)) vhost.deleteQueue(q0, false, false, null);
      if (vhost.queues.has(q1)) vhost.deleteQueue(q1, false, false, null);
    }
    const sessionPresent = !cleanStart && (vhost.queues.has(q1) || vhost.queues.has(q0));
    if (sessionPresent) this.loadSubscriptions();
    this.open = true;
    this.server.broker.register(this);
    // RabbitMQ 3.13's CONNACK properties, no more: Retain, Wildcard Subscription and Subscription Identifier
    // Available are left out, which tells the client they are available (§3.2.2.3.5, .11, .12)
    const connack: mqttPacket.IConnackPacket =
      this.version === 5
        ? {
            cmd: 'connack',
            reasonCode: 0,
            sessionPresent,
            properties: {
              maximumQoS: 1,
              topicAliasMaximum: o.mqttTopicAliasMaximum,
              maximumPacketSize: MAX_PACKET_SIZE,
              sharedSubscriptionAvailable: false,
              sessionExpiryInterval: this.sessionExpiry,
              ...(assigned ? { assignedClientIdentifier: clientId } : {}),
            },
          }
        : { cmd: 'connack', returnCode: 0, sessionPresent };
    this.send(connack);
    // a resumed session's queues get their consumers back (queued QoS 1 messages flow at once)
    if (sessionPresent) {
      if (vhost.queues.has(q1)) this.ensureConsumer(1);
      if (vhost.queues.has(q0)) this.ensureConsumer(0);
    }
  }

  // ---- PUBLISH ---------------------------------------------------------------------------------

  private onPublish(p: mqttPacket.IPublishPacket): void {
    let topic = p.topic;
    let qos: number = p.qos;
    const props = p.properties;
    if (this.version === 5 && props?.topicAlias !== undefined) {
      const a = props.topicAlias;
      if (a === 0 || a > this.server.options.mqttTopicAliasMaximum)
        throw new ProtocolError(RC5.TOPIC_ALIAS_INVALID, `topic alias ${a}`);
      if (topic === '') {
        const t = this.aliases.get(a);
        if (t === undefined) throw new ProtocolError(RC5.PROTOCOL_ERROR, `unknown topic alias ${a}`);
        topic = t;
      } else this.aliases.set(a, topic);
    }
    if (!validTopicName(topic)) throw new ProtocolError(RC5.TOPIC_NAME_INVALID, `invalid topic name '${topic}'`);
    if (qos === 2) {
      // CONNACK told MQTT 5 clients Maximum QoS 1 (§3.3.4: a higher QoS is a protocol error, 0x9B).
      // RabbitMQ 3.10 downgrades an MQTT 3.1.1 QoS 2 publish to QoS 1 and answers with PUBACK.
      if (this.version === 5) throw new ProtocolError(RC5.QOS_NOT_SUPPORTED, 'QoS 2 publish');
      qos = 1;
    }
    const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : Buffer.from(p.payload);
    const v5 = this.version === 5 ? publishProps(props) : null;
    if (this.server.broker.alarms.blocked) this.gate.blocked = true;
    const routed = this.publish(topic, qos, p.dup, payload, v5, p.retain);
    if (qos === 1) {
      this.send(
        this.version === 5 && routed === 0
          ? { cmd: 'puback', messageId: p.messageId!, reasonCode: RC5.NO_MATCHING_SUBSCRIBERS }
          : { cmd: 'puback', messageId: p.messageId! },
      );
    }
  }

  /** Route one publish (a client's or its will) into amq.topic; returns how many queues it reached. */
  private publish(
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
      qos === 1,
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
    for (let i = 0; i < n; i++) {
      const q = queues[i]!;
      q.enqueue(msg);
      if (q.overloaded) this.flowBlock(q);
    }
    return n;
  }

  /** No Local: this connection's own queues that the message reached only through No Local subscriptions. */
  private dropLocal(queues: Queue[], routingKey: string): void {
    const exName = this.server.options.mqttExchange;
    const own0 = subscriptionQueueName(this.clientId, 0);
    const own1 = subscriptionQueueName(this.clientId, 1);
    let w = 0;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      if ((q.name === own0 || q.name === own1) && onlyNoLocal(q.bindings, exName, routingKey)) continue;
      queues[w++] = q;
    }
    while (queues.length > w) queues.pop();
  }

  private flowBlock(q: Queue): void {
    if (this.gate.flowBlock(q)) q.blockPublisher(this);
  }

  flowResume(q: Queue): void {
    this.gate.flowResume(q);
  }

  /** Blocked by a resource alarm: it published while one was in effect (management state 'blocked'). */
  get blocked(): boolean {
    return this.gate.blocked;
  }

  /**
   * A resource alarm (memory, disk) was raised or cleared. As RabbitMQ's readers, a connection is blocked
   * when it publishes during an alarm (after that packet's chunk it is no longer read: MQTT has no way to
   * tell the client why); one that only subscribes keeps being read, so it can still PUBACK and drain its
   * queues. Reading resumes when every alarm has cleared.
   */
  alarm(raised: boolean): void {
    if (!raised) this.gate.unblock();
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE -----------------------------------------------------------------

  private onSubscribe(p: mqttPacket.ISubscribePacket): void {
    // §3.8.2.1.2: one Subscription Identifier at most, 1 to 268,435,455 (0 or two are protocol errors)
    const rawId = this.version === 5 ? p.properties?.subscriptionIdentifier : undefined;
    if (Array.isArray(rawId)) throw new ProtocolError(RC5.PROTOCOL_ERROR, 'more than one Subscription Identifier');
    if (rawId !== undefined && (rawId < 1 || rawId > MAX_SUBSCRIPTION_ID)) {
      throw new ProtocolError(RC5.PROTOCOL_ERROR, `Subscription Identifier ${rawId}`);
    }
    const id = rawId ?? 0;
    const granted: number[] = [];
    const retainedFor: Subscription[] = [];
    const v = this.v!;
    const exName = this.server.options.mqttExchange;
    const v5 = this.version === 5;
    for (const s of p.subscriptions) {
      const filter = s.topic;
      if (filter.startsWith('$share/')) {
        // RabbitMQ does not support shared subscriptions (CONNACK says so to MQTT 5 clients)
        granted.push(v5 ? RC5.SHARED_SUBSCRIPTIONS_NOT_SUPPORTED : 0x80);
        continue;
      }
      if (!validTopicFilter(filter)) {
        granted.push(v5 ? RC5.TOPIC_FILTER_INVALID : 0x80);
        continue;
      }
      // QoS 2 is granted as QoS 1 (RabbitMQ); the SUBACK says so
      const qos: 0 | 1 = s.qos === 0 ? 0 : 1;
      const opts: SubscriptionOptions = v5
        ? { qos, noLocal: s.nl === true, retainAsPublished: s.rap === true, retainHandling: s.rh ?? 0, id }
        : { qos, noLocal: false, retainAsPublished: false, retainHandling: 0, id: 0 };
      const key = filterToBindingKey(filter);
      const old = this.subs.get(filter);
      if (old !== undefined && sameOptions(old.opts, opts) && v.queues.has(subscriptionQueueName(this.clientId, qos))) {
        // the same subscription again: its binding stays; retained messages only with Retain Handling 0
        // (§3.8.3.1: 1 sends them only for a subscription that did not exist)
        granted.push(qos);
        if (opts.retainHandling === 0) retainedFor.push(old);
        continue;
      }
      let q: Queue;
      try {
        q = this.ensureQueue(qos);
        // binding: write on the queue, read on the exchange, topic read permission (as queue.bind)
        const access = this.access!;
        access.check('queue', q.name, 'write');
        access.check('exchange', exName, 'read');
        if (v.exchanges.get(exName)?.type === 'topic') access.checkTopic(exName, key, 'read', this.topicVars!);
        access.check('queue', q.name, 'read');
      } catch (e) {
        if (!(e instanceof BrokerError) || e.kind !== 'ACCESS_REFUSED') throw e;
        this.server.log.warn({ client: this.clientId, err: e.message }, 'MQTT subscription refused');
        granted.push(v5 ? RC5.NOT_AUTHORIZED : 0x80);
        continue;
      }
      const sub = new Subscription(filter, key, opts, bindingArgs(v5, key, opts));
      v.bindQueue(q.name, exName, key, sub.args, null);
      // §3.8.4 [MQTT-3.8.4-3]: it replaces the subscription with the same filter, whose binding (at the
      // other QoS, or with other options) goes
      if (old !== undefined) this.unbind(old, sub);
      this.subs.set(sub);
      this.ensureConsumer(qos);
      granted.push(qos);
      if (opts.retainHandling < 2) retainedFor.push(sub);
    }
    this.send({ cmd: 'suback', messageId: p.messageId!, granted });
    for (const r of retainedFor) this.sendRetained(r);
  }

  /** Removes `old`'s binding unless `now` is the very same binding. */
  private unbind(old: Subscription, now: Subscription | null): void {
    const v = this.v!;
    const q = v.queues.get(subscriptionQueueName(this.clientId, old.opts.qos));
    if (q === undefined) return;
    if (now !== null && now.opts.qos === old.opts.qos && now.key === old.key && argsEqual(now.args, old.args)) return;
    v.unbindQueue(q.name, this.server.options.mqttExchange, old.key, old.args, null);
  }

  private onUnsubscribe(p: mqttPacket.IUnsubscribePacket): void {
    const codes: number[] = [];
    for (const filter of p.unsubscriptions) {
      const old = this.subs.delete(filter);
      if (old !== undefined) this.unbind(old, null);
      codes.push(old !== undefined ? RC5.SUCCESS : RC5.NO_SUBSCRIPTION_EXISTED);
    }
    this.send(
      this.version === 5
        ? { cmd: 'unsuback', messageId: p.messageId!, granted: codes }
        : { cmd: 'unsuback', messageId: p.messageId!, granted: [] },
    );
  }

  /**
   * A resumed session: its subscriptions are the bindings of its queues from the MQTT exchange (an MQTT 5
   * one's options in their arguments). As rabbit_mqtt_processor's init_subscriptions, an MQTT 5 client
   * resuming a 3.1.1 session gets its bindings re-made with options, a 3.1.1 client resuming an MQTT 5
   * session gets them re-made without.
   */
  private loadSubscriptions(): void {
    const v = this.v!;
    const exName = this.server.options.mqttExchange;
    const v5 = this.version === 5;
    this.subs.clear();
    for (const qos of [0, 1] as const) {
      const q = v.queues.get(subscriptionQueueName(this.clientId, qos));
      if (q === undefined) continue;
      for (const b of [...q.bindings]) {
        if (b.source.name !== exName) continue;
        const opts = optionsFromBinding(b, qos);
        const args = bindingArgs(v5, b.routingKey, opts);
        if (!argsEqual(args, b.args)) {
          v.bindQueue(q.name, exName, b.routingKey, args, null);
          v.unbindQueue(q.name, exName, b.routingKey, b.args, null);
        }
        this.subs.set(new Subscription(bindingKeyToFilter(b.routingKey), b.routingKey, opts, args));
      }
    }
  }

  /** The subscription queue of `qos`, declared as RabbitMQ 3.10 declares it. */
  private ensureQueue(qos: 0 | 1): Queue {
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

  private ensureConsumer(qos: 0 | 1): void {
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
    q.addConsumer(c);
  }

  consumerCancelled(c: MqttConsumer): void {
    if (this.consumers[c.qos] === c) this.consumers[c.qos] = null;
  }

  // ---- deliveries ------------------------------------------------------------------------------

  private allocatePacketId(): number {
    for (;;) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 65535 ? 1 : id + 1;
      if (!this.inFlight.has(id)) return id;
    }
  }

  // Hot path: a subscription queue hands over a message. This runs inside the *publisher's* call stack:
  // a failure here must end this connection only, never propagate to the publisher.
  deliver(c: MqttConsumer, entry: QueuedMessage, queue: Queue): void {
    try {
      this.writeDelivery(c, entry, queue);
    } catch (e) {
      this.server.log.error({ err: e, client: this.clientId }, 'MQTT delivery failed');
      this.open = false; // takes nothing more
      if (!c.noAck) queue.requeue([entry]);
      setImmediate(() => this.disconnect(RC5.UNSPECIFIED, true));
    }
  }

  private writeDelivery(c: MqttConsumer, entry: QueuedMessage, queue: Queue): void {
    const msg = entry.msg;
    const st = this.channelStats;
    if (c.noAck) st.deliverNoAck++;
    else st.deliver++;
    if (entry.redelivered) st.redeliver++;
    const props = msg.propsIn(mqttFormat);
    // MQTT 5 message expiry (and AMQP expiration): an expired message is dropped, not delivered
    let remaining = -1;
    if (msg.expiration !== null) {
      const ttl = Number(msg.expiration);
      const left = msg.timestamp + ttl - roughNow();
      if (left <= 0) {
        if (c.qos === 1) queue.ack(entry);
        return;
      }
      remaining = Math.ceil(left / 1000);
    }
    const mq = propsQos(props);
    const qos: QoS = mq === QOS_UNSPECIFIED ? c.qos : (Math.min(mq, c.qos) as QoS);
    const packet: mqttPacket.IPublishPacket = {
      cmd: 'publish',
      topic: routingKeyToTopic(msg.routingKey),
      payload: msg.body,
      qos,
      dup: qos === 1 && entry.redelivered,
      retain: false,
    };
    let newAlias = 0;
    if (this.version === 5) {
      const p = deliveryProps(propsV5(props), remaining);
      if (p !== undefined) packet.properties = p;
      // subscription identifiers and Retain As Published: only for sessions that use them
      if (this.subs.special !== null && msg.exchange === this.server.options.mqttExchange) {
        const m = this.subs.matchDelivery(c.qos, msg.routingKey, msg.publisherId === this.id);
        if (m !== null) {
          if (m.ids.length > 0)
            (packet.properties ??= {}).subscriptionIdentifier = m.ids.length === 1 ? m.ids[0]! : m.ids;
          if (m.retainAsPublished && propsRetain(props)) packet.retain = true;
        }
      }
      if (this.outAliases !== null) newAlias = this.outAliases.apply(packet);
    }
    // §3.1.2.11.4: a message too large for the client is discarded as if delivered (the estimate is an
    // upper bound of the fixed header, topic, packet id and properties); RabbitMQ settles it as `discard`
    // (dead-lettered, reason rejected, if the queue has a dead-letter exchange)
    if (this.maxPacketSize !== 0 && msg.bodySize + Buffer.byteLength(packet.topic) + 1024 > this.maxPacketSize) {
      if (mqttPacket.generate({ ...packet, messageId: 1 }, { protocolVersion: 5 }).length > this.maxPacketSize) {
        if (newAlias !== 0) this.outAliases!.forget(routingKeyToTopic(msg.routingKey));
        if (c.qos === 1) queue.discard(entry);
        return;
      }
    }
    if (qos === 1) {
      const id = this.allocatePacketId();
      packet.messageId = id;
      this.send(packet);
      this.inFlight.set(id, new InFlight(entry, queue, c, roughNow()));
      c.unacked++;
    } else {
      this.send(packet);
      // delivered at QoS 0 from the acked queue: settled now
      if (c.qos === 1) queue.ack(entry);
    }
  }

  /** The retained messages for a new subscription (with its identifier, §3.3.4), RETAIN set. */
  private sendRetained(sub: Subscription): void {
    const now = Date.now();
    for (const r of this.server.retained.all(this.vhost)) {
      if (!topicMatches(sub.filter, r.topic)) continue;
      let remaining = -1;
      const v5 = propsV5(r.props);
      if (v5?.messageExpiryInterval !== undefined) {
        const left = r.storedAt + v5.messageExpiryInterval * 1000 - now;
        if (left <= 0) continue;
        remaining = Math.ceil(left / 1000);
      }
      this.sendRetainedOne(r, Math.min(sub.opts.qos, r.qos) as QoS, v5, remaining, sub.opts.id);
    }
  }

  private sendRetainedOne(
    r: RetainedMessage,
    qos: QoS,
    v5: Mqtt5Properties | null,
    remaining: number,
    id: number,
  ): void {
    const packet: mqttPacket.IPublishPacket = {
      cmd: 'publish',
      topic: r.topic,
      payload: r.payload,
      qos,
      dup: false,
      retain: true,
    };
    if (this.version === 5) {
      const p = deliveryProps(v5, remaining);
      if (p !== undefined) packet.properties = p;
      if (id !== 0) (packet.properties ??= {}).subscriptionIdentifier = id;
      // a message too large for the client is not sent (§3.1.2.11.4), nor does it take an alias
      if (this.maxPacketSize !== 0 && r.payload.length + Buffer.byteLength(r.topic) + 1024 > this.maxPacketSize) {
        if (mqttPacket.generate({ ...packet, messageId: 1 }, { protocolVersion: 5 }).length > this.maxPacketSize)
          return;
      }
      this.outAliases?.apply(packet);
    }
    if (qos === 1) {
      const pid = this.allocatePacketId();
      packet.messageId = pid;
      this.inFlight.set(pid, new InFlight(null, null, null, roughNow()));
    }
    this.send(packet);
  }

  private onPuback(id: number, reasonCode: number): void {
    const f = this.inFlight.get(id);
    // RabbitMQ ignores a PUBACK for an unknown packet id
    if (f === undefined) return;
    this.inFlight.delete(id);
    // MQTT 5 [MQTT-4.4.0-2]: a PUBACK with a reason code of 0x80 or more still acknowledges the message,
    // which is not sent again; RabbitMQ settles it as `discard` (dead-lettered if the queue has a DLX)
    if (f.queue !== null && f.entry !== null) {
      if (reasonCode >= 0x80) f.queue.discard(f.entry);
      else {
        f.queue.ack(f.entry);
        this.channelStats.ack++;
      }
    }
    const c = f.consumer;
    if (c !== null) {
      c.unacked--;
      if (c.starved) {
        c.starved = false;
        c.queue.dispatch();
      }
    }
  }

  private resumeConsumers(): void {
    for (const c of this.consumers) {
      if (c !== null && c.starved) {
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
    // a connection the broker stopped reading (flow control, an alarm) is not timed out for its silence,
    // as RabbitMQ pauses its keep-alive monitor while blocked
    if (this.keepalive > 0 && now - this.lastSeen > this.keepalive * 1500 && !this.socket.isPaused()) {
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

  private onClose(): void {
    this.closed = true;
    this.open = false;
    this.teardown(true);
  }

  private tornDown = false;

  /** Consumers leave their queues, in-flight QoS 1 messages go back (redelivered), the will is published. */
  private teardown(publishWill: boolean): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.open = false;
    this.gate.close();
    const back = new Map<Queue, QueuedMessage[]>();
    for (const f of this.inFlight.values()) {
      if (f.queue === null || f.entry === null) continue;
      let l = back.get(f.queue);
      if (!l) back.set(f.queue, (l = []));
      l.push(f.entry);
    }
    this.inFlight.clear();
    for (const [q, entries] of back) q.requeue(entries);
    for (let i = 0; i < 2; i++) {
      const c = this.consumers[i];
      if (c) {
        this.consumers[i] = null;
        c.queue.removeConsumer(c);
      }
    }
    if (publishWill && this.will && this.v) {
      const w = this.will;
      this.will = null;
      const publish = () => {
        try {
          const payload = typeof w.payload === 'string' ? Buffer.from(w.payload) : Buffer.from(w.payload);
          const v5 = this.version === 5 ? publishProps(w.properties) : null;
          this.publish(w.topic, Math.min(w.qos ?? 0, 1), false, payload, v5, w.retain ?? false);
        } catch (e) {
          this.server.log.warn({ err: e, client: this.clientId }, 'could not publish the last will');
        }
      };
      // MQTT 5 §3.1.3.2.2: the will waits min(Will Delay Interval, session expiry); a reconnect of the
      // same client id within it cancels it
      const delay = this.version === 5 ? Math.min(w.properties?.willDelayInterval ?? 0, this.sessionExpiry) : 0;
      if (delay > 0) this.server.delayWill(this.vhost, this.clientId, delay * 1000, publish);
      else publish();
    }
    // MQTT 5 session expiry 0 at disconnect: the session ends now
    if (this.version === 5 && this.v && this.persistent && this.sessionExpiry === 0) {
      const q1 = subscriptionQueueName(this.clientId, 1);
      if (this.v.queues.has(q1)) this.v.deleteQueue(q1, false, false, null);
    }
    if (this.v) this.server.broker.unregister(this);
    this.server.connectionClosed(this);
  }
}

/** The MQTT 5 PUBLISH properties Warren carries with a message. */
function publishProps(p: mqttPacket.IPublishPacket['properties'] | undefined): Mqtt5Properties | null {
  if (p === undefined) return null;
  const out: Mqtt5Properties = {};
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = Buffer.from(p.correlationData).toString('base64');
  if (p.userProperties !== undefined) out.userProperties = p.userProperties;
  return Object.keys(out).length === 0 ? null : out;
}

function deliveryProps(v5: Mqtt5Properties | null, remaining: number): mqttPacket.IPublishPacket['properties'] {
  if (v5 === null && remaining < 0) return undefined;
  const p: NonNullable<mqttPacket.IPublishPacket['properties']> = {};
  if (v5) {
    if (v5.payloadFormatIndicator !== undefined) p.payloadFormatIndicator = v5.payloadFormatIndicator;
    if (v5.contentType !== undefined) p.contentType = v5.contentType;
    if (v5.responseTopic !== undefined) p.responseTopic = v5.responseTopic;
    if (v5.correlationData !== undefined) p.correlationData = Buffer.from(v5.correlationData, 'base64');
    if (v5.userProperties !== undefined) p.userProperties = v5.userProperties;
  }
  // §3.3.2.3.3: the interval forwarded is what is left of it
  if (remaining >= 0) p.messageExpiryInterval = remaining;
  return p;
}

function argsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return argsKey(a) === argsKey(b);
}
