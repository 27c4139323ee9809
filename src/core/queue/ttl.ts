// Message TTL (x-message-ttl, message-ttl policies, the per-message `expiration` property) and the one
// timer a queue needs for it. RabbitMQ expires messages at the head only (rabbit_amqqueue_process
// drop_expired_msgs): with queue TTL alone the head is always the oldest, so one timer armed for the head's
// expiry is exact; a per-message TTL shorter than its predecessors' waits until it reaches the head, as in
// RabbitMQ. So a million messages with TTLs cost one timer, not a million.
import { preconditionFailed } from '../errors.js';
import { clearTimer, now, setTimer, type Timer } from '../../util/clock.js';

/**
 * rabbit_basic:parse_expiration/1: the property is a decimal string of milliseconds, read as Erlang's
 * string:to_integer/1 does (optional sign, digits, nothing after). Errors are RabbitMQ's texts.
 */
export function parseExpiration(s: string): number {
  const m = /^([+-]?)(\d+)(.*)$/s.exec(s);
  if (m === null) throw preconditionFailed(`invalid expiration '${s}': no_integer`);
  if (m[3] !== '') throw preconditionFailed(`invalid expiration '${s}': {leftover_string,"${m[3]}"}`);
  const n = Number(m[2]) * (m[1] === '-' ? -1 : 1);
  if (n < 0) throw preconditionFailed(`invalid expiration '${s}': {value_negative,${n}}`);
  return n;
}

/** Expiry of a message entering a queue: the smaller of the queue's and the message's TTL (RabbitMQ). */
export function expiryOf(arrival: number, queueTtl: number, messageTtl: number): number {
  if (queueTtl < 0 && messageTtl < 0) return 0;
  const ttl = queueTtl < 0 ? messageTtl : messageTtl < 0 ? queueTtl : Math.min(queueTtl, messageTtl);
  // 0 means "never": a TTL of 0 expires at arrival, so keep it non-zero
  return arrival + ttl || 1;
}

/** One re-armable timer (a queue's head expiry, its x-expires, a delayed exchange's next message). */
export class OneTimer {
  /** Node timers currently armed by all OneTimers (the tests and the benchmark count them). */
  static armedCount = 0;
  private timer: Timer | null = null;
  /** When the armed timer fires (ms since the epoch), 0 when disarmed. */
  private at = 0;

  constructor(private readonly fire: () => void) {}

  /** Fire at `at` (or keep an earlier arming). */
  armAt(at: number): void {
    if (this.timer !== null && this.at <= at) return;
    this.set(at);
  }

  /** Fire at `at`, replacing any arming. */
  resetAt(at: number): void {
    this.set(at);
  }

  private set(at: number): void {
    if (this.timer !== null) clearTimer(this.timer);
    else OneTimer.armedCount++;
    this.at = at;
    // setTimer caps a wait at Node's 2^31-1 ms: a longer one fires early and re-arms here
    this.timer = setTimer(() => {
      this.timer = null;
      this.at = 0;
      OneTimer.armedCount--;
      if (now() < at) this.set(at);
      else guarded(this.fire);
    }, at - now());
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  cancel(): void {
    if (this.timer !== null) {
      clearTimer(this.timer);
      OneTimer.armedCount--;
    }
    this.timer = null;
    this.at = 0;
  }
}

/**
 * Run a timer's work so that a bug in it cannot take the process down (there is no connection boundary
 * around a timer): the error is reported as a process warning and the broker goes on.
 */
export function guarded(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    process.emitWarning(`warren: timer callback failed: ${(e as Error)?.stack ?? String(e)}`);
  }
}
