// BodyPool: buffers for large message bodies, handed back and reused once a message is gone. Every new
// ArrayBuffer counts as V8 external memory, and V8 runs a full GC per ~64 MiB of it: at 1 GB/s of 64 KiB
// messages, a fresh buffer per body was a full GC every 50 ms, a fifth of the main thread and most of a
// second core in V8's marking threads. A body taken from the pool and handed back after delivery is no
// new external memory at all.
//
// Ownership is the whole contract: a buffer handed back must be referenced by nothing any more, or the next
// message overwrites it. So handing back is opt-in, at the few places that know a message's last holder has
// finished with it (frontend/net/shared-read.ts explains the AMQP path); a body nobody hands back is collected by GC as
// any buffer would be. Bodies are rounded up to a size class (eight per power of two: at most 12.5% unused).

/** Bodies from this size up come from the pool; smaller ones are cheap copies into Node's own 8 KiB pool. */
export const POOL_MIN = 8192;
/** Larger bodies get a buffer of their own, not kept for reuse. */
export const POOL_MAX = 1 << 20;
/** Free buffers kept, in bytes over all classes; past this, handed-back buffers are left to GC. */
const FREE_MAX = 32 << 20;

// Free buffers by size class, kept as the Buffer last handed out over each: a body of the same length as the
// last one over that memory (a backlog of same-sized messages) gets that Buffer back, not a new view of it,
// so reading a backlog in allocates no object for its bodies either.
const free = new Map<number, Buffer[]>();
let freeBytes = 0;
let reused = 0;
/**
 * Marks the pool's own ArrayBuffers: true while handed out, false while free; a buffer without the mark (or
 * handed back twice) is never taken in. A property set when the buffer is made, not a WeakSet: adding and
 * deleting a WeakSet entry per message rebuilt its table every few hundred messages, and the tables lived
 * long enough to be promoted to V8's old generation (BENCHMARKS.md, the off-loop drain).
 */
const OUT = Symbol('body-pool: handed out');
type Marked = ArrayBuffer & { [OUT]?: boolean };

/** The class a body of n bytes is rounded up to: a multiple of an eighth of n's power of two. */
export function sizeClass(n: number): number {
  const step = 2 ** Math.max(0, Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

/** A buffer of exactly n bytes (n >= POOL_MIN) that the caller owns; hand it back with giveBack when done. */
export function takeBody(n: number): Buffer {
  if (n > POOL_MAX) return Buffer.allocUnsafeSlow(n);
  const cls = sizeClass(n);
  const list = free.get(cls);
  const b = list?.pop();
  if (b === undefined) {
    const ab: Marked = new ArrayBuffer(cls);
    ab[OUT] = true;
    return Buffer.from(ab, 0, n);
  }
  freeBytes -= cls;
  reused++;
  (b.buffer as Marked)[OUT] = true;
  return b.length === n ? b : Buffer.from(b.buffer, 0, n);
}

/**
 * `b` (from takeBody) is referenced by nothing any more: its memory may be reused by the next takeBody.
 * Anything else, or a second call for the same buffer, is ignored.
 */
export function giveBack(b: Buffer): void {
  const ab = b.buffer as Marked;
  if (ab[OUT] !== true) return;
  ab[OUT] = false;
  const cls = ab.byteLength;
  if (freeBytes + cls > FREE_MAX && !makeRoom(cls)) return;
  let list = free.get(cls);
  if (list === undefined) free.set(cls, (list = []));
  list.push(b.byteOffset === 0 ? b : Buffer.from(ab, 0, b.length));
  freeBytes += cls;
}

/**
 * Past FREE_MAX, spares of other classes are dropped (left to GC) to take in one of `cls`: the size being
 * handed back is the size in use now, and a burst of one size (300 KB bodies, say) must not fill the pool
 * for good and leave every later size unpooled. False when this class's own spares fill the pool.
 */
function makeRoom(cls: number): boolean {
  for (const [c, list] of free) {
    if (c === cls) continue;
    while (list.length !== 0 && freeBytes + cls > FREE_MAX) {
      list.pop();
      freeBytes -= c;
    }
    if (freeBytes + cls <= FREE_MAX) return true;
  }
  return false;
}

/** Bytes held for reuse, and how many bodies came from reused buffers so far (tests, diagnostics). */
export function poolStats(): { freeBytes: number; reused: number } {
  return { freeBytes, reused };
}
