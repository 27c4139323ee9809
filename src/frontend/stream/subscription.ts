// A subscription on a Stream protocol connection (Subscribe): a chunk reader on its stream from the offset
// specification, credit counted in chunks (PROTOCOL.adoc "Credit": each Deliver uses one), and each stored
// chunk sent as it is (Deliver: its 48-byte header and its data, without the bloom filter and trailer, as
// osiris send_file does; the client skips the messages before the offset it asked for). Filters (filter.N,
// match-unfiltered) skip whole chunks whose bloom filter cannot match (osiris_bloom); the client filters the
// messages of the chunks it gets, as with RabbitMQ. A single-active-consumer subscription that is not active
// reads nothing (sac.ts).
import { CHUNK_HEADER_SIZE } from '../../codec/stream/chunk.js';
import type { BloomMatcher } from '../../codec/stream/bloom.js';
import { writeDeliverPrefix } from '../../codec/stream/deliver.js';
import { REF_MIN, type Writer } from '../../codec/buffer/writer.js';
import type { StreamProtocolCounters } from '../../core/global-counters.js';
import type { StreamChunkReader } from '../../core/queue/stream/backing.js';
import type {
  ExternalConsumer,
  OffsetHolder,
  StreamQueue,
  StreamWatcher,
} from '../../core/queue/stream/stream-queue.js';
import { sacKey, type SacMember } from './sac.js';

/** What a subscription needs of its connection. */
export interface SubscriptionHost {
  readonly id: number;
  readonly w: Writer;
  readonly deliverV2: boolean;
  readonly counters: { delivered: number };
  readonly g: StreamProtocolCounters;
  queueWritten(): void;
  /** Room in the socket's output (StreamConnection.canWrite). */
  canWrite(): boolean;
  /** Call `fn` once everything queued so far is written to the socket (StreamConnection.afterWrite). */
  afterWrite(fn: () => void): void;
  streamGone(q: StreamQueue): void;
  /**
   * Tell the client whether the subscription is active (ConsumerUpdate); the answer starts an active one,
   * and runs `answered` (if given) for an inactive one.
   */
  consumerUpdate(sub: StreamSubscription, active: boolean, answered?: (() => void) | null): void;
}

export class StreamSubscription implements StreamWatcher, SacMember {
  credit: number;
  /** The offset the subscription starts at (chunks before it are skipped whole). */
  startOffset = 0;
  /** First offset of the last chunk delivered and its last offset (management's offset and lag). */
  lastChunkId = -1;
  offset = -1;
  chunks = 0;
  messages = 0;
  /** Single active consumer: false while another consumer of the group is active (nothing is read). */
  active = true;
  private reader: StreamChunkReader | null = null;
  private reading = false;
  private closed = false;
  /** Output had no room: the connection's 'drain' pumps again. */
  starved = false;

  constructor(
    readonly id: number,
    readonly queue: StreamQueue,
    readonly properties: Record<string, string>,
    credit: number,
    readonly filter: BloomMatcher | null,
    private readonly host: SubscriptionHost,
  ) {
    this.credit = credit;
    queue.watchers.add(this);
    queue.externalReaders.add(this.position);
  }

  /**
   * Its place among the stream's readers (management's readers, rabbitmq_stream_consumer_max_offset_lag) and
   * its row among the queue's consumers, as RabbitMQ counts a subscription (osiris reader, consumer_created).
   */
  private readonly position: OffsetHolder & { consumer: ExternalConsumer } = ((sub: StreamSubscription) => ({
    get offset() {
      return Math.max(sub.offset, sub.startOffset - 1);
    },
    consumer: {
      // getters: the constructor's parameter properties are set after field initializers run
      get tag() {
        return `stream.subid-${sub.id}`;
      },
      get connectionId() {
        return sub.host.id;
      },
      get properties() {
        return sub.properties;
      },
      get active() {
        return sub.active;
      },
      get activityStatus() {
        return sub.sacKey === null ? 'up' : sub.active ? 'single_active' : 'waiting';
      },
    },
  }))(this);

  /** Its single-active-consumer group, or null. */
  get sacKey(): string | null {
    const name = this.name;
    if (this.properties['single-active-consumer'] !== 'true' || name === null) return null;
    return sacKey(this.queue.vhost, this.queue.name, name);
  }

  /** Its index among its super stream's partitions (`super-stream` property), -1 when none (sac.ts). */
  partitionIndex = -1;

  activate(): void {
    this.host.consumerUpdate(this, true);
  }

  deactivate(answered: (() => void) | null): void {
    this.stop();
    this.host.consumerUpdate(this, false, answered);
  }

  /** The consumer name (offset tracking reference, SAC group), or null. */
  get name(): string | null {
    return this.properties['name'] ?? null;
  }

  /** Start reading at `offset` (Subscribe, or a ConsumerUpdate answer for a newly active consumer). */
  start(offset: number): void {
    this.reader?.close();
    const b = this.queue.streamBacking;
    if (b === null || this.closed) return;
    this.startOffset = offset;
    this.reader = b.chunkReader(offset);
    this.reading = false;
    this.pump();
  }

  /** Stop reading (an active consumer stepping down, or the end). */
  stop(): void {
    this.reader?.close();
    this.reader = null;
  }

  addCredit(n: number): void {
    this.credit = Math.min(this.credit + n, 0xffff);
    this.pump();
  }

  /** Deliver chunks while there is credit and output room; read more when the buffered ones are done. */
  pump(): void {
    const r = this.reader;
    if (r === null || this.closed || !this.active) return;
    const h = this.host;
    while (this.credit > 0) {
      if (!h.canWrite()) {
        this.starved = true;
        return;
      }
      const c = r.take();
      if (c === null) {
        if (!this.reading) this.read(r);
        return;
      }
      const head = c.head;
      const records = head.readUInt32BE(4);
      const chunkId = head.readUInt32BE(24) * 4294967296 + head.readUInt32BE(28);
      // a chunk wholly before the start offset (a reader starts at the chunk holding it) is not sent
      if (chunkId + records <= this.startOffset && records > 0) continue;
      if (this.filter !== null && !this.filter.matches(head.subarray(CHUNK_HEADER_SIZE))) continue;
      const dataLength = head.readUInt32BE(36);
      const w = h.w;
      writeDeliverPrefix(w, this.id, CHUNK_HEADER_SIZE + dataLength, h.deliverV2 ? this.committed() : undefined);
      w.bytes(head.subarray(0, CHUNK_HEADER_SIZE));
      // the data as it lies in the read buffers (one view, or two when it spans two reads): queued by
      // reference, written to the socket from there (one writev with the frame headers), never copied
      for (const d of c.data) {
        if (d.length >= REF_MIN) w.ref(d);
        else w.bytes(d);
      }
      h.queueWritten();
      this.credit--;
      this.chunks++;
      this.messages += records;
      h.counters.delivered += records;
      h.g.delivered += records;
      this.lastChunkId = chunkId;
      this.offset = chunkId + records - 1;
    }
  }

  private committed(): number {
    const b = this.queue.streamBacking;
    return b === null ? 0 : Math.max(0, b.committedChunkId);
  }

  private readonly whenWritten = (release: () => void): void => this.host.afterWrite(release);

  private read(r: StreamChunkReader): void {
    this.reading = true;
    r.fill(this.whenWritten).then(
      (more) => {
        if (this.reader !== r) return;
        this.reading = false;
        if (more) this.pump();
      },
      () => {
        // retention deleted the segment under the reader: it moved on; try again shortly
        if (this.reader !== r) return;
        this.reading = false;
        setTimeout(() => this.pump(), 10).unref();
      },
    );
  }

  /** Messages in the stream after what was delivered (management's consumer lag). */
  get lag(): number {
    const b = this.queue.streamBacking;
    if (b === null) return 0;
    return Math.max(0, b.nextOffset - 1 - Math.max(this.offset, this.startOffset - 1));
  }

  streamDeleted(q: StreamQueue): void {
    this.host.streamGone(q);
  }

  close(): void {
    this.closed = true;
    this.stop();
    this.queue.watchers.delete(this);
    this.queue.externalReaders.delete(this.position);
  }
}
