// ReadGate: why a connection's socket is not being read, kept in one place for StreamConnection (MQTT, STOMP).
// Reading stops for the turn's read budget (read-budget.ts: resumed next turn), for per-queue flow control (a
// queue it published to is overloaded: resumed when the queue catches up, Queue.blockPublisher) and for a
// resource alarm (it published while one was in effect: resumed when every alarm has cleared, as RabbitMQ's
// readers do). It resumes only once none of them holds. The AMQP connection keeps its own version of this
// (amqp/read-gate.ts): its per-turn flush ends the turn, and it also yields in the middle of a read.
import type { Duplex } from 'node:stream';
import type { Queue } from '../../core/queue/queue.js';
import { READ_BUDGET } from './read-budget.js';

export class ReadGate {
  /** It published during a resource alarm (management state 'blocked'); reading stops after this chunk. */
  blocked = false;
  /** Queues whose flow control paused reading. */
  private readonly flowBlockedBy = new Set<Queue>();
  private closed = false;
  /** Input bytes handled this turn, and whether the budget paused reading until the next one. */
  private bytes = 0;
  private yielded = false;
  private scheduled = false;

  constructor(
    private readonly socket: Duplex,
    /** Reading resumes (the front end restarts its keep-alive clock: the broker, not the client, was silent). */
    private readonly onResume: () => void,
  ) {}

  /** A chunk costing n units was handled: stop reading if an alarm blocks it, else count it against the budget. */
  read(n: number): void {
    if (this.blocked) {
      if (!this.socket.isPaused()) this.socket.pause();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.endTurn);
    }
    if ((this.bytes += n) >= READ_BUDGET && !this.yielded) {
      this.yielded = true;
      this.socket.pause();
    }
  }

  /** `q` is overloaded: stop reading until it calls flowResume. False if it already had. */
  flowBlock(q: Queue): boolean {
    if (this.flowBlockedBy.has(q)) return false;
    this.flowBlockedBy.add(q);
    this.socket.pause();
    return true;
  }

  flowResume(q: Queue): void {
    this.flowBlockedBy.delete(q);
    this.maybeResume();
  }

  /** Every resource alarm has cleared. */
  unblock(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.maybeResume();
  }

  /** Waiting for an auth backend's answer (auth-hold.ts): not read until it is in. */
  private authWaiting = false;

  authWait(waiting: boolean): void {
    this.authWaiting = waiting;
    if (waiting) this.socket.pause();
    else this.maybeResume();
  }

  /** Paused for flow control, an alarm or an auth answer (a keep-alive check must not count that silence). */
  get held(): boolean {
    return this.flowBlockedBy.size !== 0 || this.blocked || this.authWaiting;
  }

  /** Its reads were deferred for the turn (deferred-reads.ts) and are handled: read on unless held. */
  resumeDeferred(): void {
    this.maybeResume();
  }

  /** The connection is going: nothing resumes it. */
  close(): void {
    this.closed = true;
    this.flowBlockedBy.clear();
  }

  private readonly endTurn = (): void => {
    this.scheduled = false;
    this.bytes = 0;
    if (!this.yielded) return;
    this.yielded = false;
    this.maybeResume();
  };

  private maybeResume(): void {
    if (this.closed || this.yielded || this.held || !this.socket.isPaused()) return;
    this.onResume();
    this.socket.resume();
  }
}
