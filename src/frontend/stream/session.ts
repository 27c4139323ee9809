// A Stream protocol connection's state (PROTOCOL.adoc), shared by the command handlers (handlers/*.ts): the
// handshake phase, the login and vhost, the negotiated frame max and heartbeat, the client's command versions,
// publishers and subscriptions by id; and the operations several handlers use (send a frame, answer a request,
// close with a code). The socket is StreamConnection's (frontend/net); the state machine is connection.ts.
import type { ClientConnection } from '../../core/broker.js';
import type { AccessCache } from '../../core/auth/permissions.js';
import type { StreamProtocolCounters } from '../../core/global-counters.js';
import type { User } from '../../core/auth/users.js';
import type { VHost } from '../../core/vhost.js';
import { Writer } from '../../codec/buffer/writer.js';
import { encodeFrame, type FrameFields, type FrameName } from '../../codec/stream/commands.js';
import { METADATA_UPDATE_STREAM_NOT_AVAILABLE, ResponseCode } from '../../codec/stream/constants.js';
import { StreamQueue, type StreamWatcher } from '../../core/queue/stream/stream-queue.js';
import { StreamConnection } from '../net/stream-connection.js';
import type { StreamConsumerView, StreamPublisherView } from '../../core/stream-views.js';
import type { StreamServerContext } from './context.js';
import { streamDoesNotExist } from './errors.js';
import type { StreamPublisher } from './publisher.js';
import type { StreamSubscription } from './subscription.js';

/** Where the handshake is: PeerProperties, SaslHandshake, SaslAuthenticate, Tune, Open (PROTOCOL.adoc). */
export type Phase = 'peer-properties' | 'sasl' | 'authenticated' | 'tuned' | 'open';

/** rabbit_stream's defaults: frame_max 1 MiB, heartbeat 60 s. */
export const DEFAULT_FRAME_MAX = 1048576;
export const DEFAULT_HEARTBEAT = 60;
/** A heartbeat frame: size 4, key 0x17, version 1. */
export const HEARTBEAT_FRAME = Buffer.from([0, 0, 0, 4, 0, 0x17, 0, 1]);

export abstract class StreamSession extends StreamConnection<StreamServerContext> implements ClientConnection {
  protocol = 'stream';
  phase: Phase = 'peer-properties';
  clientProperties: Record<string, string> = {};
  /** The login's answer (kept: a request replayed after an HTTP backend's answer does not ask again). */
  login: User | string | Promise<User | string> | null = null;
  mechanism = '';
  access: AccessCache | null = null;
  v: VHost | null = null;
  frameMax = DEFAULT_FRAME_MAX;
  heartbeat = DEFAULT_HEARTBEAT;
  /** The client can read Deliver v2 (ExchangeCommandVersions): committed chunk id before the chunk. */
  deliverV2 = false;
  readonly publishers = new Map<number, StreamPublisher>();
  readonly subscriptions = new Map<number, StreamSubscription>();
  /**
   * Streams this connection looked up for StoreOffset or QueryOffset: told of their deletion too (not for
   * QueryPublisherSequence: checked on the anchor), as rabbit_stream_reader monitors the leader it looked up (its stream_leaders) and sends
   * MetadataUpdate when it goes.
   */
  private readonly lookedUp = new Map<StreamQueue, StreamWatcher>();
  /**
   * ConsumerUpdate requests sent, by correlation id: the answer starts an activated subscription, or lets its
   * group go on once one told to step down answered (sac.ts).
   */
  readonly pendingUpdates = new Map<number, { sub: StreamSubscription; answered: (() => void) | null }>();
  /** Counters for management (/api/stream/connections, the channel-like message_stats). */
  readonly counters = { published: 0, confirmed: 0, errored: 0, delivered: 0 };
  /** The node's Stream protocol counters (Prometheus rabbitmq_global_*{protocol="stream"}), bumped with `counters`. */
  readonly g: StreamProtocolCounters = this.server.broker.global.stream;
  /** Messages published since the read budget last counted them (connection.ts readCost). */
  readMessages = 0;
  /**
   * Encodes this connection's frames; each frame is taken and queued at once. Its first buffer is small, as an
   * AMQP connection's (frontend/amqp/output.ts): 64 KiB up front for each connection of a churning client was
   * external memory only a full GC returns (the Stream fuzz run's broker spent 20% of its CPU in GC).
   */
  readonly w = new Writer(65536, 8192);
  private nextCorrelation = 1;

  /** Frame max for management (ClientConnection). */
  get channelMax(): number {
    return 0;
  }

  /** The logged-in user (AuthService: expiry, refresh). */
  get userObj(): User | null {
    return this.access?.user ?? null;
  }

  // ---- output ----------------------------------------------------------------------------------

  /** Encode and queue one frame (written with the rest of the turn's output). */
  send<N extends FrameName>(name: N, fields: FrameFields<N>): void {
    if (this.closed) return;
    // every response goes out here: a failure code counts in rabbitmq_global_stream_error_*_total
    const code = (fields as { responseCode?: number }).responseCode;
    if (code !== undefined && code !== ResponseCode.OK) this.server.broker.global.streamResponse(code);
    encodeFrame(this.w, name, fields);
    this.queueWritten();
  }

  /** Queue what was written into `w` (frames built by hand: Deliver, PublishConfirm). */
  queueWritten(): void {
    const p = this.w.takeParts();
    if (p === null) return;
    if (Buffer.isBuffer(p)) this.output(p);
    else for (const b of p) this.output(b);
  }

  correlationId(): number {
    return this.nextCorrelation++;
  }

  /**
   * Close from the server side with a code and reason (a Close request, as rabbit_stream_reader sends it);
   * the socket closes once the client answers, or after a second whatever it does.
   */
  closeWith(code: number, reason: string): void {
    if (this.closed) return;
    this.server.broker.global.streamResponse(code);
    this.send('CloseRequest', { correlationId: this.correlationId(), closingCode: code, closingReason: reason });
    this.open = false;
    this.closeSocket();
  }

  /** Close now, after what is queued (a refused handshake, a client's Close). */
  closeNow(): void {
    this.closeSocket();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Tune agreed on a frame max: larger frames close the connection (connection.ts). */
  abstract setFrameMax(n: number): void;

  /**
   * Closed by an operator (management's DELETE /api/connections/NAME, `ctl close_connection`, a deleted vhost
   * or user) or by shutdown: the socket is shut down with no Close frame, as rabbit_stream_reader does for its
   * `{shutdown, Explanation}` (its close/3: shutdown(write), then close). Clients see the socket end and call
   * their connection-closed listeners; a Close request here is an unknown command to some of them
   * (rabbitmq-stream-js-client throws "Unknown response 22").
   */
  forceClose(reason: string): void {
    if (this.phase === 'open')
      this.server.log.info({ user: this.user, reason }, 'stream connection closed by the broker');
    this.closeNow();
  }

  /** The OAuth 2 token expired (AuthService): closed as rabbit_stream_reader does. */
  credentialExpired(): void {
    this.server.log.warn({ user: this.user }, 'stream connection closing: credential expired');
    this.closeWith(ResponseCode.AuthenticationFailure, 'credential expired');
  }

  /**
   * The stream was deleted (or is gone): one MetadataUpdate (StreamNotAvailable, as RabbitMQ sends it), and
   * the publishers and subscriptions on it are forgotten.
   */
  streamGone(q: StreamQueue): void {
    let had = this.lookedUp.delete(q);
    for (const [id, p] of this.publishers) {
      if (p.queue !== q) continue;
      p.close();
      this.publishers.delete(id);
      had = true;
    }
    for (const [id, sub] of this.subscriptions) {
      if (sub.queue !== q) continue;
      this.dropSubscription(sub);
      this.subscriptions.delete(id);
      had = true;
    }
    if (had) this.send('MetadataUpdate', { code: METADATA_UPDATE_STREAM_NOT_AVAILABLE, stream: q.name });
  }

  /** A PublishError frame refusing `ids` with `code` (counted for management and Prometheus). */
  publishErrors(publisherId: number, ids: number[], code: number): void {
    this.counters.errored += ids.length;
    this.server.broker.global.streamResponse(code);
    this.send('PublishError', { publisherId, errors: ids.map((publishingId) => ({ publishingId, code })) });
  }

  /** Tell the client whether `sub` is active (single active consumer); its answer names the offset. */
  consumerUpdate(sub: StreamSubscription, active: boolean, answered: (() => void) | null = null): void {
    if (this.closed) {
      answered?.();
      return;
    }
    const correlationId = this.correlationId();
    if (active || answered !== null) this.pendingUpdates.set(correlationId, { sub, answered });
    this.send('ConsumerUpdateRequest', { correlationId, subscriptionId: sub.id, active: active ? 1 : 0 });
  }

  /** A subscription ends: it stops reading, and leaves its single-active-consumer group (the next takes over). */
  dropSubscription(sub: StreamSubscription): void {
    sub.close();
    this.server.sac.leave(sub);
  }

  /** The connection is gone: publishers and subscriptions end, the broker forgets it. */
  protected release(): void {
    for (const [q, w] of this.lookedUp) q.watchers.delete(w);
    this.lookedUp.clear();
    for (const p of this.publishers.values()) p.close();
    this.publishers.clear();
    for (const sub of this.subscriptions.values()) this.dropSubscription(sub);
    this.subscriptions.clear();
    // a consumer told to step down will not answer now: its group goes on
    for (const u of this.pendingUpdates.values()) u.answered?.();
    this.pendingUpdates.clear();
    if (this.phase === 'open') this.server.broker.unregister(this);
    this.server.broker.auth.unwatch(this);
  }

  // ---- management (management/api/stream.ts) -----------------------------------------------------

  streamPublishers(): StreamPublisherView[] {
    return [...this.publishers.values()].map((p) => ({
      publisherId: p.id,
      reference: p.reference,
      stream: p.streamName,
      published: p.published,
      confirmed: p.confirmed,
      errored: p.errored,
    }));
  }

  streamConsumers(): StreamConsumerView[] {
    return [...this.subscriptions.values()].map((k) => ({
      subscriptionId: k.id,
      stream: k.queue.name,
      credits: k.credit,
      consumed: k.messages,
      offset: Math.max(0, k.offset),
      offsetLag: k.lag,
      properties: k.properties,
      active: k.active,
      singleActive: k.sacKey !== null,
    }));
  }

  // ---- streams -----------------------------------------------------------------------------------

  /** The stream named `name` in this connection's vhost (StreamDoesNotExist: missing or not a stream). */
  stream(name: string): StreamQueue {
    const q = this.v?.queues.get(name);
    if (!(q instanceof StreamQueue) || q.deleted || q.streamBacking === null) throw streamDoesNotExist();
    return q;
  }

  /** `q` was looked up (StoreOffset, QueryOffset): its deletion sends a MetadataUpdate (lookedUp). */
  watchLookup(q: StreamQueue): void {
    if (this.lookedUp.has(q) || this.closed) return;
    const w: StreamWatcher = { streamDeleted: (sq) => this.streamGone(sq) };
    this.lookedUp.set(q, w);
    q.watchers.add(w);
  }
}
