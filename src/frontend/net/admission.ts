// Admission of new connections, per event-loop turn (fairness between connections that exist and connections
// that arrive). A turn's poll phase runs the read callback of every socket with input, and accepts every
// connection waiting on a listener; each new connection costs its socket, its handshake, often (hostile or
// broken clients) a protocol error and its close. At 700-1,000 new connections a second (the fuzzer), one
// turn took 50-200 ms of them, and an established connection's publish → confirm waited that long.
//
// Sockets on plain TCP listeners are accepted paused (pauseOnConnect). A new one is started at once while
// the turn has spent less than TURN_BUDGET_MS (measured from the turn's first read or accept); past that it
// waits, in arrival order, and is started at the end of the turn (setImmediate) or a later one, at least one
// a turn, so none waits for ever. libuv accepts about one connection per listener per turn, so what fills
// a turn is the reads of the connections that just arrived: those of a connection younger than
// NEW_CONNECTION_MS wait the same way once the turn is spent (deferred-reads.ts). The reads of older
// connections are never deferred: they only share the turn with what new ones get of it. RabbitMQ gets the same from Erlang: each connection is a process the
// schedulers preempt after a budget of reductions (so no one connection holds a scheduler), and new
// connections come in through a small pool of acceptor processes (ranch; num_acceptors.tcp, default 10),
// each accepting one socket at a time, so a flood of connects gets a bounded share of the schedulers while
// the reader processes of established connections keep running.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { flushPending } from './turn-flush.js';

/** Work (ms) a turn may have done before a new connection waits for a later turn. */
export const TURN_BUDGET_MS = 4;
/** A connection is new (its reads may wait when the turn is spent) for this long after it was accepted. */
export const NEW_CONNECTION_MS = 1000;
/**
 * Sockets that may wait: past this many a new one starts at once, as without admission. Node has no way
 * to stop accepting (RabbitMQ's acceptors leave the rest in the kernel's backlog), so this bounds what a
 * connect flood can make the broker hold instead (a net.Socket each).
 */
export const MAX_WAITING = 4096;

class Admission {
  /** performance.now() at this turn's first read or accept; -1 until there is one. */
  private turnStart = -1;
  private scheduled = false;
  /** Sockets waiting to start, oldest first, as their start functions. */
  private readonly waiting: (() => void)[] = [];

  /** A connection read (or accepted): the turn's clock starts at the first. Hot path: a compare. */
  touch(): void {
    if (this.turnStart < 0) {
      this.turnStart = performance.now();
      this.schedule();
    }
  }

  /** Start `s` (`start` makes its connection) now if the turn has time left, else in a later turn. */
  admit(s: Socket, start: (s: Socket) => void): void {
    this.touch();
    const go = (): void => {
      // closed while waiting (the listener shut down and destroyed it): nothing to start
      if (s.destroyed) return;
      start(s);
      if (!s.destroyed) s.resume();
    };
    const w = this.waiting;
    if ((w.length === 0 && performance.now() - this.turnStart < TURN_BUDGET_MS) || w.length >= MAX_WAITING) go();
    else w.push(go);
  }

  /** The turn has spent its budget: a new connection's work waits (deferred-reads.ts). */
  get spent(): boolean {
    return this.turnStart >= 0 && performance.now() - this.turnStart >= TURN_BUDGET_MS;
  }

  /** Run `fn` at the end of this turn or a later one, after what waits already (in order, budgeted). */
  later(fn: () => void): void {
    this.waiting.push(fn);
    this.schedule();
  }

  /** How many sockets (or deferred reads) wait to be started (tests, metrics). */
  get backlog(): number {
    return this.waiting.length;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.endTurn);
  }

  /**
   * The end of the turn (check phase): the waiting sockets are started, oldest first, for a budget of their
   * own (at least one); the rest wait for the next turn, after its reads.
   */
  private readonly endTurn = (): void => {
    this.scheduled = false;
    const w = this.waiting;
    if (w.length !== 0) {
      // established connections' replies first (turn-flush.ts): their round trips do not wait for this
      flushPending();
      const t0 = performance.now();
      do w.shift()!();
      while (w.length !== 0 && performance.now() - t0 < TURN_BUDGET_MS);
    }
    this.turnStart = -1;
    if (w.length !== 0) this.schedule();
  };
}

/** One per process: every listener's new connections share the turn (so do all connections' reads). */
export const admission = new Admission();
