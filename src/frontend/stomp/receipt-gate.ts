// RECEIPT for a SEND only once the message is safe: a persistent message that reached a durable queue is
// acknowledged after the message store's fsync, as RabbitMQ's STOMP plugin sends a SEND's receipt on its
// publisher confirm (rabbit_stomp_processor: a receipt header turns confirms on, the RECEIPT goes with the
// basic.ack). So a disk that cannot be written (a full or failing disk) never gets a receipt for what it did
// not take. SEND receipts leave in the order of their SENDs; nothing waits (or is allocated) when the
// message store has nothing unsynced.
import type { MessageStore, SyncWaiter } from '../../core/queue/backing.js';

export class ReceiptGate implements SyncWaiter {
  private ids: string[] = [];
  private tickets: number[] = [];
  private waiting = false;

  constructor(
    private readonly store: MessageStore,
    private readonly send: (receiptId: string) => void,
    private readonly ended: () => boolean,
  ) {}

  /** The RECEIPT of a SEND, once everything appended so far is fsynced. */
  add(receiptId: string): void {
    const ticket = this.store.appended;
    if (this.ids.length === 0 && this.store.synced >= ticket) return this.send(receiptId);
    this.ids.push(receiptId);
    this.tickets.push(ticket);
    if (!this.waiting) {
      this.waiting = true;
      this.store.addSyncWaiter(this);
    }
  }

  /** After an fsync (SyncWaiter): true while receipts still wait. */
  synced(ticket: number): boolean {
    if (this.ended()) {
      this.ids = [];
      this.tickets = [];
    }
    let n = 0;
    while (n < this.ids.length && this.tickets[n]! <= ticket) this.send(this.ids[n++]!);
    if (n !== 0) {
      this.ids.splice(0, n);
      this.tickets.splice(0, n);
    }
    this.waiting = this.ids.length !== 0;
    return this.waiting;
  }
}
