// A seeded PRNG for the fuzzers (xoshiro128**): the same seed gives the same cases, so a failure found in
// a million-case run is replayed by its seed and case number alone.
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads any seed (0 included) over the four words of state
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  /** A uniform u32. */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** Small numbers often, large ones now and then: lengths and counts. */
  size(max: number): number {
    const r = this.int(100);
    if (r < 50) return this.int(Math.min(max, 8) + 1);
    if (r < 85) return this.int(Math.min(max, 256) + 1);
    return this.int(max + 1);
  }

  /**
   * n random bytes, four from each draw (one per byte was a quarter of a case's generation time), stored
   * through a Uint32Array (writeUInt32LE per word was a quarter of the stream fuzzer's runner). The words are
   * little-endian on every platform: a big-endian one swaps them, so a seed gives the same bytes everywhere.
   */
  bytes(n: number): Buffer {
    const words = new Uint32Array((n + 3) >>> 2);
    const last = n >>> 2;
    for (let i = 0; i < last; i++) words[i] = LITTLE ? this.u32() : swap32(this.u32());
    const b = Buffer.from(words.buffer, 0, n);
    for (let i = last * 4, r = this.u32(); i < n; i++, r >>>= 8) b[i] = r & 0xff;
    return b;
  }

  /** A seed for a sub-generator, so one case's draws do not shift the next case's. */
  fork(): Rng {
    return new Rng(this.u32());
  }
}

const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function swap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The case's own generator: case i of seed s is always the same case. */
export function caseRng(seed: number, i: number): Rng {
  return new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77)) >>> 0);
}
