// Walking a stream's chunk headers between two entries of its sparse chunk index (chunk-index.ts keeps one
// entry per segment start and per 64 KiB): how an offset or a timestamp is found within a span.
import { closeSync, fstatSync, openSync, readSync } from '../io.js';
import { join } from 'node:path';
import { CHUNK_HEADER_SIZE, readChunkHeader } from '../../codec/stream/chunk.js';
import { FRAME_HEADER } from '../log/record.js';
import type { SegmentLog } from '../log/segment-log.js';
import type { ChunkIndex } from './chunk-index.js';

/**
 * Walk the chunk headers of index span `i` (from entry i to the next entry of its segment, or the end of
 * the segment) until `visit` returns true; returns whether it did.
 */
export function scanSpan(
  ix: ChunkIndex,
  log: SegmentLog,
  dir: string,
  i: number,
  visit: (id: number, records: number, ts: number) => boolean,
): boolean {
  const seg = ix.seg(i);
  const from = ix.off(i);
  if (seg === log.segNo) log.writeOut();
  const path = join(dir, `${String(seg).padStart(8, '0')}.seg`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false; // deleted by retention meanwhile
  }
  try {
    const to = i + 1 < ix.length && ix.seg(i + 1) === seg ? ix.off(i + 1) : fstatSync(fd).size;
    const b = Buffer.allocUnsafe(Math.max(0, to - from));
    let got = 0;
    while (got < b.length) {
      const r = readSync(fd, b, got, b.length - got, from + got);
      if (r === 0) break;
      got += r;
    }
    let p = 0;
    while (p + FRAME_HEADER + CHUNK_HEADER_SIZE <= got) {
      const len = b.readUInt32LE(p);
      const h = readChunkHeader(b, p + FRAME_HEADER);
      if (visit(h.chunkId, h.numRecords, h.timestamp)) return true;
      p += FRAME_HEADER + len;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}
