// Every connection's once-a-turn output flush (style §3.5.5: many frames, one write), run from one
// setImmediate for all of them instead of one each. Besides an immediate fewer per connection and turn, it
// lets the end of the turn choose the order: admission.ts runs the flushes of the turn's established
// connections first, before the new connections' deferred work, so that a publish read in this turn is
// confirmed in this turn's check phase, not after up to TURN_BUDGET_MS of other clients' handshakes.

let pending: (() => void)[] = [];
/** The list being run (swapped with `pending`, so what a flush schedules waits for the next turn). */
let running: (() => void)[] = [];
let scheduled = false;

/** Run `flush` once at the end of this turn (the caller keeps its own flag against scheduling it twice). */
export function flushLater(flush: () => void): void {
  pending.push(flush);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushPending);
  }
}

/** Run the flushes scheduled so far, now. Those they schedule themselves run in a later turn (or call). */
export function flushPending(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const list = pending;
  pending = running;
  running = list;
  let i = 0;
  try {
    while (i < list.length) list[i++]!();
  } finally {
    // a flush that threw (a bug: it reaches the process's uncaught handler) does not cost the others theirs
    for (; i < list.length; i++) pending.push(list[i]!);
    list.length = 0;
    if (pending.length !== 0 && !scheduled) {
      scheduled = true;
      setImmediate(flushPending);
    }
  }
}
