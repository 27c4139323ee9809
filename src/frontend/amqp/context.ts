// What the parts of the AMQP front end need of each other, as interfaces in a leaf file, so that the
// connection, its channels and their handlers import only downwards (no import circles): the server as its
// connections see it, the connection as its channels and the handshake see it (connection.ts implements it),
// and the channel as its publisher, deliveries, consumers and handlers see it (channel.ts implements it).
import type { Socket } from 'node:net';
import type { FrameDecoder } from '../../codec/amqp/frame-decoder.js';
import type { Writer } from '../../codec/buffer/writer.js';
import type { AccessCache } from '../../core/auth/permissions.js';
import type { AuthenticatedConnection } from '../../core/auth/service.js';
import type { User } from '../../core/auth/users.js';
import type { Broker, ChannelStats, ClientConnection } from '../../core/broker.js';
import type { Queue } from '../../core/queue/queue.js';
import type { VHost } from '../../core/vhost.js';
import type { ResolvedOptions } from '../../options.js';
import type { Logger } from '../../util/logger.js';
import type { ReplyToRegistry } from './direct-reply-to.js';
import type { FrameOutput } from './output.js';

/** The handshake's steps (amqp0-9-1 §4.2.3), then 'opened'; 'closing' waits for connection.close-ok. */
export type ConnectionState =
  'header' | 'start-ok' | 'secure-ok' | 'tune-ok' | 'open' | 'opened' | 'closing' | 'closed';

/** The AMQP server as its connections see it (server.ts). */
export interface AmqpServerContext {
  readonly broker: Broker;
  readonly options: ResolvedOptions;
  readonly replyTo: ReplyToRegistry;
}

/** An AMQP connection as its handshake, its channels and their handlers see it (connection.ts). */
export interface AmqpConnectionContext extends ClientConnection, AuthenticatedConnection {
  readonly server: AmqpServerContext;
  readonly socket: Socket;
  readonly log: Logger;
  readonly name: string;
  readonly decoder: FrameDecoder;
  readonly output: FrameOutput;
  /** output.out: where frames are written. */
  readonly out: Writer;
  readonly remoteAddress: string;
  state: ConnectionState;
  authMechanism: string;
  user: string;
  vhost: string;
  userObj: User | null;
  vhostObj: VHost | null;
  clientProperties: Record<string, unknown>;
  /** Capabilities the client announced in client-properties. */
  capabilities: Record<string, unknown>;
  frameMax: number;
  channelMax: number;
  heartbeat: number;
  /**
   * basic.qos global=true with the spec's semantics (advertiseRabbitmq off): the connection's limits, 0 none.
   */
  qosCount: number;
  qosSize: number;
  /** Unacked deliveries (and their bytes) over all the connection's channels: only read when qosCount/Size is set. */
  unackedTotal(): number;
  unackedBytesTotal(): number;
  /** Give every channel's starved consumers another chance (a connection-wide limit has room again). */
  resumeConsumers(): void;
  /** A resource alarm is in effect: the next publish blocks the connection. */
  readonly alarmRaised: boolean;
  /** Set when teardown starts: no more deliveries to this connection's consumers. */
  readonly dead: boolean;
  /** Exclusive queues declared on this connection, deleted when it closes. */
  readonly exclusiveQueues: Set<string>;
  /** The handshake is done (connection.open-ok sent): stop the handshake timer, register with the broker. */
  opened(): void;
  /** A basic.publish arrived in full during a resource alarm. */
  blockOnPublish(): void;
  /** A queue published to is overloaded: stop reading (flow control). */
  flowBlock(q: Queue): void;
  /** Writing a delivery threw: close the connection (541) on the next turn. */
  deliveryFailed(e: unknown): void;
  /** Release everything the connection holds. Idempotent. */
  teardown(): void;
  closeWithError(code: number, text: string, classId: number, methodId: number): void;
  /** The client sent connection.close: tidy up, answer close-ok, and wait (bounded) for it to close the socket. */
  closeByClient(): void;
  /**
   * An auth backend answers later (HTTP: login, vhost access, a check that threw AuthzPending): nothing is
   * read until `answered` settles, then `k` runs (inside the connection's catch boundary) and reading goes on
   * with the rest of the read the decoder kept.
   */
  awaitAuth<T>(answered: Promise<T>, k: (v: T) => void): void;
}

/** An AMQP channel as its publisher, deliveries, consumers and method handlers see it (channel.ts). */
export interface ChannelContext {
  readonly id: number;
  readonly conn: AmqpConnectionContext;
  readonly vhost: VHost;
  /** Permission checks of this channel's user in its vhost (RabbitMQ checks per channel, with a cache). */
  readonly access: AccessCache;
  /** message_stats for GET /api/channels (publish, deliver, get, ack, …), bumped in place. */
  readonly stats: ChannelStats;
  /** channel.close sent (or the channel is going): nothing more is delivered on it. */
  readonly closing: boolean;
  /** channel.flow from the client: false pauses deliveries to this channel (amqp0-9-1.xml channel.flow). */
  flowActive: boolean;
  /** confirm.select was received (publisher confirms). */
  confirmMode: boolean;
  /** tx.select was received: publishes and acks wait for tx.commit. */
  txMode: boolean;
  /** The last queue declared on this channel (an empty queue name means it). */
  lastQueueName: string;
  /** The variables of topic permission patterns ({username}, {vhost}). */
  topicVars(): { username: string; vhost: string };
}
