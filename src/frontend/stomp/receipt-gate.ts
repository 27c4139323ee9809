// RECEIPTs for SEND only once what they acknowledge is safe: RabbitMQ's STOMP adapter turns publisher
// confirms on for the first SEND with a receipt header and sends its RECEIPT when the confirm comes
// (rabbit_stomp_processor: "SEND frame receipts are handled when messages are confirmed"), so a receipted
// persistent message that reached a durable queue is on disk (written and fsynced) when the client hears
// of it. A SEND held in a transaction gets its RECEIPT the same way after COMMIT routed it. Receipts of
// other frames do not wait (RabbitMQ sends them at once). SEND receipts leave in the order of their
// frames; nothing waits (and nothing is allocated) when there is no file store. A SEND whose write or fsync
// failed never gets its RECEIPT (failed()): STOMP has no negative receipt, and RabbitMQ 3.13's adapter sends
// nothing for a rejected publish.
import type { MessageStore, SyncWaiter } from '../../core/queue/backing.js';

export class ReceiptGate implements SyncWaiter {
  /** null: a RECEIPT refused (failed()), never sent. */
  private ids: (string | null)[] = [];
  private tickets: number[] = [];
  private head = 0;
  private waiting = false;
  /** Inside synced(): the store keeps this waiter if it returns true, so it is not added again. */
  private inSync = false;
  private drained: (() => void) | null = null;

  constructor(
    private readonly store: MessageStore | null,
    private readonly sendReceipt: (id: string) => void,
    private readonly ended: () => boolean,
  ) {}

  /** RECEIPT `id` once message-store ticket `ticket` (0: nothing to wait for) is fsynced. */
  send(id: string, ticket: number): void {
    if (this.head === this.ids.length && this.ready(ticket)) {
      this.sendReceipt(id);
      return;
    }
    this.ids.push(id);
    this.tickets.push(ticket);
    this.wait();
  }

  /** Run `fn` once every SEND receipt asked for so far has gone (DISCONNECT's receipt comes after them). */
  whenDrained(fn: () => void): void {
    if (this.head === this.ids.length) fn();
    else this.drained = fn;
  }

  /** The message store fsynced (SyncWaiter): returns true while still waiting. */
  synced(_ticket: number): boolean {
    this.waiting = false;
    this.inSync = true;
    this.flush();
    this.inSync = false;
    return this.waiting;
  }

  /** A write or fsync failed (SyncWaiter): the RECEIPTs waiting for it are never sent. */
  failed(): boolean {
    const synced = this.store?.synced ?? 0;
    for (let i = this.head; i < this.ids.length; i++) {
      if (this.tickets[i]! <= synced) continue;
      this.tickets[i] = 0;
      this.ids[i] = null;
    }
    return this.synced(synced);
  }

  private ready(ticket: number): boolean {
    return ticket === 0 || this.store === null || this.store.synced >= ticket;
  }

  private wait(): void {
    if (this.waiting || this.store === null) return;
    this.waiting = true;
    if (!this.inSync) this.store.addSyncWaiter(this);
  }

  private flush(): void {
    if (this.ended()) {
      this.ids = [];
      this.tickets = [];
      this.head = 0;
      this.drained = null;
      return;
    }
    let h = this.head;
    while (h < this.ids.length && this.ready(this.tickets[h]!)) {
      const id = this.ids[h++];
      if (id !== null && id !== undefined) this.sendReceipt(id);
    }
    if (h < this.ids.length) {
      this.head = h;
      this.wait();
      return;
    }
    this.ids = [];
    this.tickets = [];
    this.head = 0;
    const d = this.drained;
    this.drained = null;
    d?.();
  }
}
