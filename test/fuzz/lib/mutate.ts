// Byte-level mutation (the AFL/libFuzzer operators): flip bits, set interesting values (boundaries of u8,
// u16, u32 in both byte orders), insert, delete, duplicate and splice runs of bytes. Applied to recorded real
// sessions and to generated valid frames, they reach the error paths just past what a parser accepts.
import type { Rng } from './rng.js';

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0xce, 0x0a, 0x00];
const INTERESTING_16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 4096, 2047, 2048];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 4096, 131072, 131073, 0x10000, 0xfffffff];

/** One buffer mutated `n` times (n from 1 to 8, small more often). */
export function mutate(rng: Rng, input: Buffer, other?: Buffer): Buffer {
  let b: Buffer = Buffer.from(input);
  const n = 1 + (rng.chance(0.6) ? 0 : rng.int(8));
  for (let k = 0; k < n; k++) b = mutateOnce(rng, b, other);
  return b;
}

function mutateOnce(rng: Rng, b: Buffer, other?: Buffer): Buffer {
  const len = b.length;
  const at = (): number => rng.int(Math.max(1, len));
  switch (rng.int(11)) {
    case 0: // flip one bit
      if (len > 0) b[at()]! ^= 1 << rng.int(8);
      return b;
    case 1: // random byte
      if (len > 0) b[at()] = rng.int(256);
      return b;
    case 2: // interesting u8
      if (len > 0) b[at()] = rng.pick(INTERESTING_8);
      return b;
    case 3: {
      // interesting u16, either order
      if (len < 2) return b;
      const p = rng.int(len - 1);
      const v = rng.pick(INTERESTING_16);
      if (rng.chance(0.5)) b.writeUInt16BE(v, p);
      else b.writeUInt16LE(v, p);
      return b;
    }
    case 4: {
      if (len < 4) return b;
      const p = rng.int(len - 3);
      const v = rng.pick(INTERESTING_32);
      if (rng.chance(0.5)) b.writeUInt32BE(v, p);
      else b.writeUInt32LE(v, p);
      return b;
    }
    case 5: {
      // delete a run
      if (len === 0) return b;
      const p = at();
      const n = 1 + rng.int(Math.min(16, len - p));
      return Buffer.concat([b.subarray(0, p), b.subarray(p + n)]);
    }
    case 6: {
      // insert random bytes
      const p = rng.int(len + 1);
      return Buffer.concat([b.subarray(0, p), rng.bytes(1 + rng.int(16)), b.subarray(p)]);
    }
    case 7: {
      // duplicate a run (repeated frames, repeated fields)
      if (len === 0) return b;
      const p = at();
      const n = 1 + rng.int(Math.min(64, len - p));
      const q = rng.int(len + 1);
      return Buffer.concat([b.subarray(0, q), b.subarray(p, p + n), b.subarray(q)]);
    }
    case 8: {
      // splice a piece of another input
      if (!other || other.length === 0) return b;
      const p = rng.int(other.length);
      const n = 1 + rng.int(Math.min(128, other.length - p));
      const q = rng.int(len + 1);
      return Buffer.concat([b.subarray(0, q), other.subarray(p, p + n), b.subarray(q)]);
    }
    case 9: // truncate
      return b.subarray(0, rng.int(len + 1));
    default: {
      // add or subtract a little from a byte (a length off by one)
      if (len > 0) {
        const p = at();
        b[p] = (b[p]! + rng.range(-4, 4)) & 0xff;
      }
      return b;
    }
  }
}

/** Bytes split into 1..n writes at random points (parsers must not care where reads split). */
export function chop(rng: Rng, b: Buffer, maxPieces = 6): Buffer[] {
  if (b.length < 2 || rng.chance(0.5)) return [b];
  const pieces = 2 + rng.int(maxPieces - 1);
  const cuts = new Set<number>();
  for (let i = 0; i < pieces - 1; i++) cuts.add(1 + rng.int(b.length - 1));
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  out.push(b.subarray(prev));
  return out;
}
