// erlang:phash2/2 for the two terms osiris_bloom hashes (osiris_bloom.erl make_hash/2: phash2(Value, N) and
// phash2([Value], N) of a binary Value), so Warren's chunk filters set the same bits RabbitMQ's do. This is
// make_hash2 of erts/emulator/beam/utils.c: Bob Jenkins' lookup2 block hash over the binary's bytes, seeded with
// HCONST*13 for a binary; a one-element list hashes its head binary then the [] tail (UINT32_HASH(NIL_DEF,
// HCONST_2)), the [] term hashing as 2). Checked against Erlang/OTP 25's phash2 in test/unit/codec/stream/bloom.test.ts.

const HCONST = 0x9e3779b9;
/** HCONST * n mod 2^32, as utils.c spells HCONST_2 and HCONST_13. */
const HCONST_2 = Math.imul(HCONST, 2) >>> 0;
const HCONST_13 = Math.imul(HCONST, 13) >>> 0;
/** The value utils.c hashes for a [] tail with HCONST_2 (found to be 2 against OTP 25; see the test). */
const NIL_DEF = 2;

let a = 0;
let b = 0;
let c = 0;

/** lookup2's mix(a, b, c) on the module registers. */
function mix(): void {
  a = (a - b - c) >>> 0;
  a = (a ^ (c >>> 13)) >>> 0;
  b = (b - c - a) >>> 0;
  b = (b ^ (a << 8)) >>> 0;
  c = (c - a - b) >>> 0;
  c = (c ^ (b >>> 13)) >>> 0;
  a = (a - b - c) >>> 0;
  a = (a ^ (c >>> 12)) >>> 0;
  b = (b - c - a) >>> 0;
  b = (b ^ (a << 16)) >>> 0;
  c = (c - a - b) >>> 0;
  c = (c ^ (b >>> 5)) >>> 0;
  a = (a - b - c) >>> 0;
  a = (a ^ (c >>> 3)) >>> 0;
  b = (b - c - a) >>> 0;
  b = (b ^ (a << 10)) >>> 0;
  c = (c - a - b) >>> 0;
  c = (c ^ (b >>> 15)) >>> 0;
}

/** utils.c block_hash(k, length, initval). */
function blockHash(k: Buffer, start: number, end: number, initval: number): number {
  const length = end - start;
  a = HCONST;
  b = HCONST;
  c = initval >>> 0;
  let p = start;
  let len = length;
  while (len >= 12) {
    a = (a + (k[p]! | (k[p + 1]! << 8) | (k[p + 2]! << 16) | (k[p + 3]! << 24))) >>> 0;
    b = (b + (k[p + 4]! | (k[p + 5]! << 8) | (k[p + 6]! << 16) | (k[p + 7]! << 24))) >>> 0;
    c = (c + (k[p + 8]! | (k[p + 9]! << 8) | (k[p + 10]! << 16) | (k[p + 11]! << 24))) >>> 0;
    mix();
    p += 12;
    len -= 12;
  }
  c = (c + length) >>> 0;
  // the tail bytes, as lookup2's fall-through switch adds them (the first byte of c is reserved for the length)
  if (len >= 11) c = (c + (k[p + 10]! << 24)) >>> 0;
  if (len >= 10) c = (c + (k[p + 9]! << 16)) >>> 0;
  if (len >= 9) c = (c + (k[p + 8]! << 8)) >>> 0;
  if (len >= 8) b = (b + (k[p + 7]! << 24)) >>> 0;
  if (len >= 7) b = (b + (k[p + 6]! << 16)) >>> 0;
  if (len >= 6) b = (b + (k[p + 5]! << 8)) >>> 0;
  if (len >= 5) b = (b + k[p + 4]!) >>> 0;
  if (len >= 4) a = (a + (k[p + 3]! << 24)) >>> 0;
  if (len >= 3) a = (a + (k[p + 2]! << 16)) >>> 0;
  if (len >= 2) a = (a + (k[p + 1]! << 8)) >>> 0;
  if (len >= 1) a = (a + k[p]!) >>> 0;
  mix();
  return c;
}

/** make_hash2(<<Bin>>): a non-empty binary's hash (an empty one hashes to HCONST_13). */
export function hashBinary(bin: Buffer): number {
  if (bin.length === 0) return HCONST_13;
  return blockHash(bin, 0, bin.length, HCONST_13);
}

/** make_hash2([<<Bin>>]). */
export function hashListOfBinary(bin: Buffer): number {
  const h = hashBinary(bin);
  // UINT32_HASH(NIL_DEF, HCONST_2): a = HCONST_2 + NIL_DEF, b = HCONST_2, MIX(a, b, hash)
  a = (HCONST_2 + NIL_DEF) >>> 0;
  b = HCONST_2;
  c = h;
  mix();
  return c;
}

/** erlang:phash2(Bin, Range). */
export function phash2Binary(bin: Buffer, range: number): number {
  return hashBinary(bin) % range;
}

/** erlang:phash2([Bin], Range). */
export function phash2ListOfBinary(bin: Buffer, range: number): number {
  return hashListOfBinary(bin) % range;
}
