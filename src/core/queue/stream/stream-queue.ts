// A stream queue (x-queue-type: stream, https://www.rabbitmq.com/docs/streams): an append-only log with
// offsets. Publishing appends (storage writes one osiris chunk per turn); consuming is non-destructive: each
// consumer reads from its own offset (x-stream-offset) and follows the tail. Over AMQP 0-9-1 a consumer needs
// manual acks and a prefetch (the front end refuses others as RabbitMQ does); acks only give credit back.
// Retention (x-max-length-bytes, x-max-age) deletes whole segments (storage).
import { notImplemented, rs } from '../../errors.js';
import { QueuedMessage, type Message } from '../../message.js';
import type { Owner } from '../consumer.js';
import { Queue, type Consumer, type QueueCallbacks } from '../queue.js';
import type { QueueSettings } from '../settings.js';
import type { OffsetSpec, StreamBacking, StreamFilter, StreamReader } from './backing.js';

/** Messages handed to one consumer per dispatch turn before yielding to the event loop. */
const BUDGET = 4096;

/** One consumer's place in the stream. */
class Cursor {
  /** The next message, built, waiting for the consumer's credit. */
  head: QueuedMessage | null = null;
  reading = false;
  closed = false;
  /** The offset of the last message delivered (start - 1 before the first). */
  delivered: number;
  constructor(
    readonly reader: StreamReader,
    /** The first offset it reads. */
    readonly start: number,
  ) {
    this.delivered = start - 1;
  }
}

/** Something reading the stream at an offset (a Stream protocol subscription), for lag and reader counts. */
export interface OffsetHolder {
  /** The offset of the last message handed out, or the start offset - 1 before the first. */
  readonly offset: number;
  /**
   * A Stream protocol subscription is also one of the queue's consumers in management, as RabbitMQ registers
   * it (rabbit_stream_metrics:consumer_created/9: tag "stream.subid-N", no ack, prefetch 0, its properties as
   * arguments).
   */
  readonly consumer?: ExternalConsumer;
}

export interface ExternalConsumer {
  readonly tag: string;
  readonly connectionId: number;
  readonly properties: Record<string, string>;
  readonly active: boolean;
  /** single_active, waiting or up (rabbit_stream_metrics:consumer_activity_status/2). */
  readonly activityStatus: string;
}

/** A Stream protocol publisher or subscription on the stream: told when it is deleted (MetadataUpdate). */
export interface StreamWatcher {
  streamDeleted(q: StreamQueue): void;
}

export class StreamQueue extends Queue {
  private stream: StreamBacking | null = null;
  /** Stream protocol publishers and subscriptions (they read chunks themselves, not as core consumers). */
  readonly watchers = new Set<StreamWatcher>();
  private readonly cursors = new Map<Consumer, Cursor>();
  private readonly specs = new Map<Consumer, { spec: OffsetSpec; filter: StreamFilter | null }>();

  constructor(
    name: string,
    vhost: string,
    args: Record<string, unknown>,
    callbacks: QueueCallbacks,
    settings: QueueSettings,
    owner: Owner | null = null,
  ) {
    super(name, vhost, true, owner, false, args, 'stream', callbacks, settings);
  }

  /** Storage attaches the log (at declare, or at boot for a recovered stream). */
  attachStream(b: StreamBacking): void {
    this.stream = b;
    this.configureStream();
  }

  get streamBacking(): StreamBacking | null {
    return this.stream;
  }

  /**
   * Readers other than this queue's consumers (the Stream protocol front end adds its subscriptions and
   * removes them on unsubscribe), counted in `readers` and `maxOffsetLag`.
   */
  readonly externalReaders = new Set<OffsetHolder>();

  /** The offset of the last message written (RabbitMQ's committed_offset), -1 when empty. */
  get committedOffset(): number {
    return (this.stream?.nextOffset ?? 0) - 1;
  }

  /** Stream protocol subscriptions, shown among the queue's consumers by management. */
  get externalConsumers(): ExternalConsumer[] {
    const out: ExternalConsumer[] = [];
    for (const r of this.externalReaders) if (r.consumer !== undefined) out.push(r.consumer);
    return out;
  }

  /** Readers of the stream: this queue's consumers and the external ones (management's "readers"). */
  get readerCount(): number {
    return this.cursors.size + this.externalReaders.size;
  }

  /**
   * The largest lag among the readers: committed offset minus the reader's last offset
   * (rabbitmq_stream_consumer_max_offset_lag; 0 with no reader).
   */
  maxOffsetLag(): number {
    const committed = this.committedOffset;
    let max = 0;
    for (const cur of this.cursors.values()) {
      if (committed - cur.delivered > max) max = committed - cur.delivered;
    }
    for (const r of this.externalReaders) if (committed - r.offset > max) max = committed - r.offset;
    return max;
  }

  /** Streams do not enforce exclusive consumers (rabbit_stream_queue:consume/3 only reports the flag). */
  override get exclusiveConsumer(): Consumer | null {
    return null;
  }

  override get messageCount(): number {
    const b = this.stream;
    // durable messages only: a publisher that sees its message counted has had its confirm (backing.ts)
    return b === null ? 0 : Math.max(0, b.durableEnd - b.firstOffset);
  }

  override applySettings(s: QueueSettings): void {
    super.applySettings(s);
    this.configureStream();
  }

  private configureStream(): void {
    const s = this.settings;
    this.stream?.configure(s.maxLengthBytes, s.maxAge, s.streamMaxSegmentSize);
  }

  /** Hot path: append (converted to AMQP 1.0 once); the chunk is written and fsynced by storage. */
  override enqueue(msg: Message): boolean {
    const b = this.stream;
    if (this.deleted || b === null) return false;
    b.appendMessage(msg);
    this.stats.publish++;
    return true;
  }

  /**
   * Where the consumer `c`, added next, starts (basic.consume's x-stream-offset; "next" when not given) and
   * what it filters on (x-stream-filter, x-stream-match-unfiltered).
   */
  startAt(c: Consumer, spec: OffsetSpec, filter: StreamFilter | null = null): void {
    this.specs.set(c, { spec, filter });
  }

  override addConsumer(c: Consumer): void {
    const b = this.stream;
    const s = this.specs.get(c);
    this.specs.delete(c);
    if (b !== null) {
      const start = startOffset(b, s?.spec ?? { kind: 'next' });
      this.cursors.set(c, new Cursor(b.reader(start, this.name, s?.filter ?? null), start));
    }
    super.addConsumer(c);
  }

  override removeConsumer(c: Consumer): void {
    this.closeCursor(c);
    super.removeConsumer(c);
  }

  private closeCursor(c: Consumer): void {
    const cur = this.cursors.get(c);
    if (cur === undefined) return;
    cur.closed = true;
    cur.reader.close();
    this.cursors.delete(c);
  }

  override dispatch(): void {
    if (this.deleted) return;
    for (const [c, cur] of this.cursors) this.pump(c, cur);
  }

  /** Deliver to `c` while it has credit; read the next chunks when its buffered ones are done. */
  private pump(c: Consumer, cur: Cursor): void {
    let budget = BUDGET;
    for (;;) {
      if (cur.head === null && !this.advance(cur)) return;
      const e = cur.head!;
      if (!c.canTake(e)) return;
      if (budget-- === 0) {
        setImmediate(() => {
          if (!cur.closed) this.pump(c, cur);
        });
        return;
      }
      cur.head = null;
      cur.delivered = e.seq;
      e.deliveryCount = 1;
      this.stats.deliver++;
      this.unackedCount++;
      c.deliver(e, this);
      if (cur.closed) return;
    }
  }

  /** Take the next message into cur.head; false when a read is needed (started here). */
  private advance(cur: Cursor): boolean {
    const m = cur.reader.take();
    if (m !== null) {
      cur.head = new QueuedMessage(m, cur.reader.offset);
      return true;
    }
    if (!cur.reading) this.read(cur);
    return false;
  }

  private read(cur: Cursor): void {
    cur.reading = true;
    cur.reader.fill().then(
      (more) => {
        cur.reading = false;
        if (!more || cur.closed || this.deleted) return;
        for (const [c, x] of this.cursors) if (x === cur) this.pump(c, cur);
      },
      () => {
        // the reader failed (its segment deleted under it): it moved on; try again shortly
        cur.reading = false;
        setTimeout(() => {
          if (!cur.closed && !this.deleted) this.dispatch();
        }, 10).unref();
      },
    );
  }

  // ---- acks give credit back; nothing leaves the stream ------------------------------------------

  override ack(_entry: QueuedMessage): void {
    if (this.deleted) return;
    this.unackedCount--;
    this.stats.ack++;
  }

  override discard(_entry: QueuedMessage): void {
    if (!this.deleted) this.unackedCount--;
  }

  /** A nack/reject with requeue or a closed channel: the message stays in the stream anyway. */
  override requeue(entries: QueuedMessage[]): void {
    if (this.deleted || entries.length === 0) return;
    this.unackedCount -= entries.length;
    this.dispatch();
  }

  // RabbitMQ 3.10-3.13 (rabbit_stream_queue): 540 NOT_IMPLEMENTED, a connection error
  override get(_noAck: boolean): QueuedMessage | null {
    throw notImplemented(`basic.get not supported by stream queues ${rs('queue', this.name, this.vhost)}`);
  }

  override purge(): number {
    throw notImplemented(`queue.purge not supported by stream queues ${rs('queue', this.name, this.vhost)}`);
  }

  /** rabbit_stream_queue:delete/4 ignores if-unused and if-empty: a stream is deleted regardless. */
  override deleteRefused(): string | null {
    return null;
  }

  override markDeleted(): void {
    for (const c of [...this.cursors.keys()]) this.closeCursor(c);
    super.markDeleted();
    this.stream?.deleted();
    for (const w of [...this.watchers]) w.streamDeleted(this);
    this.watchers.clear();
  }
}

/** The first offset a consumer with `spec` gets. */
export function startOffset(b: StreamBacking, spec: OffsetSpec): number {
  switch (spec.kind) {
    case 'first':
      return b.firstOffset;
    case 'last':
      return b.lastChunkId;
    case 'next':
      return b.nextOffset;
    case 'offset':
      return Math.min(Math.max(spec.offset, b.firstOffset), b.nextOffset);
    case 'timestamp':
      return b.offsetForTimestamp(spec.ms);
  }
}
