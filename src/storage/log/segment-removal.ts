// Removing a dead segment file without stalling every other file's fsync.
//
// Unlinking a 64 MiB segment frees all its blocks in one journal transaction, and on ext4 mounted with
// `discard` (this machine's root; common on cloud VMs) the commit of that transaction also discards all of
// them. Every fdatasync issued meanwhile, by any queue or stream, waits for that commit: strace of
// bench/durability/offloop.mjs showed each segment the drain finished stall the next fdatasyncs 15-25 ms
// (a persistent publisher's confirm with them), about once every 0.6 s.
//
// So a segment is first renamed out of the way (NNNNNNNN.seg.del: no longer a segment to recovery, which
// removes such leftovers at start), then cut from its end STEP bytes at a time with a real-time gap between
// cuts (each cut frees, and discards, at most STEP in a commit of its own), then unlinked. About 150 ms for a
// 64 MiB segment; the disk space comes back as it goes. Any failure on the way falls back to a plain unlink.
import { join } from 'node:path';
import { setTimeout } from 'node:timers';
import { close, fstatSync, ftruncate, open, rename, unlink, unlinkSync } from '../io.js';

const STEP = 1024 * 1024;
const GAP_MS = 2;
/** Suffix of a segment being removed (recovery and a stream's open delete what a crash left). */
export const REMOVING = '.del';

/** Remove the segment file `name` of `dir` in steps; `done` gets the error of the final unlink, if any. */
export function removeSegmentFile(dir: string, name: string, then: (err: Error | null) => void): void {
  const path = join(dir, name);
  // gone already (the directory removed with its stream or its test): nothing to report
  const done = (e: NodeJS.ErrnoException | null): void => then(e !== null && e.code !== 'ENOENT' ? e : null);
  const gone = path + REMOVING;
  rename(path, gone, (e) => {
    if (e) return unlink(path, done);
    open(gone, 'r+', (e2, fd) => {
      if (e2) return unlink(gone, done);
      let size: number;
      try {
        size = fstatSync(fd).size;
      } catch {
        size = 0;
      }
      const finish = (): void => close(fd, () => unlink(gone, done));
      const cut = (): void => {
        if (size <= 0) return finish();
        size = Math.max(0, size - STEP);
        ftruncate(fd, size, (e3) => {
          if (e3) return finish();
          setTimeout(cut, GAP_MS).unref();
        });
      };
      cut();
    });
  });
}

/** A name in a segment directory that a crash left half removed. */
export function isRemoving(name: string): boolean {
  return name.endsWith(REMOVING);
}

/** Delete what a crash left half removed from `dir`; returns the other names (a log's open). */
export function dropRemoving(dir: string, names: string[]): string[] {
  for (const n of names) if (isRemoving(n)) unlinkSync(join(dir, n));
  return names.filter((n) => !isRemoving(n));
}
