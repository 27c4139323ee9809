// A publisher declared on a Stream protocol connection (DeclarePublisher): its stream, its reference (for
// deduplication: publishing ids at or below the stream's recorded sequence for the reference are confirmed
// without being stored again, as osiris's writer tracking does), and its confirms. A PublishConfirm goes out
// only once what it confirms is on disk: each publish notes the message store's ticket after its appends, and
// the store's group commit (the same fsync that covers 0-9-1 confirms, which waits for the streams' fdatasync)
// releases them, one PublishConfirm per publisher per fsync. With memory storage there is nothing to wait for.
import { writePublishConfirm } from '../../codec/stream/deliver.js';
import type { MessageStore, SyncWaiter } from '../../core/queue/backing.js';
import type { StreamQueue, StreamWatcher } from '../../core/queue/stream/stream-queue.js';

/** What a publisher needs of its connection. */
export interface PublisherHost {
  readonly w: import('../../codec/buffer/writer.js').Writer;
  queueWritten(): void;
  readonly counters: { confirmed: number };
  /** The stream was deleted: the connection tells its client (MetadataUpdate) and forgets the publisher. */
  streamGone(q: StreamQueue): void;
}

export class StreamPublisher implements SyncWaiter, StreamWatcher {
  /** Publishing ids waiting for their fsync, with the store ticket each waits for. */
  private ids: number[] = [];
  private tickets: number[] = [];
  private head = 0;
  private waiting = false;
  closed = false;
  /** For management: messages published and confirmed, errors. */
  published = 0;
  confirmed = 0;
  errored = 0;

  constructor(
    readonly id: number,
    readonly reference: string | null,
    readonly queue: StreamQueue,
    private readonly host: PublisherHost,
    private readonly store: MessageStore | null,
  ) {
    queue.watchers.add(this);
  }

  get streamName(): string {
    return this.queue.name;
  }

  /** Confirm `publishingId` once what was appended so far is durable. */
  confirmLater(publishingId: number): void {
    const store = this.store;
    if (store === null || store.synced >= store.appended) {
      this.ids.push(publishingId);
      this.tickets.push(-1);
      this.scheduleNow();
      return;
    }
    this.ids.push(publishingId);
    this.tickets.push(store.appended);
    if (!this.waiting) {
      this.waiting = true;
      store.addSyncWaiter(this);
    }
  }

  private immediate = false;
  private scheduleNow(): void {
    if (this.immediate) return;
    this.immediate = true;
    // after this frame's other messages: one PublishConfirm for the lot
    queueMicrotask(() => {
      this.immediate = false;
      this.release(this.store?.synced ?? Infinity);
    });
  }

  /** The store fsynced up to `ticket` (SyncWaiter). */
  synced(ticket: number): boolean {
    this.release(ticket);
    this.waiting = this.head < this.ids.length && !this.closed;
    return this.waiting;
  }

  private release(ticket: number): void {
    if (this.closed) return;
    const from = this.head;
    let to = from;
    const t = this.tickets;
    while (to < this.ids.length && t[to]! <= ticket) to++;
    if (to === from) return;
    writePublishConfirm(this.host.w, this.id, this.ids, from, to);
    this.host.queueWritten();
    this.confirmed += to - from;
    this.host.counters.confirmed += to - from;
    if (to === this.ids.length) {
      this.ids.length = 0;
      this.tickets.length = 0;
      this.head = 0;
    } else this.head = to;
  }

  streamDeleted(q: StreamQueue): void {
    this.host.streamGone(q);
  }

  close(): void {
    this.closed = true;
    this.queue.watchers.delete(this);
  }
}
