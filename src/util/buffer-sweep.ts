// Write buffers are let go once idle. A growable write buffer keeps the size its biggest burst needed: a
// stream's log buffer (storage/log/record.ts) and its chunk builder (codec/stream/chunk.ts) grow to 1-2 MiB for
// a burst of 1 MiB chunks, and 200 streams that had one burst each held 400 MiB for as long as they lived;
// even one message took 64 KiB of each, so 1,000 streams that had one message held 128 MiB. A buffer registers
// when it is allocated; one shared, unref'd timer checks the registered ones every SWEEP_MS, and each decides,
// from what it used since the last check, whether to let its buffer go (a busy one keeps it: it fills it on
// every write; an idle one takes a fresh buffer at its next write).

/** A buffer owner the sweep asks, every SWEEP_MS while registered. */
export interface Sweepable {
  /** Let the buffer go if it was not needed since the last call (true: it did; it is then unregistered). */
  sweep(): boolean;
}

const SWEEP_MS = 5000;

const registered = new Set<Sweepable>();
let timer: NodeJS.Timeout | null = null;

/** Check `s` from now on (it just allocated a buffer). */
export function sweepLater(s: Sweepable): void {
  registered.add(s);
  timer ??= setInterval(sweepBuffers, SWEEP_MS).unref();
}

/** `s` has no buffer any more (closed): no more checks. */
export function sweepForget(s: Sweepable): void {
  registered.delete(s);
}

/** One check of every registered buffer (the timer's; tests call it). */
export function sweepBuffers(): void {
  for (const s of registered) if (s.sweep()) registered.delete(s);
  if (registered.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}

/** Buffers registered now (tests). */
export function sweptBuffers(): number {
  return registered.size;
}

/** Whether a buffer of `length` that held at most `peak` bytes at once since the last check is idle. */
export function idle(peak: number, length: number): boolean {
  return peak * 4 <= length;
}
