// The publishing side of a channel: basic.publish + content header + body frames assembled into one core
// Message (props kept as raw bytes), routed through the vhost, with mandatory/immediate returns, publisher
// confirms (batched into one basic.ack per event-loop turn) and transactions (tx.select/commit/rollback).
import {
  peekDeliveryMode,
  peekPriority,
  peekExpiration,
  decodeProperties,
  encodeProperties,
} from '../../codec/amqp/properties.js';
import { writeContentHeader, writeBody } from '../../codec/amqp/content.js';
import { routingHeaders, withoutBcc } from '../../codec/amqp/raw-table.js';
import { Writer } from '../../codec/buffer/writer.js';
import { POOL_MAX, POOL_MIN, giveBack, takeBody } from '../../util/body-pool.js';
import {
  writeBasicAck,
  writeBasicNack,
  writeBasicReturn,
  writeConfirmSelectOk,
  writeTxCommitOk,
  writeTxRollbackOk,
  writeTxSelectOk,
  type BasicPublish,
} from '../../codec/amqp/methods.generated.js';
import { Message } from '../../core/message.js';
import type { MessageStore, SyncWaiter } from '../../core/queue/backing.js';
import { roughNow } from '../../util/rough-clock.js';
import type { AmqpChannel } from './channel.js';
import { BASIC_PUBLISH, ConnectionReplyCode, NO_METHOD, channelError, connectionError } from './errors.js';
import { amqpFormat } from './format.js';
import { REPLY_TO_PREFIX, REPLY_TO_QUEUE } from './direct-reply-to.js';

/** RabbitMQ's default max_message_size (128 MiB). */
const MAX_MESSAGE_SIZE = 134217728;
/** Content header payload: class-id(2) weight(2) body-size(8), then property flags. */
const PROPS_OFFSET = 12;
/** Bit of reply-to in the first property-flags word (amqp0-9-1.xml basic properties, 7th). */
const REPLY_TO_FLAG = 1 << 9;
/** Bit of headers (3rd property). */
const HEADERS_FLAG = 1 << 13;
/** Bit of user-id (12th property). */
const USER_ID_FLAG = 1 << 4;

class TxPublish {
  constructor(
    readonly msg: Message,
    readonly mandatory: boolean,
    readonly immediate: boolean,
  ) {}
}

export class ChannelPublisher implements SyncWaiter {
  confirmMode = false;
  txMode = false;
  /** Publishes seen in confirm mode (the delivery tags of basic.ack to the publisher). */
  private publishSeq = 0;
  private confirmedUpTo = 0;
  private confirmSentUpTo = 0;
  /** Publish seqs to be nacked (a queue refused the message: x-overflow reject-publish), ascending. */
  private nacks: number[] = [];
  /** Set by route() when a queue refused the message being routed. */
  private refused = false;
  private txPublishes: TxPublish[] = [];
  /**
   * Confirms waiting for the message store's fsync, in order: publish seq i may be acked once the store has
   * synced ticket i. Consecutive publishes waiting on the same ticket share one entry, so a batch costs one
   * entry, not one per message. A transient publish after a waiting one waits too (acks stay in order).
   */
  private waitSeqs: number[] = [];
  private waitTickets: number[] = [];
  private waitHead = 0;
  /** tx.commit-ok replies waiting for the fsync of their persistent messages, by ticket. */
  private commitTickets: number[] = [];

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

  constructor(private readonly ch: AmqpChannel) {}

  expectingContent(): boolean {
    return this.method !== null;
  }

  onPublish(m: BasicPublish): void {
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
    if (size > MAX_MESSAGE_SIZE) {
      this.reset();
      throw channelError(406, `message size ${size} is larger than configured max size ${MAX_MESSAGE_SIZE}`);
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
    const conn = this.ch.conn;
    // blocked once the publish is read in full, so its content is never left half-read in the socket
    if (conn.alarmRaised) conn.blockOnPublish();
    // rabbit_channel basic.publish: write on the exchange (cached), then the routing key on topic exchanges
    const access = this.ch.access;
    access.checkPublish(m.exchange);
    if (access.user.topicPermissions.size !== 0 && access.hasTopicRestriction(m.exchange)) {
      if (this.ch.vhost.exchanges.get(m.exchange)?.type === 'topic') {
        access.checkTopic(m.exchange, m.routingKey, 'write', this.ch.topicVars());
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
    if (this.confirmMode) {
      this.publishSeq++;
      this.ch.conn.server.broker.stats.receivedConfirm++;
    }
    if (this.txMode) {
      // checked now so the client hears of a missing exchange at once, applied at commit
      this.ch.vhost.getExchange(m.exchange);
      this.txPublishes.push(new TxPublish(msg, m.mandatory, m.immediate));
      return;
    }
    const store = conn.server.broker.store;
    this.refused = false;
    if (store === null || !this.confirmMode) {
      this.route(msg, m.mandatory, m.immediate);
      if (this.confirmMode) {
        // RabbitMQ: a message refused by any queue it was routed to is nacked
        if (this.refused) this.nacks.push(this.publishSeq);
        this.confirmedUpTo = this.publishSeq;
        conn.scheduleFlush();
      }
      return;
    }
    const before = store.appended;
    this.route(msg, m.mandatory, m.immediate);
    if (this.refused) this.nacks.push(this.publishSeq);
    // a persistent message reached a durable queue (or an earlier one is still waiting): ack after fsync
    if (store.appended !== before || this.waitHead < this.waitSeqs.length) this.confirmAfterSync(store);
    else {
      this.confirmedUpTo = this.publishSeq;
      conn.scheduleFlush();
    }
  }

  private confirmAfterSync(store: MessageStore): void {
    const t = store.appended;
    const n = this.waitSeqs.length;
    if (n > this.waitHead && this.waitTickets[n - 1] === t) this.waitSeqs[n - 1] = this.publishSeq;
    else {
      this.waitSeqs.push(this.publishSeq);
      this.waitTickets.push(t);
      store.addSyncWaiter(this);
    }
  }

  /** The store fsynced everything up to `ticket`: release the confirms and commit-oks it covers. */
  synced(ticket: number): boolean {
    const ch = this.ch;
    if (ch.closing) {
      this.waitSeqs = [];
      this.waitTickets = [];
      this.waitHead = 0;
      this.commitTickets = [];
      return false;
    }
    let h = this.waitHead;
    const seqs = this.waitSeqs;
    while (h < seqs.length && this.waitTickets[h]! <= ticket) this.confirmedUpTo = seqs[h++]!;
    if (h === seqs.length) {
      this.waitSeqs = [];
      this.waitTickets = [];
      h = 0;
    }
    this.waitHead = h;
    while (this.commitTickets.length !== 0 && this.commitTickets[0]! <= ticket) {
      this.commitTickets.shift();
      writeTxCommitOk(ch.conn.out, ch.id);
    }
    ch.conn.scheduleFlush();
    return this.waitSeqs.length !== 0 || this.commitTickets.length !== 0;
  }

  // Hot path: route one message and enqueue it in every queue it reaches.
  private route(msg: Message, mandatory: boolean, immediate: boolean): void {
    const v = this.ch.vhost;
    const rk = msg.routingKey;
    const st = this.ch.stats;
    if (msg.exchange === '' && rk.startsWith(REPLY_TO_PREFIX)) {
      st.publish++;
      v.stats.publish++;
      if (!this.ch.conn.server.replyTo.deliver(rk, msg) && mandatory) this.sendReturn(312, 'NO_ROUTE', msg);
      return;
    }
    const x = v.exchanges.get(msg.exchange);
    if (x === undefined) throw channelError(404, `no exchange '${msg.exchange}' in vhost '${v.name}'`);
    if (x.internal) {
      throw channelError(403, `cannot publish to internal exchange '${msg.exchange}' in vhost '${v.name}'`);
    }
    // message_stats: publish on the channel and vhost, publish_in/publish_out on the exchange
    st.publish++;
    v.stats.publish++;
    x.stats.publishIn++;
    const queues = v.route(x, msg);
    const n = queues.length;
    x.stats.publishOut += n;
    if (n === 0) {
      // a duplicate dropped by x-message-deduplication is accepted, not returned
      if (v.duplicate) return;
      if (mandatory) this.sendReturn(312, 'NO_ROUTE', msg);
      else {
        // rabbit_channel: unroutable and not mandatory is drop_unroutable
        st.dropUnroutable++;
        v.stats.dropUnroutable++;
        this.ch.conn.server.broker.stats.dropUnroutable++;
      }
      return;
    }
    if (immediate) {
      // amqp0-9-1.xml basic.publish immediate: deliver only to queues with a consumer ready now; if none,
      // return 313 NO_CONSUMERS (RabbitMQ 3+ refuses the flag with 540 instead).
      const ready = queues.filter((q) => q.canDeliverNow(msg));
      if (ready.length === 0) {
        this.sendReturn(313, 'NO_CONSUMERS', msg);
        return;
      }
      for (const q of ready) if (!q.enqueue(msg)) this.refused = true;
      return;
    }
    if (n === 1) {
      const q = queues[0]!;
      // its one queue is the only holder of the message: a no-ack delivery may hand its body back
      msg.soleCopy = true;
      if (!q.enqueue(msg)) this.refused = true;
      if (q.overloaded) this.ch.conn.flowBlock(q);
      return;
    }
    // enqueue may dead-letter, which routes again (the vhost's scratch array): copy
    const targets = queues.slice();
    for (let i = 0; i < targets.length; i++) {
      const q = targets[i]!;
      if (!q.enqueue(msg)) this.refused = true;
      if (q.overloaded) this.ch.conn.flowBlock(q);
    }
  }

  private sendReturn(code: number, text: string, msg: Message): void {
    if (code === 312) {
      this.ch.conn.server.broker.stats.returnUnroutable++;
      this.ch.vhost.stats.returnUnroutable++;
      this.ch.stats.returnUnroutable++;
    }
    const out = this.ch.conn.out;
    writeBasicReturn(out, this.ch.id, code, text, msg.exchange, msg.routingKey);
    writeContentHeader(out, this.ch.id, 60, msg.bodySize, msg.propsIn(amqpFormat));
    writeBody(out, this.ch.id, msg.bodyParts, this.ch.conn.frameMax);
    this.ch.conn.scheduleFlush();
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
    const addr = this.ch.deliveries.replyToAddress();
    if (addr === null) throw channelError(406, `fast reply consumer does not exist`);
    p.replyTo = addr;
    const w = new Writer(props.length + 64);
    encodeProperties(w, p);
    return Buffer.from(w.take()!);
  }

  // ---- confirms --------------------------------------------------------------------------------

  confirmSelect(nowait: boolean): void {
    if (this.txMode) throw channelError(406, `cannot switch from tx to confirm mode`);
    this.confirmMode = true;
    if (!nowait) writeConfirmSelectOk(this.ch.conn.out, this.ch.id);
  }

  confirmPending(): boolean {
    return this.confirmedUpTo > this.confirmSentUpTo;
  }

  /** One basic.ack (multiple when it covers several) for everything confirmed since the last call. */
  sendConfirms(): void {
    if (this.ch.closing) return;
    const out = this.ch.conn.out;
    const upTo = this.confirmedUpTo;
    if (this.nacks.length !== 0) {
      // acks up to each nacked seq, then the nack itself (multiple=false); nacks past upTo (behind a
      // confirm still waiting for the fsync) wait too, so no ack ever covers an unsynced message
      let k = 0;
      for (; k < this.nacks.length && this.nacks[k]! <= upTo; k++) {
        const n = this.nacks[k]!;
        if (n - 1 > this.confirmSentUpTo) {
          writeBasicAck(out, this.ch.id, n - 1, n - 1 - this.confirmSentUpTo > 1);
          this.countConfirms(n - 1 - this.confirmSentUpTo);
        }
        writeBasicNack(out, this.ch.id, n, false, false);
        this.confirmSentUpTo = n;
      }
      this.nacks = k === this.nacks.length ? [] : this.nacks.slice(k);
      if (upTo === this.confirmSentUpTo) return;
    }
    writeBasicAck(out, this.ch.id, upTo, upTo - this.confirmSentUpTo > 1);
    this.countConfirms(upTo - this.confirmSentUpTo);
    this.confirmSentUpTo = upTo;
  }

  /** message_stats.confirm on the node, the vhost and this channel (once per basic.ack sent, not per message). */
  private countConfirms(n: number): void {
    this.ch.conn.server.broker.stats.confirm += n;
    this.ch.vhost.stats.confirm += n;
    this.ch.stats.confirm += n;
  }

  // ---- transactions ----------------------------------------------------------------------------

  txSelect(): void {
    if (this.confirmMode) throw channelError(406, `cannot switch from confirm to tx mode`);
    this.txMode = true;
    writeTxSelectOk(this.ch.conn.out, this.ch.id);
  }

  txCommit(): void {
    if (!this.txMode) throw channelError(406, `channel is not transactional`);
    const pubs = this.txPublishes;
    this.txPublishes = [];
    const store = this.ch.conn.server.broker.store;
    const before = store === null ? 0 : store.appended;
    for (const p of pubs) this.route(p.msg, p.mandatory, p.immediate);
    this.refused = false;
    this.ch.deliveries.txCommit();
    // commit-ok only once the committed persistent messages are on disk (and after any earlier commit-ok)
    if (store !== null && (store.appended !== before || this.commitTickets.length !== 0)) {
      this.commitTickets.push(store.appended);
      store.addSyncWaiter(this);
    } else {
      writeTxCommitOk(this.ch.conn.out, this.ch.id);
    }
  }

  txRollback(): void {
    if (!this.txMode) throw channelError(406, `channel is not transactional`);
    this.txPublishes = [];
    this.ch.deliveries.txRollback();
    writeTxRollbackOk(this.ch.conn.out, this.ch.id);
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
