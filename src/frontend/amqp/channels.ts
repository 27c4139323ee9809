// A connection's channel table: channel.open and channel.close (they change the table), the routing of each
// channel method and content frame to its channel (amqp0-9-1.xml channel.close: a closing channel discards
// all but close / close-ok), and what the connection does over all its channels (confirms before a flush,
// resuming consumers, consumer timeouts, teardown, management's view).
import { MethodId, writeChannelCloseOk, type AmqpMethod } from '../../codec/amqp/methods.generated.js';
import type { ChannelInfo } from '../../core/broker.js';
import { AuthzPending } from '../../core/auth/authz.js';
import { READ_BUDGET } from '../net/read-budget.js';
import type { AmqpChannel } from './channel.js';
import type { AmqpConnectionContext } from './context.js';
import { channelFailure } from './error-boundary.js';
import { ConnectionReplyCode, connectionError } from './errors.js';
import { channelClose, channelOpen } from './handlers/channel.js';
import { channelMethod } from './handlers/index.js';
import type { AmqpReadGate } from './read-gate.js';

/**
 * What one exchange or queue method (declare, delete, bind, …) costs against the read budget: 64 of them fill
 * a turn. A client pipelining thousands of declares would otherwise hold the event loop for a whole socket
 * read (256 KiB: ~4,000 declares), and every other connection's round trip with it. Erlang gets this from its
 * reduction budget; publishes and acks cost only their frames (they are cheap).
 */
const SLOW_OP_COST = READ_BUDGET / 64;

export class ChannelTable {
  /** By channel number; undefined once closed. */
  readonly list: (AmqpChannel | undefined)[] = [];
  /**
   * The channels in `list` (open, or closing and awaiting close-ok), densely: what channel_max bounds and what the
   * per-flush walks visit. A number may be anything up to 65535 (channel_max counts channels, not numbers), so a
   * walk over `list` would cost a hostile client's highest number on every flush of its connection.
   */
  private readonly live: AmqpChannel[] = [];

  constructor(
    private readonly conn: AmqpConnectionContext,
    private readonly gate: AmqpReadGate,
  ) {}

  /** A method on channel `channel` (not 0) of an open connection. */
  onMethod(channel: number, m: AmqpMethod, payload: Buffer): void {
    let ch = this.list[channel];
    if (ch !== undefined && ch.closing) {
      // amqp0-9-1.xml channel.close: after sending close, discard everything but close / close-ok
      if (m.id === MethodId.ChannelCloseOk) this.drop(channel);
      else if (m.id === MethodId.ChannelClose) writeChannelCloseOk(this.conn.out, channel);
      return;
    }
    if (ch !== undefined) ch.checkNotExpectingContent();
    if (m.id === MethodId.ChannelOpen) {
      if (ch !== undefined) {
        throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `second 'channel.open' seen`);
      }
      ch = channelOpen(this.conn, channel, this.live.length);
      this.list[channel] = ch;
      this.live.push(ch);
      return;
    }
    if (ch === undefined) {
      throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `expected 'channel.open'`);
    }
    if (m.id === MethodId.ChannelClose) {
      channelClose(ch);
      this.drop(channel);
      // under a connection-wide basic.qos (the spec's global=true) what it held unacked is room for the rest
      if (this.conn.qosCount !== 0 || this.conn.qosSize !== 0) this.resumeConsumers();
      return;
    }
    const cls = m.id >>> 16;
    if (cls === 50 || cls === 40) this.gate.spend(SLOW_OP_COST);
    try {
      channelMethod(ch, m, payload);
    } catch (e) {
      if (e instanceof AuthzPending) {
        // an auth backend answers later (HTTP): stop after this frame (the decoder keeps the rest of the
        // read) and handle the method again with the answer; handlers check before they act
        this.conn.decoder.yieldAfterFrame();
        const copy = Buffer.from(payload);
        return this.conn.awaitAuth(e.answered, () => this.onMethod(channel, m, copy));
      }
      ch = this.list[channel];
      if (ch) channelFailure(ch, e, cls, m.id & 0xffff);
      else throw e;
    }
  }

  /** A content header (`header`) or body frame for channel `ch`: the publisher's (basic.publish content). */
  onContent(ch: AmqpChannel, header: boolean, payload: Buffer): void {
    try {
      if (header) ch.publisher.onContentHeader(payload);
      else ch.publisher.onContentBody(payload);
    } catch (e) {
      channelFailure(ch, e, 60, 40);
    }
  }

  /** Before each flush: one basic.ack per channel for the publishes confirmed since the last. */
  sendConfirms(): void {
    for (const ch of this.live) if (ch.confirms.pending()) ch.confirms.send();
  }

  /** Output room again: starved consumers get another chance. */
  resumeConsumers(): void {
    for (const ch of this.live) ch.deliveries.resumeConsumers();
  }

  /** Unacked deliveries (or their bytes) over all channels (a connection-wide basic.qos). */
  unackedTotal(bytes: boolean): number {
    let n = 0;
    for (const ch of this.live) n += bytes ? ch.deliveries.unackedBytes : ch.deliveries.unacked.size;
    return n;
  }

  /** Consumer timeouts (the 1 s tick): true if a channel was closed for one (its channel.close to flush). */
  closeTimedOut(now: number, brokerTimeout: number): boolean {
    let closed = false;
    for (const ch of this.live) if (!ch.closing && ch.consumerTimedOut(now, brokerTimeout)) closed = true;
    return closed;
  }

  /** A consumer that acks (a publisher with one is never paused by flow control, or it could not ack its way out). */
  hasAckingConsumers(): boolean {
    for (const ch of this.live) for (const c of ch.deliveries.consumers.values()) if (!c.noAck) return true;
    return false;
  }

  /** Every channel releases what it holds (consumers, unacked messages requeued). */
  teardown(): void {
    for (const ch of this.live) {
      ch.teardown();
      this.list[ch.id] = undefined;
    }
    this.live.length = 0;
  }

  private drop(channel: number): void {
    const ch = this.list[channel];
    if (ch === undefined) return;
    this.list[channel] = undefined;
    this.live.splice(this.live.indexOf(ch), 1);
  }

  /** Open channels (channel_max, the user's max-channels limit, management). */
  get count(): number {
    return this.live.length;
  }

  /** The open channels, for management (GET /api/channels). */
  infos(): ChannelInfo[] {
    const out: ChannelInfo[] = [];
    for (const ch of this.live) {
      if (ch.closing) continue;
      const d = ch.deliveries;
      out.push({
        number: ch.id,
        consumerCount: d.consumers.size,
        messagesUnacknowledged: d.unacked.size,
        prefetchCount: d.prefetchCount,
        globalPrefetchCount: d.globalPrefetchCount,
        confirm: ch.confirmMode,
        transactional: ch.txMode,
        stats: ch.stats,
      });
    }
    return out;
  }
}
