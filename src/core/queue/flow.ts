// A queue's flow control (RabbitMQ's credit flow, simplified). When a queue with consumers has more than
// FLOW_HIGH ready messages or FLOW_HIGH_BYTES of ready bodies, the publishers into it pause reading until it
// is back under both FLOW_LOW and FLOW_LOW_BYTES: fast consumers then catch up instead of the backlog (and
// memory) growing, and counting bytes keeps a large-message backlog small too (20,000 x 64 KiB would be
// 1.3 GB). Queues without consumers are not throttled: filling a queue for later is legitimate (the memory
// alarm bounds that).
//
// Holding publishers back only helps consumers that are catching up. RabbitMQ's credit flow never waits for
// consumers (a queue grants credit as it takes messages in), so a queue whose consumer is stuck at its
// prefetch, or acks one message a second, keeps taking publishes there; here such a queue held its publishers
// for as long as the consumer did (a crash-loop publisher stalled for good at 20,000 messages behind a slow
// consumer). So while publishers wait, the queue checks every FLOW_CHECK_MS how far it has caught up: if its
// consumers took less than FLOW_MIN_PROGRESS of the excess over the low-water marks in that time, it lets the
// publishers go and does not hold them back again until it has caught up.
import type { ReadyList } from './ready.js';

const FLOW_HIGH = 20000;
const FLOW_LOW = 5000;
const FLOW_HIGH_BYTES = 16 * 1024 * 1024;
const FLOW_LOW_BYTES = 4 * 1024 * 1024;
/** How often a queue holding publishers back checks that its consumers are catching up (real time). */
export const FLOW_CHECK_MS = 250;
/** The share of the excess consumers must take per check for the publishers to stay held back. */
const FLOW_MIN_PROGRESS = 0.25;

/** A publisher that a queue's flow control can pause (AMQP: the connection stops reading its socket). */
export interface FlowControlled<Q> {
  flowResume(q: Q): void;
}

export class QueueFlow<Q> {
  private readonly blocked = new Set<FlowControlled<Q>>();
  /** The consumers did not keep up: publishers are not held back until the queue catches up. */
  private slowConsumers = false;
  private timer: NodeJS.Timeout | null = null;
  /** The excess at the last check (excess()). */
  private lastExcess = 0;

  constructor(
    private readonly queue: Q,
    private readonly ready: () => ReadyList,
  ) {}

  /** Too far behind consumers that are catching up: publishers should pause (block). */
  overloaded(hasConsumers: boolean): boolean {
    if (!hasConsumers || this.slowConsumers) return false;
    const r = this.ready();
    return r.length > FLOW_HIGH || r.bytes > FLOW_HIGH_BYTES;
  }

  /** Pause `p` until the queue has caught up (or its consumers turn out too slow to). */
  block(p: FlowControlled<Q>): void {
    this.blocked.add(p);
    if (this.timer !== null) return;
    this.lastExcess = this.excess();
    this.timer = setTimeout(() => this.check(), FLOW_CHECK_MS);
    this.timer.unref();
  }

  /** After the backlog shrank (deliveries, expiry): let publishers go once it is under both low-water marks. */
  caughtUpCheck(): void {
    if (this.blocked.size === 0 && !this.slowConsumers) return;
    const r = this.ready();
    if (r.length >= FLOW_LOW || r.bytes >= FLOW_LOW_BYTES) return;
    this.slowConsumers = false;
    this.releaseAll();
  }

  /** Let every paused publisher go (caught up, consumers gone, queue deleted). */
  releaseAll(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.blocked.size === 0) return;
    const ps = [...this.blocked];
    this.blocked.clear();
    for (const p of ps) p.flowResume(this.queue);
  }

  /** How far over the low-water marks the backlog is (1: at them), by count or by bytes. */
  private excess(): number {
    const r = this.ready();
    return Math.max(r.length / FLOW_LOW, r.bytes / FLOW_LOW_BYTES);
  }

  private check(): void {
    this.timer = null;
    if (this.blocked.size === 0) return;
    const e = this.excess();
    if (e < 1) return this.caughtUpCheck();
    if (this.lastExcess - e < (this.lastExcess - 1) * FLOW_MIN_PROGRESS) {
      this.slowConsumers = true;
      this.releaseAll();
      return;
    }
    this.lastExcess = e;
    this.timer = setTimeout(() => this.check(), FLOW_CHECK_MS);
    this.timer.unref();
  }
}
