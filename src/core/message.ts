// A message as the core sees it: routing annotations plus the publishing protocol's own bytes, kept as they
// arrived (RabbitMQ's mc.erl, LavinMQ's BytesMessage). The core never parses `props`; it asks the message's
// ContentFormat for the few things it needs (headers for the headers exchange), lazily and at most once.

export type HeaderTable = Record<string, unknown>;

/** How a protocol's content is read; supplied by the front end that created the message. */
export interface ContentFormat {
  readonly name: string;
  /** The application headers, or null. Called at most once per message. */
  decodeHeaders(props: Buffer): HeaderTable | null;
}

export class Message {
  /** Arrival time (rough clock, ms). */
  readonly timestamp: number;
  private headersCache: HeaderTable | null | undefined = undefined;

  constructor(
    readonly format: ContentFormat,
    readonly exchange: string,
    readonly routingKey: string,
    /** Protocol properties in wire form (AMQP: the content header from the property flags on). */
    readonly props: Buffer,
    readonly body: Buffer,
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
  }

  get bodySize(): number {
    return this.body.length;
  }

  headers(): HeaderTable | null {
    if (this.headersCache === undefined) this.headersCache = this.format.decodeHeaders(this.props);
    return this.headersCache;
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
  constructor(
    readonly msg: Message,
    readonly seq: number,
  ) {}
}
