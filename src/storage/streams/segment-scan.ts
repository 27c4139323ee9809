// Opening a stream: each segment file's chunks read header by header (the chunk index is rebuilt from them,
// and the publishers' sequences from their trailers). The newest chunk of a segment may be torn by a crash
// mid-write: its CRC is checked, and a torn tail is cut off the file.
import { closeSync, ftruncateSync, openSync, readSync, fstatSync } from '../io.js';
import { CHUNK_HEADER_SIZE, readChunkHeader, type ChunkHeader } from '../../codec/stream/chunk.js';
import { FRAME_HEADER, frameAt } from '../log/record.js';
import { MAGIC } from '../log/segment-log.js';

/** A chunk's header, with its trailer (writer tracking) when it has one. */
export interface ScannedChunk extends ChunkHeader {
  trailer: Buffer | null;
}

/** Call `onChunk` with each whole chunk of the segment file at `path` and its offset in the file. */
export function scanSegment(path: string, onChunk: (h: ScannedChunk, off: number) => void): void {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.allocUnsafe(FRAME_HEADER + CHUNK_HEADER_SIZE);
    let off = MAGIC.length;
    while (off + head.length <= size) {
      readSync(fd, head, 0, head.length, off);
      const len = head.readUInt32LE(0);
      if (len < CHUNK_HEADER_SIZE || off + FRAME_HEADER + len > size) break;
      // the newest record of the newest segment may be torn: check its CRC
      if (off + FRAME_HEADER + len === size) {
        const whole = Buffer.allocUnsafe(FRAME_HEADER + len);
        readSync(fd, whole, 0, whole.length, off);
        if (frameAt(whole, 0, whole.length, true, CHUNK_HEADER_SIZE) < 0) break;
      }
      const h = readChunkHeader(head, FRAME_HEADER);
      let trailer: Buffer | null = null;
      if (h.trailerLength > 0) {
        trailer = Buffer.allocUnsafe(h.trailerLength);
        readSync(fd, trailer, 0, trailer.length, off + FRAME_HEADER + CHUNK_HEADER_SIZE + h.bloomSize + h.dataLength);
      }
      onChunk({ ...h, trailer }, off);
      off += FRAME_HEADER + len;
    }
    if (off < size && size > MAGIC.length) ftruncateSync(fd, off);
  } finally {
    closeSync(fd);
  }
}
