// The publishing side of a channel: basic.publish + content header + body frames assembled into one core
// Message (props kept as raw bytes), checked (permissions, user-id, CC/BCC headers, direct reply-to) and
// handed on: routed (route.ts) and confirmed (confirms.ts), or held for tx.commit (handlers/tx.ts).
import {
  peekDeliveryMode,
  peekPriority,
  peekExpiration,
  decodeProperties,
  encodeProperties,
} from '../../codec/amqp/properties.js';
import { routingHeaders, withoutBcc } from '../../codec/amqp/raw-table.js';
import { Writer } from '../../codec/buffer/writer.js';
import { POOL_MAX, POOL_MIN, giveBack, takeBody } from '../../util/body-pool.js';
import type { BasicPublish } from '../../codec/amqp/methods.generated.js';
import { Message } from '../../core/message.js';
import { roughNow } from '../../util/rough-clock.js';
import type { PublisherConfirms } from './confirms.js';
import type { ChannelContext } from './context.js';
import type { ChannelDeliveries } from './deliveries.js';
import { BASIC_PUBLISH, ConnectionReplyCode, NO_METHOD, channelError, connectionError } from './errors.js';
import { amqpFormat } from './format.js';
import { REPLY_TO_QUEUE } from './direct-reply-to.js';
import { routeMessage } from './route.js';

/** Content header payload: class-id(2) weight(2) body-size(8), then property flags. */
const PROPS_OFFSET = 12;
/** Bit of reply-to in the first property-flags word (amqp0-9-1.xml basic properties, 7th). */
const REPLY_TO_FLAG = 1 << 9;
/** Bit of headers (3rd property). */
const HEADERS_FLAG = 1 << 13;
/** Bit of user-id (12th property). */
const USER_ID_FLAG = 1 << 4;

/** A publish in a transaction, routed at tx.commit. */
export class TxPublish {
  constructor(
    readonly msg: Message,
    readonly mandatory: boolean,
    readonly immediate: boolean,
  ) {}
}

export class ChannelPublisher {
  private txPublishes: TxPublish[] = [];

  // the message being assembled
  private method: BasicPublish | null = null;
  private props: Buffer | null = null;
  private bodySize = 0;
  private body: Buffer | Buffer[] | null = null;
  /** The pieces of a body sent in several frames, in order (kept as they are, joined only if needed). */
  private bodyChunks: Buffer[] | null = null;
  /** A body of POOL_MIN..POOL_MAX bytes sent in several frames, copied into one pool buffer as they come. */
  private assembly: Buffer | null = null;
  /** The body is a util/body-pool.ts buffer that nothing else references. */
  private pooled = false;
  private received = 0;
  private awaitingHeader = false;

  constructor(
    private readonly ch: ChannelContext,
    private readonly deliveries: ChannelDeliveries,
    private readonly confirms: PublisherConfirms,
  ) {}

  expectingContent(): boolean {
    return this.method !== null;
  }

  onPublish(m: BasicPublish): void {
    // an auth backend that answers later (HTTP) is asked now, at the method frame, which can be replayed
    const access = this.ch.access;
    if (access.user.authz?.async === true) {
      const topic = this.ch.vhost.exchanges.get(m.exchange)?.type === 'topic';
      access.preparePublish(m.exchange, m.routingKey, topic, this.ch.topicVars());
    }
    this.method = m;
    this.awaitingHeader = true;
  }

  onContentHeader(payload: Buffer): void {
    if (!this.awaitingHeader) {
      throw connectionError(
        ConnectionReplyCode.UNEXPECTED_FRAME,
        `expected method frame, got non method frame instead`,
        NO_METHOD,
      );
    }
    const classId = payload.readUInt16BE(0);
    if (classId !== 60) {
      // rabbit_command_assembler: 505 naming the basic.publish it was for (anchor: 505, 60, 40)
      throw connectionError(
        ConnectionReplyCode.UNEXPECTED_FRAME,
        `expected content header for class 60, got one for class ${classId} instead`,
        BASIC_PUBLISH,
      );
    }
    // body-size is a u64: read as two u32s (no BigInt on the hot path)
    const size = payload.readUInt32BE(4) * 0x100000000 + payload.readUInt32BE(8);
    this.awaitingHeader = false;
    this.props = Buffer.from(payload.subarray(PROPS_OFFSET));
    this.bodySize = size;
    this.received = 0;
    // max_message_size (options.maxMessageSize), checked on the announced size so no body is buffered;
    // rabbit_channel checks the assembled body, with this text
    const max = this.ch.conn.server.options.maxMessageSize;
    if (size > max) {
      this.reset();
      throw channelError(406, `message size ${size} is larger than configured max size ${max}`);
    }
    if (size === 0) {
      this.body = EMPTY;
      this.complete();
    }
  }

  onContentBody(payload: Buffer): void {
    const n = this.checkBody(payload.length);
    // a payload of its own is a large split body frame the decoder copied into a pool buffer
    const own = this.ch.conn.decoder.payloadIsCopy;
    if (this.received === 0 && n === this.bodySize) {
      // the common case, one body frame: kept as is if it is a buffer of its own, else copied out of the
      // socket chunk (which the next read reuses: net/shared-read.ts), a large one into a pool buffer
      if (own) this.body = payload;
      else if (n >= POOL_MIN) this.body = copyInto(takeBody(n), payload);
      else this.body = Buffer.from(payload);
      this.pooled = own || n >= POOL_MIN;
      this.received = n;
      this.complete();
      return;
    }
    if (this.bodySize >= POOL_MIN && this.bodySize <= POOL_MAX) {
      // bounded by POOL_MAX: a declared size is not allocated ahead of the bytes beyond that
      const a = (this.assembly ??= takeBody(this.bodySize));
      payload.copy(a, this.received);
      if (own) giveBack(payload); // a staging copy, done with
      this.received += n;
      if (this.received === this.bodySize) {
        this.body = a;
        this.assembly = null;
        this.pooled = true;
        this.complete();
      }
      return;
    }
    this.addPieces(n, own ? payload : Buffer.from(payload));
  }

  private checkBody(n: number): number {
    if (this.method === null || this.awaitingHeader) {
      throw connectionError(
        ConnectionReplyCode.UNEXPECTED_FRAME,
        `expected method frame, got non method frame instead`,
        NO_METHOD,
      );
    }
    if (this.received + n > this.bodySize) {
      throw connectionError(
        ConnectionReplyCode.FRAME_ERROR,
        `body frame of ${n} bytes exceeds the declared body size ${this.bodySize}`,
      );
    }
    return n;
  }

  private addPieces(n: number, piece: Buffer): void {
    const chunks = (this.bodyChunks ??= []);
    chunks.push(piece);
    this.received += n;
    if (this.received === this.bodySize) {
      // many small pieces are joined (one copy); large ones stay pieces, written to consumers by reference
      this.body = chunks.length <= 64 ? chunks : Buffer.concat(chunks, this.bodySize);
      this.bodyChunks = null;
      this.complete();
    }
  }

  private reset(): void {
    this.method = null;
    this.props = null;
    this.body = null;
    this.bodyChunks = null;
    this.assembly = null;
    this.pooled = false;
    this.awaitingHeader = false;
  }

  private complete(): void {
    const m = this.method!;
    let props = this.props!;
    const body = this.body!;
    const pooled = this.pooled;
    this.reset();
    const ch = this.ch;
    const conn = ch.conn;
    // blocked once the publish is read in full, so its content is never left half-read in the socket
    if (conn.alarmRaised) conn.blockOnPublish();
    // rabbit_channel basic.publish: write on the exchange (cached), then the routing key on topic exchanges
    const access = ch.access;
    access.checkPublish(m.exchange);
    if (access.mayRestrictTopics() && access.hasTopicRestriction(m.exchange)) {
      if (ch.vhost.exchanges.get(m.exchange)?.type === 'topic') {
        access.checkTopic(m.exchange, m.routingKey, 'write', ch.topicVars());
      }
    }
    const end = props.length;
    const flags = end >= 2 ? props.readUInt16BE(0) : 0;
    if ((flags & USER_ID_FLAG) !== 0) this.checkUserId(props);
    if ((flags & REPLY_TO_FLAG) !== 0) props = this.rewriteReplyTo(props);
    let cc: string[] | null = null;
    let bcc: string[] | null = null;
    if ((flags & HEADERS_FLAG) !== 0) {
      const rh = routingHeaders(props);
      if (rh.bad !== null) {
        throw channelError(406, `invalid message: {unacceptable_type_in_header,"${rh.bad[0]}",${rh.bad[1]}}`);
      }
      cc = rh.cc;
      bcc = rh.bcc;
      if (bcc !== null) props = withoutBcc(props);
    }
    const msg = new Message(
      amqpFormat,
      m.exchange,
      m.routingKey,
      props,
      body,
      peekDeliveryMode(props, 0, props.length) === 2,
      peekPriority(props, 0, props.length),
      // a bad expiration is refused by the core (Message -> parseExpiration: 406 with RabbitMQ's text)
      peekExpiration(props, 0, props.length),
      roughNow(),
      conn.id,
    );
    msg.cc = cc;
    msg.bcc = bcc;
    msg.pooledBody = pooled;
    if (ch.confirmMode) this.confirms.received();
    if (ch.txMode) {
      // checked now so the client hears of a missing exchange at once, applied at commit
      ch.vhost.getExchange(m.exchange);
      this.txPublishes.push(new TxPublish(msg, m.mandatory, m.immediate));
      return;
    }
    const store = conn.server.broker.store;
    if (store === null || !ch.confirmMode) {
      const refused = routeMessage(ch, msg, m.mandatory, m.immediate);
      if (ch.confirmMode) this.confirms.routed(refused);
      return;
    }
    const before = store.appended;
    this.confirms.stored(routeMessage(ch, msg, m.mandatory, m.immediate), store, before);
  }

  /** https://www.rabbitmq.com/docs/validated-user-id: user-id must name the publisher, unless impersonator. */
  private checkUserId(props: Buffer): void {
    const conn = this.ch.conn;
    const userId = decodeProperties(props, 0, props.length).userId;
    if (userId === null || userId === conn.user || conn.userObj?.tags.includes('impersonator')) return;
    throw channelError(406, `user_id property set to '${userId}' but authenticated user was '${conn.user}'`);
  }

  /** Direct reply-to: a request naming amq.rabbitmq.reply-to gets this channel's reply address instead. */
  private rewriteReplyTo(props: Buffer): Buffer {
    const p = decodeProperties(props, 0, props.length);
    if (p.replyTo !== REPLY_TO_QUEUE) return props;
    const addr = this.deliveries.replyAddress;
    if (addr === null) throw channelError(406, `fast reply consumer does not exist`);
    p.replyTo = addr;
    const w = new Writer(props.length + 64);
    encodeProperties(w, p);
    return Buffer.from(w.take()!);
  }

  /** tx.commit: the publishes held since the last commit or rollback, in order; tx.rollback drops them. */
  takeTxPublishes(): TxPublish[] {
    const pubs = this.txPublishes;
    this.txPublishes = [];
    return pubs;
  }

  teardown(): void {
    this.reset();
    this.txPublishes = [];
  }
}

const EMPTY = Buffer.alloc(0);

function copyInto(dst: Buffer, src: Buffer): Buffer {
  src.copy(dst);
  return dst;
}
