// A publisher declared on a Stream protocol connection (DeclarePublisher): its stream, its reference (for
// deduplication: publishing ids at or below the stream's recorded sequence for the reference are confirmed
// without being stored again, as osiris's writer tracking does), and its confirms. A PublishConfirm goes out
// only once what it confirms is on disk: each publish notes the message store's ticket after its appends, and
// the store's group commit (the same fsync that covers 0-9-1 confirms, which waits for the streams' fdatasync)
// releases them, one PublishConfirm per publisher per fsync (split past MAX_CONFIRM_IDS ids, so a frame stays
// far under any frame max). The ids wait in runs that share a ticket (one run per turn of publishes, not a
// ticket per message), and the array of ids is compacted as it is confirmed: a publisher that never lets
// its confirms catch up does not grow it for ever. With memory storage there is nothing to wait for.
import { ResponseCode } from '../../codec/stream/constants.js';
import { writePublishConfirm } from '../../codec/stream/deliver.js';
import type { StreamProtocolCounters } from '../../core/global-counters.js';
import type { MessageStore, SyncWaiter } from '../../core/queue/backing.js';
import type { StreamQueue, StreamWatcher } from '../../core/queue/stream/stream-queue.js';

/** What a publisher needs of its connection. */
export interface PublisherHost {
  readonly w: import('../../codec/buffer/writer.js').Writer;
  queueWritten(): void;
  readonly counters: { confirmed: number };
  readonly g: StreamProtocolCounters;
  /** The stream was deleted: the connection tells its client (MetadataUpdate) and forgets the publisher. */
  streamGone(q: StreamQueue): void;
  /** A PublishError frame: these publishing ids were refused with `code`. */
  publishErrors(publisherId: number, ids: number[], code: number): void;
}

/** Publishing ids per PublishConfirm frame at most (8 bytes each: 64 KiB frames). */
const MAX_CONFIRM_IDS = 8192;
/** The confirmed ids at the front of the array are dropped once there are this many (and half of it). */
const COMPACT_AT = 4096;

export class StreamPublisher implements SyncWaiter, StreamWatcher {
  /** Publishing ids waiting for their fsync, from `head` on. */
  private ids: number[] = [];
  private head = 0;
  /** Runs of ids waiting for the same store ticket (-1: none): run k ends before ids[runEnd[k]]. */
  private runEnd: number[] = [];
  private runTicket: number[] = [];
  private runHead = 0;
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
    const ticket = store === null || store.synced >= store.appended ? -1 : store.appended;
    const ids = this.ids;
    ids.push(publishingId);
    const last = this.runTicket.length - 1;
    if (last >= this.runHead && this.runTicket[last] === ticket) this.runEnd[last] = ids.length;
    else {
      this.runTicket.push(ticket);
      this.runEnd.push(ids.length);
    }
    if (ticket < 0) this.scheduleNow();
    else if (!this.waiting) {
      this.waiting = true;
      store!.addSyncWaiter(this);
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

  /**
   * A write or fsync failed (SyncWaiter): the publishing ids waiting for it get a PublishError (internal error,
   * 0x0f), as a 0-9-1 publisher gets basic.nack; the client may publish them again (with a publisher reference
   * the same ids are deduplicated, and confirmed once the disk works).
   */
  failed(): boolean {
    if (this.store !== null) this.release(this.store.synced); // what is durable already is confirmed
    if (!this.closed && this.head < this.ids.length) {
      const refused = this.ids.slice(this.head);
      this.errored += refused.length;
      this.host.publishErrors(this.id, refused, ResponseCode.InternalError);
    }
    this.ids.length = 0;
    this.runEnd.length = 0;
    this.runTicket.length = 0;
    this.head = 0;
    this.runHead = 0;
    this.waiting = false;
    return false;
  }

  private release(ticket: number): void {
    if (this.closed) return;
    const from = this.head;
    const rt = this.runTicket;
    let k = this.runHead;
    let to = from;
    while (k < rt.length && rt[k]! <= ticket) to = this.runEnd[k++]!;
    if (to === from) return;
    for (let i = from; i < to; i += MAX_CONFIRM_IDS) {
      writePublishConfirm(this.host.w, this.id, this.ids, i, Math.min(to, i + MAX_CONFIRM_IDS));
    }
    this.host.queueWritten();
    this.confirmed += to - from;
    this.host.counters.confirmed += to - from;
    this.host.g.confirmed += to - from;
    if (to === this.ids.length) {
      this.ids.length = 0;
      this.runEnd.length = 0;
      this.runTicket.length = 0;
      this.head = 0;
      this.runHead = 0;
      return;
    }
    this.head = to;
    this.runHead = k;
    if (to >= COMPACT_AT && to * 2 >= this.ids.length) {
      this.ids.splice(0, to);
      this.runEnd.splice(0, k);
      this.runTicket.splice(0, k);
      for (let j = 0; j < this.runEnd.length; j++) this.runEnd[j]! -= to;
      this.head = 0;
      this.runHead = 0;
    }
  }

  streamDeleted(q: StreamQueue): void {
    this.host.streamGone(q);
  }

  close(): void {
    this.closed = true;
    this.queue.watchers.delete(this);
  }
}
