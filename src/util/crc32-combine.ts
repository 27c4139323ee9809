// CRC-32 (zlib's, node:zlib crc32) of a concatenation from the CRCs of its parts: crc32(A + B) from crc32(A),
// crc32(B) and B's length, in O(log len) steps without reading the bytes again (zlib's crc32_combine, which
// Node does not expose). A stream chunk's CRC covers its data and the log record framing it covers the whole
// chunk: with this, the data is read once for both (storage/streams/stream-log.ts).

/** The reflected CRC-32 polynomial. */
const POLY = 0xedb88320;

/** a * b modulo the polynomial, both reflected (zlib multmodp). */
function multmodp(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^n) modulo the polynomial, n = 0..31 (zlib x2n_table). */
const X2N = new Uint32Array(32);
{
  let p = 0x40000000; // x^1
  X2N[0] = p;
  for (let n = 1; n < 32; n++) X2N[n] = p = multmodp(p, p);
}

/** x^(n * 2^k) modulo the polynomial (zlib x2nmodp). */
function x2nmodp(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n !== 0) {
    if (n % 2 === 1) p = multmodp(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** crc32(A + B), given crc32(A), crc32(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  return (multmodp(x2nmodp(lenB, 3), crcA) ^ crcB) >>> 0;
}
