// A segment log in a fresh temporary directory for the log tests; done() closes it and removes the directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentLog, type LogEvents } from '../../../src/storage/log/segment-log.js';

export const events: LogEvents = {
  onSynced: () => {},
  sealed: () => {},
  failure: (e) => {
    if (e) throw e;
  },
  beforeSync: () => null,
};

export function openLog(
  segmentSize = 1 << 20,
  prefix = 'warren-log-',
): { log: SegmentLog; dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const log = new SegmentLog(dir, 1, events, segmentSize);
  return {
    log,
    dir,
    done: () => {
      log.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
