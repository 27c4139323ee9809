// Why an AMQP connection's socket is not being read, in one place (the AMQP counterpart of net/read-gate.ts):
// the turn's read budget is spent (fairness, net/read-budget.ts), a queue it published to is overloaded
// (flow control, Queue.blockPublisher), or it published during a resource alarm (RabbitMQ's 'blocked'). It
// reads again only once none of them holds. One flag says the turn is over for this connection, however it
// got there: past the budget at the end of a read, or in the middle of one (the decoder keeps the rest of
// the read, which the next turn continues first).
import { writeConnectionBlocked, writeConnectionUnblocked } from '../../codec/amqp/methods.generated.js';
import type { Queue } from '../../core/queue/queue.js';
import { roughNow } from '../../util/rough-clock.js';
import { READ_BUDGET, READ_BYTE_SHIFT, READ_COST_FRAME } from '../net/read-budget.js';
import type { AmqpConnectionContext } from './context.js';

export class AmqpReadGate {
  /**
   * Blocked by a resource alarm: it published while one was in effect and is not read until every alarm
   * clears (RabbitMQ's 'blocked' connection state; management shows 'blocking' before the first publish).
   */
  blocked = false;
  /** When it was last read (or reading resumed): the heartbeat check counts from here. */
  lastRead = roughNow();
  /** A resource alarm (memory, disk) is in effect: the next publish blocks this connection. */
  alarmRaised = false;
  /** connection.blocked was sent: connection.unblocked follows when the alarms clear. */
  private blockedSent = false;
  /** Queues whose flow control paused this connection's reading. */
  private readonly flowBlockedBy = new Set<Queue>();
  /** Work done this turn (net/read-budget.ts), reset when the turn ends. */
  private turnCost = 0;
  /** The turn's budget is spent: not read again until the turn ends (endTurn). */
  private turnPaused = false;

  constructor(private readonly conn: AmqpConnectionContext) {}

  /** Not paused by flow control or an alarm (its silence is then the client's, for the heartbeat check). */
  get flowing(): boolean {
    return this.flowBlockedBy.size === 0 && !this.blocked;
  }

  /** A chunk of n bytes was handled: stop reading if flow control or an alarm holds, or the budget is spent. */
  read(n: number): void {
    const socket = this.conn.socket;
    if ((this.flowBlockedBy.size !== 0 || this.blocked) && !socket.isPaused()) {
      socket.pause();
    } else if ((this.turnCost += n >>> READ_BYTE_SHIFT) >= READ_BUDGET && !this.turnPaused) {
      // enough for this turn (fairness: net/read-budget.ts): let the other connections in; the flush
      // scheduled after this read (next phase) ends the turn and reads on
      this.turnPaused = true;
      socket.pause();
    }
  }

  // Hot path: once per frame, from the decoder.
  /**
   * Past the turn's budget mid-read (a 256 KiB read holds ~4,000 small publishes, or 64 declares cost a
   * turn): stop after the frame being handled; the decoder keeps the rest of the read for the next turn.
   */
  frame(): void {
    if ((this.turnCost += READ_COST_FRAME) >= READ_BUDGET) {
      this.conn.decoder.yieldAfterFrame();
      if (!this.turnPaused) {
        this.turnPaused = true;
        this.conn.socket.pause();
      }
    }
  }

  /** Work that costs more than its frames (exchange and queue methods): counted from the next frame on. */
  spend(cost: number): void {
    this.turnCost += cost;
  }

  /**
   * The turn is over (the connection's per-turn flush): the budget starts again. Returns true if the decoder
   * holds the rest of a read to continue first (the caller pushes it, then calls resume); otherwise a
   * connection paused for the turn reads on.
   */
  endTurn(): boolean {
    this.turnCost = 0;
    if (!this.turnPaused) return false;
    this.turnPaused = false;
    if (this.conn.decoder.stashed !== 0 && this.conn.state !== 'closed') return true;
    this.resume();
    return false;
  }

  /**
   * Read again unless flow control, an alarm or the turn keeps the socket paused. The heartbeat check
   * counts from now: the broker, not the client, stopped listening.
   */
  resume(): void {
    if (this.turnPaused || this.flowBlockedBy.size !== 0 || this.blocked) return;
    if (this.conn.state === 'closed') return;
    this.lastRead = roughNow();
    this.conn.socket.resume();
  }

  /**
   * RabbitMQ's alarms (rabbit_reader control_throttle): while one is in effect a connection is 'blocking',
   * read as usual, so a consumer-only connection keeps consuming and acking; when it publishes
   * (`blockOnPublish`) it becomes 'blocked'. When every alarm has cleared it is read again and gets
   * connection.unblocked if it got connection.blocked.
   */
  alarm(raised: boolean): void {
    const conn = this.conn;
    if (conn.state !== 'opened' || raised === this.alarmRaised) return;
    this.alarmRaised = raised;
    if (raised || !this.blocked) return;
    this.blocked = false;
    if (this.blockedSent) {
      this.blockedSent = false;
      writeConnectionUnblocked(conn.out, 0);
      conn.output.scheduleFlush();
    }
    this.resume();
  }

  /**
   * A basic.publish was received in full while an alarm is in effect (rabbit_reader publish_received, which
   * blocks at the method frame; Warren waits for the content too, so a message whose frames straddle two
   * reads is not cut in half by the block): the connection is blocked, it gets connection.blocked with the
   * reason ("low on memory") if it announced the capability, and it is not read after the current chunk
   * (read) until the alarms clear.
   */
  blockOnPublish(): void {
    if (this.blocked) return;
    this.blocked = true;
    const conn = this.conn;
    if (conn.capabilities['connection.blocked'] === true) {
      this.blockedSent = true;
      writeConnectionBlocked(conn.out, 0, conn.server.broker.alarms.reason);
      conn.output.scheduleFlush();
    }
  }

  isFlowBlockedBy(q: Queue): boolean {
    return this.flowBlockedBy.has(q);
  }

  flowBlock(q: Queue): void {
    this.flowBlockedBy.add(q);
  }

  flowResume(q: Queue): void {
    this.flowBlockedBy.delete(q);
    this.resume();
  }
}
