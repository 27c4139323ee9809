// CRC-32 (zlib's, the same value as node:zlib crc32) of a short range of a buffer, computed in place. The
// log's small records (a REMOVE or DELIVERED mark: 17 bytes, two for every message a queue delivers and
// acks) would otherwise each need a subarray view to hand to zlib: a short-lived object per record that
// makes the young generation fill, and be scavenged, sooner. A table lookup a byte is cheaper than that
// allocation for a few dozen bytes; longer payloads go to zlib, whose native loop is faster.

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** Payloads up to this length are checked here rather than by zlib (see above). */
export const SHORT_CRC_MAX = 64;

/** CRC-32 of b[start, end), as an unsigned integer. */
export function crc32Short(b: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
