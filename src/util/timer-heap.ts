// Many timed items, one timer: a binary min-heap on due time with a single Node timer armed for the
// earliest (delayed-exchange messages, delayed requeues). Items due at the same time fire in insertion
// order. Scheduling is O(log n) and allocates one small node; no closure per item.
import { clearTimer, now, setTimer, type Timer } from './clock.js';

const MAX_TIMEOUT = 2147483647;

class Node<T> {
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly item: T,
  ) {}
}

export class TimerHeap<T> {
  private readonly heap: Node<T>[] = [];
  private seq = 0;
  private timer: Timer | null = null;
  private timerAt = 0;
  private closed = false;

  /** `fire` is called for each due item, earliest first, with how late it fired (ms). */
  constructor(private readonly fire: (item: T, lateness: number) => void) {}

  get size(): number {
    return this.heap.length;
  }

  schedule(at: number, item: T): void {
    const h = this.heap;
    h.push(new Node(at, this.seq++, item));
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    if (i === 0) this.arm();
  }

  /** The items still pending, in no particular order. */
  items(): T[] {
    return this.heap.map((n) => n.item);
  }

  /** Drop every item matching `pred` (e.g. those of a deleted exchange). */
  removeWhere(pred: (item: T) => boolean): void {
    const keep = this.heap.filter((n) => !pred(n.item));
    this.heap.length = 0;
    for (const n of keep) this.heap.push(n);
    this.heap.sort((a, b) => (less(a, b) ? -1 : 1));
    this.arm();
  }

  close(): void {
    this.closed = true;
    clearTimer(this.timer);
    this.timer = null;
  }

  private pop(): Node<T> {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length !== 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  private arm(): void {
    if (this.closed) return;
    if (this.heap.length === 0) {
      clearTimer(this.timer);
      this.timer = null;
      return;
    }
    const at = this.heap[0]!.at;
    if (this.timer !== null && this.timerAt === at) return;
    clearTimer(this.timer);
    this.timerAt = at;
    // a wait past Node's limit fires early and re-arms (run() fires only what is due)
    this.timer = setTimer(() => this.run(), Math.min(at - now(), MAX_TIMEOUT));
  }

  private run(): void {
    this.timer = null;
    const t = now();
    // fire what is due; a callback may schedule more (they wait for the next turn if due now)
    let budget = this.heap.length;
    try {
      while (budget-- > 0 && this.heap.length !== 0 && this.heap[0]!.at <= t) {
        const n = this.pop();
        try {
          this.fire(n.item, t - n.at);
        } catch (e) {
          // no connection boundary around a timer: report and go on with the next item
          process.emitWarning(`warren: timed item failed: ${(e as Error)?.stack ?? String(e)}`);
        }
      }
    } finally {
      this.arm();
    }
  }
}

function less<T>(a: Node<T>, b: Node<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
