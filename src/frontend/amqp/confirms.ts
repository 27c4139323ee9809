// Publisher confirms (RabbitMQ's confirm extension: https://www.rabbitmq.com/docs/confirms): every publish
// on a channel in confirm mode gets a sequence number, confirmed by one basic.ack (multiple when it covers
// several) per event-loop turn, or a basic.nack when a queue refused it. A persistent message that reached a
// durable queue is confirmed only once the message store has fsynced it; so is a tx.commit-ok. When a write or
// fsync fails, the publishes waiting for it are nacked (RabbitMQ nacks what a failed queue held: the broker
// "refuses responsibility", the client may republish); a tx.commit-ok keeps waiting for the retry that works.
import { writeBasicAck, writeBasicNack, writeTxCommitOk } from '../../codec/amqp/methods.generated.js';
import type { MessageStore, SyncWaiter } from '../../core/queue/backing.js';
import type { ChannelContext } from './context.js';

export class PublisherConfirms implements SyncWaiter {
  /** Publishes seen in confirm mode (the delivery tags of basic.ack to the publisher). */
  private publishSeq = 0;
  private confirmedUpTo = 0;
  private confirmSentUpTo = 0;
  /** Publish seqs to be nacked (a queue refused the message: x-overflow reject-publish), ascending. */
  private nacks: number[] = [];
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

  constructor(private readonly ch: ChannelContext) {}

  /** A publish arrived in confirm mode: it takes the next sequence number. */
  received(): void {
    this.publishSeq++;
    this.ch.conn.server.broker.stats.receivedConfirm++;
  }

  /** The publish was routed and nothing of it waits for the store: confirm it this turn. */
  routed(refused: boolean): void {
    // RabbitMQ: a message refused by any queue it was routed to is nacked
    if (refused) this.nacks.push(this.publishSeq);
    this.confirmedUpTo = this.publishSeq;
    this.ch.conn.output.scheduleFlush();
  }

  /** The publish was routed with a message store in use (`before`: store.appended before routing). */
  stored(refused: boolean, store: MessageStore, before: number): void {
    if (refused) this.nacks.push(this.publishSeq);
    // a persistent message reached a durable queue (or an earlier one is still waiting): ack after fsync
    if (store.appended !== before || this.waitHead < this.waitSeqs.length) this.confirmAfterSync(store);
    else {
      this.confirmedUpTo = this.publishSeq;
      this.ch.conn.output.scheduleFlush();
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

  /**
   * tx.commit routed its publishes (`before`: store.appended before): commit-ok only once the committed
   * persistent messages are on disk (and after any earlier commit-ok).
   */
  commitOk(store: MessageStore | null, before: number): void {
    if (store !== null && (store.appended !== before || this.commitTickets.length !== 0)) {
      this.commitTickets.push(store.appended);
      store.addSyncWaiter(this);
    } else {
      writeTxCommitOk(this.ch.conn.out, this.ch.id);
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
    // out now, not at the end of the turn: this runs in the fsync's completion callback, and the rest of the
    // turn may be another client's work (a drain's ack releasing hundreds of deliveries: issue 12's probe
    // waited for it after its fsync as well as before); one write per fsync and connection
    ch.conn.output.flush();
    return this.waitSeqs.length !== 0 || this.commitTickets.length !== 0;
  }

  /**
   * A write or fsync failed (SyncWaiter): every publish waiting for the store is nacked (all of them, from the
   * first unconfirmed on: a transient one behind a persistent one waits too, and acks never skip ahead).
   */
  failed(): boolean {
    const seqs = this.waitSeqs;
    if (!this.ch.closing && this.waitHead < seqs.length) {
      const from = this.confirmedUpTo + 1;
      const to = seqs[seqs.length - 1]!;
      const nacks: number[] = [];
      for (const n of this.nacks) if (n < from) nacks.push(n);
      for (let s = from; s <= to; s++) nacks.push(s);
      for (const n of this.nacks) if (n > to) nacks.push(n);
      this.nacks = nacks;
      this.confirmedUpTo = to;
      this.ch.conn.output.scheduleFlush();
    }
    this.waitSeqs = [];
    this.waitTickets = [];
    this.waitHead = 0;
    return this.commitTickets.length !== 0 && !this.ch.closing;
  }

  /** Something confirmed is not acked yet (checked by every flush). */
  pending(): boolean {
    return this.confirmedUpTo > this.confirmSentUpTo;
  }

  /** One basic.ack (multiple when it covers several) for everything confirmed since the last call. */
  send(): void {
    const ch = this.ch;
    if (ch.closing) return;
    const out = ch.conn.out;
    const upTo = this.confirmedUpTo;
    if (this.nacks.length !== 0) {
      // acks up to each nacked seq, then the nack itself (multiple for a run of consecutive ones: everything
      // after the last ack up to its tag); nacks past upTo (behind a confirm still waiting for the fsync) wait
      // too, so no ack ever covers an unsynced message
      const nacks = this.nacks;
      let k = 0;
      for (; k < nacks.length && nacks[k]! <= upTo; k++) {
        const n = nacks[k]!;
        if (n - 1 > this.confirmSentUpTo) {
          writeBasicAck(out, ch.id, n - 1, n - 1 - this.confirmSentUpTo > 1);
          this.count(n - 1 - this.confirmSentUpTo);
        }
        let end = n;
        while (k + 1 < nacks.length && nacks[k + 1] === end + 1 && end + 1 <= upTo) end = nacks[++k]!;
        writeBasicNack(out, ch.id, end, end > n, false);
        this.confirmSentUpTo = end;
      }
      this.nacks = k === this.nacks.length ? [] : this.nacks.slice(k);
      if (upTo === this.confirmSentUpTo) return;
    }
    writeBasicAck(out, ch.id, upTo, upTo - this.confirmSentUpTo > 1);
    this.count(upTo - this.confirmSentUpTo);
    this.confirmSentUpTo = upTo;
  }

  /** message_stats.confirm on the node, the vhost and this channel (once per basic.ack sent, not per message). */
  private count(n: number): void {
    this.ch.conn.server.broker.stats.confirm += n;
    this.ch.vhost.stats.confirm += n;
    this.ch.stats.confirm += n;
  }
}
