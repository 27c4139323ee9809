// A message as the core sees it: routing annotations plus the publishing protocol's own bytes, kept as they
// arrived (RabbitMQ's mc.erl, LavinMQ's BytesMessage). The core never parses `props`; it asks the message's
// ContentFormat for the few things it needs (headers for the headers exchange), lazily and at most once.
// A consumer of another protocol gets the props converted at delivery, as RabbitMQ's mc converts between
// mc_amqpl, mc_mqtt and mc_stomp: through protocol-neutral properties, once per message and target format.

import { giveBack } from '../util/body-pool.js';
import { parseExpiration } from './queue/ttl.js';

export type HeaderTable = Record<string, unknown>;

/** A type's readonly fields made assignable (Message.reinit and QueuedMessage.reinit only). */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Entries kept for reuse per reader (Message.recycleTo): about two read-aheads and a prefetch window. */
const RECYCLE_MAX = 4096;

/**
 * A message's properties in protocol-neutral form: the AMQP 0-9-1 basic properties, which is also the
 * vocabulary RabbitMQ's MQTT and STOMP plugins map onto. Header values are plain JS values (string,
 * number, boolean, Buffer, nested tables/arrays).
 */
export interface CommonProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: HeaderTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  /** Seconds since the epoch. */
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
}

/** How a protocol's content is read; supplied by the front end that created the message. */
/** One dead-lettering event, as the protocol's death history records it (AMQP: an x-death entry). */
export interface DeathEvent {
  readonly queue: string;
  readonly reason: 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';
  /** The exchange the message had been published to. */
  readonly exchange: string;
  /** The routing keys it had been published with (routing key, then CC). */
  readonly routingKeys: readonly string[];
  /** Seconds since the epoch. */
  readonly time: number;
  /** The message's own expiration property, which dead-lettering removes, or null. */
  readonly originalExpiration: string | null;
}

/** Why a message was dead-lettered (x-death's reason). */
export type DeathReason = DeathEvent['reason'];

/** How a protocol's content is read and rewritten; supplied by the front end that created the message. */
export interface ContentFormat {
  readonly name: string;
  /** The application headers, or null. Called at most once per message. */
  decodeHeaders(props: Buffer): HeaderTable | null;
  /** The props as neutral properties (a consumer of another protocol is about to receive it). */
  toCommon(props: Buffer): CommonProperties;
  /** Neutral properties as this format's props bytes. */
  fromCommon(p: CommonProperties): Buffer;
  /**
   * The properties of the dead-lettered copy: `death` added to the death history (AMQP: x-death with
   * RabbitMQ's update rules, x-first-death-*, x-last-death-*), the expiration removed, BCC dropped.
   */
  deadLettered(props: Buffer, death: DeathEvent): Buffer;
  /** The properties with one integer header set (AMQP: x-delivery-count on a quorum redelivery). */
  withIntHeader(props: Buffer, key: string, value: number): Buffer;
  /** The message id property, or null (deduplication's default key). */
  messageId(props: Buffer): string | null;
}

export class Message {
  /** Arrival time (rough clock, ms). */
  readonly timestamp: number;
  /** Per-message TTL from `expiration` in ms, -1 when none. A bad expiration throws PRECONDITION_FAILED. */
  readonly ttl: number;
  /**
   * Extra routing keys from the CC and BCC headers (RabbitMQ sender-selected distribution), set by the
   * front end; null when absent. BCC is already stripped from `props`.
   */
  cc: readonly string[] | null = null;
  bcc: readonly string[] | null = null;
  private headersCache: HeaderTable | null | undefined = undefined;
  // one cached conversion: a message is usually consumed in at most one other protocol
  private convertedFormat: ContentFormat | null = null;
  private convertedProps: Buffer | null = null;

  constructor(
    readonly format: ContentFormat,
    readonly exchange: string,
    readonly routingKey: string,
    /** Protocol properties in wire form (AMQP: the content header from the property flags on). */
    readonly props: Buffer,
    /**
     * The body: one buffer, or the pieces a body sent in several frames arrived in (kept as they are).
     * `body` joins such pieces on first use; bodyParts hands them to a writer.
     */
    body: Buffer | readonly Buffer[],
    /** delivery_mode 2 */
    readonly persistent: boolean,
    /** 0 when absent */
    readonly priority: number,
    /** the expiration property, or null */
    readonly expiration: string | null,
    timestamp: number,
    /** Id of the connection that published it (for no_local), 0 if none. */
    readonly publisherId: number,
  ) {
    this.timestamp = timestamp;
    this.ttl = expiration === null ? -1 : parseExpiration(expiration);
    if (Buffer.isBuffer(body)) {
      this.joined = body;
      this.bodySize = body.length;
    } else {
      let n = 0;
      for (const b of body) n += b.length;
      this.bodySize = n;
      this.parts = body;
    }
  }

  readonly bodySize: number;
  private joined: Buffer | null = null;
  private parts: readonly Buffer[] | null = null;

  /**
   * Set by the front end that built the message: the body is a util/body-pool.ts buffer nothing else holds.
   */
  pooledBody = false;
  /**
   * Set by the front end when it routed the message to exactly one queue (so one QueuedMessage holds it,
   * and no fanout copy, return, trace or store shares its body).
   */
  soleCopy = false;

  /**
   * The message is gone for good (delivered with no-ack and written to the socket): a pooled body of a
   * sole copy goes back to the pool. Only whoever holds the last reference may call this; afterwards the
   * body must not be read (it throws rather than return reused memory).
   */
  releaseBody(): void {
    if (!this.pooledBody || !this.soleCopy) return;
    this.pooledBody = false;
    const b = this.joined;
    this.joined = null;
    this.parts = null;
    if (b !== null) giveBack(b);
    // gone for good, and so is its one entry: both are reused for a message read back from disk
    const to = this.recycleTo;
    if (to !== null && this.entry !== null && to.length < RECYCLE_MAX) to.push(this.entry);
  }

  /**
   * Set by storage/messages/page-reader.ts on a message it read back from disk: the entry that holds it, and
   * the reader's list of entries to reuse. A paged backlog drains at 100k+ messages a second, and each
   * message's two objects live from their page-in to the ack (tens of ms: longer than V8's young generation
   * keeps them), so new ones were promoted to the old generation and collected there, a mark-compact pause
   * felt by every connection every ~0.7 s. Reused, they are allocated once. The ownership contract is the
   * body's (releaseBody): only the message's last holder releases it.
   */
  entry: QueuedMessage | null = null;
  recycleTo: QueuedMessage[] | null = null;

  /**
   * This message, released (releaseBody) and held by nothing, as a new one read back from disk: every field
   * as the constructor sets it (page-reader.ts; the arguments are the constructor's).
   */
  reinit(
    format: ContentFormat,
    exchange: string,
    routingKey: string,
    props: Buffer,
    body: Buffer,
    persistent: boolean,
    priority: number,
    expiration: string | null,
    timestamp: number,
  ): void {
    const w = this as Mutable<Message>;
    w.format = format;
    w.exchange = exchange;
    w.routingKey = routingKey;
    w.props = props;
    w.persistent = persistent;
    w.priority = priority;
    w.expiration = expiration;
    w.timestamp = timestamp;
    w.publisherId = 0;
    w.ttl = expiration === null ? -1 : parseExpiration(expiration);
    w.bodySize = body.length;
    this.joined = body;
    this.parts = null;
    this.cc = null;
    this.bcc = null;
    this.headersCache = undefined;
    this.convertedFormat = null;
    this.convertedProps = null;
    this.pooledBody = false;
    this.soleCopy = false;
  }

  /** The body as one buffer (pieces it arrived in are joined once, here, for whoever needs one buffer). */
  get body(): Buffer {
    if (this.joined === null) {
      if (this.parts === null) throw new Error('message body read after it was released');
      this.joined = Buffer.concat(this.parts!, this.bodySize);
      this.parts = null;
    }
    return this.joined;
  }

  /** The body for a socket write: one buffer, or the pieces it arrived in, never copied here. */
  get bodyParts(): Buffer | readonly Buffer[] {
    const b = this.joined ?? this.parts;
    if (b === null) throw new Error('message body read after it was released');
    return b;
  }

  headers(): HeaderTable | null {
    if (this.headersCache === undefined) this.headersCache = this.format.decodeHeaders(this.props);
    return this.headersCache;
  }

  /** The props in `target`'s format: the stored bytes when it is the publishing format, else converted once. */
  propsIn(target: ContentFormat): Buffer {
    if (target === this.format) return this.props;
    if (this.convertedFormat === target) return this.convertedProps!;
    const p = target.fromCommon(this.format.toCommon(this.props));
    this.convertedFormat = target;
    this.convertedProps = p;
    return p;
  }
}

/** One copy of a message in one queue. Its seq orders it in the queue, so a requeue returns it to its place. */
export class QueuedMessage {
  redelivered = false;
  deliveryCount = 0;
  /** Where the message store logged this copy: segment number (-1: not on disk), record offset and length. */
  seg = -1;
  off = 0;
  len = 0;
  /** Expiry time (ms since the epoch) from queue and message TTL, 0 when it never expires. */
  expiresAt = 0;
  /** The queue it is waiting to be requeued to (x-requeue-delay), else null. */
  delayedIn: { requeueNow(e: QueuedMessage): void } | null = null;
  constructor(
    readonly msg: Message,
    readonly seq: number,
  ) {}

  /** This entry (released with its message: Message.releaseBody) as a new one for the same message object. */
  reinit(seq: number): void {
    (this as Mutable<QueuedMessage>).seq = seq;
    this.redelivered = false;
    this.deliveryCount = 0;
    this.seg = -1;
    this.off = 0;
    this.len = 0;
    this.expiresAt = 0;
    this.delayedIn = null;
  }
}
