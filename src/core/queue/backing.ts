// What a queue needs from message storage, defined by the core and implemented by src/storage (the core
// never imports storage; src/server.ts wires them). A durable queue on a file store gets a QueueBacking:
// it is told of every enqueue, first delivery and removal (so persistent messages are logged, marked
// delivered and acked on disk), and it holds the queue's tail on disk once the in-memory window is full
// (RabbitMQ's classic queues page to disk the same way, LavinMQ keeps only segment positions in memory).
import type { QueuedMessage } from '../message.js';

/** Told when everything appended up to a ticket is on disk (written and fsynced). */
export interface SyncWaiter {
  /** Returns true while it still waits for a later ticket. */
  synced(ticket: number): boolean;
  /**
   * A write or fsync failed: what waits now may never be durable. A publisher confirm refuses it (basic.nack,
   * as RabbitMQ nacks when a queue fails), so the client republishes. Returns true while it still waits;
   * a waiter without it (compaction) just keeps waiting for the retry that works.
   */
  failed?(): boolean;
}

/** The broker-wide message store: group commit and the tickets publisher confirms wait on. */
export interface MessageStore {
  /** Ticket of the last persistent record appended; a confirm for it waits until `synced` reaches it. */
  readonly appended: number;
  /** Every record up to this ticket is written and fsynced. */
  readonly synced: number;
  /** Call `w.synced()` after each fsync until it returns false. */
  addSyncWaiter(w: SyncWaiter): void;
  /** Messages written to the log and read back from it (management's overview disk_writes / disk_reads). */
  readonly diskWrites: number;
  readonly diskReads: number;
}

export interface QueueBacking {
  /** A new message entered the queue (persistent ones are appended to the log here). */
  enqueued(e: QueuedMessage): void;
  /** First delivery (ack required): recorded so a crash brings it back redelivered. */
  delivered(e: QueuedMessage): void;
  /** Acked, rejected, dropped or delivered with no_ack: never comes back. */
  removed(e: QueuedMessage): void;
  /** Number of ready messages held on disk after the in-memory window. */
  readonly tailLength: number;
  /** Record bytes of the on-disk tail. */
  readonly tailBytes: number;
  /** Move `e` (the newest ready message) to the on-disk tail. */
  pageOut(e: QueuedMessage): void;
  /** Read up to `max` messages from the head of the tail, in order, now (blocking); [] when empty. */
  pageIn(max: number): QueuedMessage[];
  /**
   * The same off the event loop: `done` gets them later (unless `pageIn` or `clearTail` took them first).
   * False when a read is already in flight or the tail is empty. Messages being read still count in
   * `tailLength`, so new ones keep going behind them.
   */
  pageInAsync(max: number, done: (es: QueuedMessage[]) => void): boolean;
  /** Drop the whole tail (purge); returns how many. */
  clearTail(): number;
  /** The queue was deleted: its messages are dead. */
  queueDeleted(): void;
}
