// A message as the core sees it: routing annotations plus the publishing protocol's own bytes, kept as they
// arrived (RabbitMQ's mc.erl, LavinMQ's BytesMessage). The core never parses `props`; it asks the message's
// ContentFormat for the few things it needs (headers for the headers exchange), lazily and at most once.
// A consumer of another protocol gets the props converted at delivery, as RabbitMQ's mc converts between
// mc_amqpl, mc_mqtt and mc_stomp: through protocol-neutral properties, once per message and target format.

import { giveBack } from '../util/body-pool.js';
import { parseExpiration } from './queue/ttl.js';

export type HeaderTable = Record<string, unknown>;

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
}
