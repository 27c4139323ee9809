// fsync of a directory: after a file is created or renamed into place, its directory entry is durable
// only once the directory itself is fsynced (POSIX; ext4 and xfs honour it). The definitions snapshot,
// the queue-id snapshot and the queue-id journal's creation all rely on it.
import { closeSync, fsyncSync, openSync } from './io.js';

export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
