// The one clock of Warren's time-based behaviour (message TTL, x-expires, delayed messages, x-requeue-delay,
// consumer timeouts, heartbeats and keep-alives): now(), roughNow() and timers. By default it is real time
// at no extra cost: now() is Date.now() behind one module-level check, roughNow() reads a variable a 10 ms
// interval refreshes (as LavinMQ's rough_time.cr), and timers are Node's own timers (no wrapper object).
// A test can switch the process to a virtual clock (startBroker({ clock: 'virtual' })): time then stands
// still until advance(ms), which moves it forward timer by timer, each firing at its due time in order, so
// that 30 minutes of TTLs, expiries and heartbeats happen at once and deterministically. Like Node's own
// timers the clock is per process: brokers in one process share it.

/** Node's timers take at most 2^31-1 ms; longer waits re-arm. */
const MAX_TIMEOUT = 2147483647;

/** A timer on virtual time: due time, insertion order (equal due times fire in order), repeat interval. */
export class VirtualTimer {
  cancelled = false;
  constructor(
    public at: number,
    public seq: number,
    readonly fn: () => void,
    readonly every: number,
  ) {}
  /** Virtual timers never hold the process open (all of Warren's timers are unref'd). */
  unref(): this {
    return this;
  }
}

/** A timer handle: Node's on real time, a VirtualTimer on virtual time. */
export type Timer = NodeJS.Timeout | VirtualTimer;

let virtual: VirtualClock | null = null;
let rough = Date.now();
setInterval(() => {
  if (virtual === null) rough = Date.now();
}, 10).unref();

/** Now, in ms since the epoch. */
export function now(): number {
  return virtual === null ? Date.now() : virtual.time;
}

/** Now to 10 ms (message timestamps, per-message bookkeeping on the hot path). */
export function roughNow(): number {
  return rough;
}

/** setTimeout on the clock (unref'd: a timer never keeps the process alive). */
export function setTimer(fn: () => void, ms: number): Timer {
  if (virtual !== null) return virtual.add(fn, ms, 0);
  const t = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMEOUT));
  t.unref();
  return t;
}

/** setInterval on the clock (unref'd). */
export function setRepeating(fn: () => void, ms: number): Timer {
  if (virtual !== null) return virtual.add(fn, ms, Math.max(1, ms));
  const t = setInterval(fn, ms);
  t.unref();
  return t;
}

export function clearTimer(t: Timer | null): void {
  if (t === null) return;
  if (t instanceof VirtualTimer) t.cancelled = true;
  else clearTimeout(t);
}

/** Parse '30m', '1.5s', '2h', '250ms', '1d' or a number of ms. */
export function parseDuration(d: string | number): number {
  if (typeof d === 'number') {
    if (!Number.isFinite(d) || d < 0) throw new RangeError(`invalid duration: ${d}`);
    return d;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(d);
  if (m === null) throw new RangeError(`invalid duration: '${d}' (use e.g. 250, '250ms', '30s', '30m', '2h', '1d')`);
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 }[m[2] ?? 'ms']!;
  return Math.round(Number(m[1]) * unit);
}

/** The virtual clock a test drives (broker.clock). */
export class VirtualClock {
  time: number;
  private timers: VirtualTimer[] = [];
  private seq = 0;
  private advancing = false;

  constructor(start = Date.now()) {
    this.time = start;
  }

  /** Now on this clock (ms since the epoch). */
  now(): number {
    return this.time;
  }

  /** Timers pending (cancelled ones excluded). */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  add(fn: () => void, ms: number, every: number): VirtualTimer {
    const t = new VirtualTimer(this.time + Math.max(0, ms), this.seq++, fn, every);
    this.timers.push(t);
    return t;
  }

  /**
   * Move time forward by `d` (ms, or '30s', '30m', '2h'...): every timer due on the way fires at its due
   * time, earliest first (equal due times in the order they were set), including timers those callbacks
   * set; then time stands at now + d. Returns the new time.
   */
  advance(d: string | number): number {
    if (this.advancing) throw new Error('clock.advance() called from a timer callback');
    const until = this.time + parseDuration(d);
    this.advancing = true;
    try {
      for (;;) {
        const t = this.next(until);
        if (t === null) break;
        this.time = Math.max(this.time, t.at);
        rough = this.time;
        if (t.every > 0) {
          t.at += t.every;
          t.seq = this.seq++;
        } else {
          t.cancelled = true;
        }
        try {
          t.fn();
        } catch (e) {
          process.emitWarning(`warren: timer callback failed: ${(e as Error)?.stack ?? String(e)}`);
        }
      }
      this.time = until;
      rough = until;
    } finally {
      this.advancing = false;
      this.timers = this.timers.filter((t) => !t.cancelled);
    }
    return this.time;
  }

  /** The earliest timer due by `until` (linear: tests hold few timers; Warren multiplexes onto few). */
  private next(until: number): VirtualTimer | null {
    let best: VirtualTimer | null = null;
    for (const t of this.timers) {
      if (t.cancelled || t.at > until) continue;
      if (best === null || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

let users = 0;

/**
 * Switch the process to the virtual clock (startBroker({ clock: 'virtual' })); brokers started meanwhile
 * share it. Returns it; release() when the broker closes, and the last release returns to real time.
 */
export function useVirtualClock(): VirtualClock {
  users++;
  virtual ??= new VirtualClock();
  rough = virtual.time;
  return virtual;
}

export function releaseVirtualClock(): void {
  if (users === 0) return;
  if (--users === 0) {
    virtual = null;
    rough = Date.now();
  }
}
