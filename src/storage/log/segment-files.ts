// A log's segment files by name: NNNNNNNN.seg, and what is on disk of a range of them (a stream's retention
// by size and age asks, log/segment-log.ts segmentsInfo).
import { join } from 'node:path';
import { statSync } from '../io.js';

export function segmentName(n: number): string {
  return String(n).padStart(8, '0') + '.seg';
}

export interface SegmentFileInfo {
  seg: number;
  size: number;
  mtimeMs: number;
}

/** Segments first..last of `dir` that exist, with their sizes and modification times. */
export function segmentFiles(dir: string, first: number, last: number): SegmentFileInfo[] {
  const out: SegmentFileInfo[] = [];
  for (let n = first; n <= last; n++) {
    try {
      const st = statSync(join(dir, segmentName(n)));
      out.push({ seg: n, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      /* deleted */
    }
  }
  return out;
}
