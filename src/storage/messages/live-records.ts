// The live records of a segment being compacted (compactor.ts): one Group per PUBLISH with every queue naming
// it, and their bytes read from the segment a batch at a time.
import type { FileHandle } from 'node:fs/promises';

/** A PUBLISH and the queues naming it (its own; others through REF records). */
export interface Group {
  off: number;
  len: number;
  owner: number;
  persistent: boolean;
  seqOf: Map<number, number>;
}

/** Live records read with one pread: at most this span, with dead gaps of at most READ_GAP (cheaper read than skipped). */
const READ_SPAN = 1024 * 1024;
const READ_GAP = 16 * 1024;

/**
 * The bytes of `batch`'s records (sorted by offset), each a view into one of a few reads: records close together
 * share one, and all are issued at once, side by side on the thread pool (one after another, the few thousand
 * records scattered through a drain's segment of acks took ~0.2 s, each read waiting behind the drain's).
 */
export async function readRecords(fh: FileHandle, seg: number, batch: Group[]): Promise<Map<Group, Buffer>> {
  const out = new Map<Group, Buffer>();
  const reads: Promise<void>[] = [];
  for (let i = 0; i < batch.length;) {
    const start = batch[i]!.off;
    let j = i + 1;
    let end = start + batch[i]!.len;
    while (j < batch.length && batch[j]!.off - end <= READ_GAP && batch[j]!.off + batch[j]!.len - start <= READ_SPAN) {
      end = batch[j]!.off + batch[j]!.len;
      j++;
    }
    const b = Buffer.allocUnsafe(end - start);
    for (; i < j; i++) out.set(batch[i]!, b.subarray(batch[i]!.off - start, batch[i]!.off - start + batch[i]!.len));
    reads.push(
      fh.read(b, 0, b.length, start).then(({ bytesRead }) => {
        if (bytesRead !== b.length) throw new Error(`segment ${seg}: short read at ${start}`);
      }),
    );
  }
  await Promise.all(reads);
  return out;
}
