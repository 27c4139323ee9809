// The chunk filter of RabbitMQ 3.13 stream filtering, as osiris_bloom.erl builds and matches it: a bit array of
// SizeB bytes (16 by default, 16..255), two bits per distinct filter value at phash2(V, Bits-1)+1 and
// phash2([V], Bits-1)+1; bit 0 is reserved for "this chunk has entries without a filter value". A chunk with no
// filtered entries has no filter at all (to_binary/1 returns <<>>). Bits are numbered from the most significant
// bit of byte 0, as Erlang bitstrings are. Bits are set straight from the value's bytes: no allocation per entry.
import { phash2Binary, phash2ListOfBinary } from './phash2.js';

export const DEFAULT_FILTER_SIZE = 16;
export const MIN_FILTER_SIZE = 16;
export const MAX_FILTER_SIZE = 255;

function setBit(f: Buffer, n: number): void {
  f[n >>> 3]! |= 0x80 >>> (n & 7);
}

function bitSet(f: Buffer, n: number): boolean {
  return (f[n >>> 3]! & (0x80 >>> (n & 7))) !== 0;
}

/** osiris_bloom:make_hash/2 for a non-empty value. */
export function bloomHashes(value: Buffer, bitSize: number): [number, number] {
  return [phash2Binary(value, bitSize - 1) + 1, phash2ListOfBinary(value, bitSize - 1) + 1];
}

/** Accumulates one chunk's filter (osiris_bloom init/insert/to_binary). Reusable: reset() between chunks. */
export class BloomBuilder {
  readonly bits: Buffer;
  private filtered = false;
  private unfiltered = false;

  constructor(readonly sizeBytes = DEFAULT_FILTER_SIZE) {
    if (!Number.isInteger(sizeBytes) || sizeBytes < MIN_FILTER_SIZE || sizeBytes > MAX_FILTER_SIZE)
      throw new RangeError(`filter size ${sizeBytes} is not in 16..255 (osiris_bloom:init/1)`);
    this.bits = Buffer.alloc(sizeBytes);
  }

  reset(): void {
    this.bits.fill(0);
    this.filtered = false;
    this.unfiltered = false;
  }

  /** Whether an entry with (`filtered`) or without a filter value would make a one-kind set of entries mixed. */
  wouldMix(filtered: boolean): boolean {
    return filtered ? this.unfiltered && !this.filtered : this.filtered && !this.unfiltered;
  }

  /** Records an entry's filter value; an empty or absent one marks an unfiltered entry. */
  add(value: Buffer | null | undefined): void {
    if (value === null || value === undefined || value.length === 0) {
      this.unfiltered = true;
      return;
    }
    this.filtered = true;
    const bitSize = this.sizeBytes * 8;
    setBit(this.bits, phash2Binary(value, bitSize - 1) + 1);
    setBit(this.bits, phash2ListOfBinary(value, bitSize - 1) + 1);
  }

  /** The filter bytes to store in the chunk: empty when no entry had a filter value (to_binary/1). */
  get bytes(): Buffer {
    if (!this.filtered) return this.bits.subarray(0, 0);
    if (this.unfiltered) setBit(this.bits, 0);
    return this.bits;
  }
}

/**
 * A consumer's filter (osiris_bloom init_matcher/is_match): does a chunk with filter `chunkFilter` possibly hold
 * an entry for one of `values` (or, with matchUnfiltered, an entry without a filter value)? A chunk without a
 * filter holds only unfiltered entries. Hashes are precomputed per filter size.
 */
export class BloomMatcher {
  private bitSize = 0;
  private hashes: number[] = [];
  private readonly values: Buffer[];

  constructor(
    values: ReadonlyArray<string | Buffer>,
    readonly matchUnfiltered = false,
  ) {
    this.values = values.map((v) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v));
    this.prepare(DEFAULT_FILTER_SIZE * 8);
  }

  private prepare(bitSize: number): void {
    this.bitSize = bitSize;
    this.hashes = [];
    for (const v of this.values) {
      if (v.length === 0) continue;
      const [h1, h2] = bloomHashes(v, bitSize);
      this.hashes.push(h1, h2);
    }
  }

  matches(chunkFilter: Buffer): boolean {
    if (chunkFilter.length === 0) return this.matchUnfiltered;
    if (chunkFilter.length * 8 !== this.bitSize) this.prepare(chunkFilter.length * 8);
    if (this.matchUnfiltered && bitSet(chunkFilter, 0)) return true;
    const h = this.hashes;
    for (let i = 0; i < h.length; i += 2) if (bitSet(chunkFilter, h[i]!) && bitSet(chunkFilter, h[i + 1]!)) return true;
    return false;
  }
}
