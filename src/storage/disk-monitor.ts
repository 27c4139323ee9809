// RabbitMQ's disk alarm: free space on the data directory's file system is checked every second; under
// diskFreeLimit (RabbitMQ disk_free_limit, default 50MB) the disk alarm is raised and publishers are blocked
// until space is back. https://www.rabbitmq.com/docs/disk-alarms
// The limit can change while running (set_disk_free_limit): free space is checked again at once.
import { statfs, statfsSync } from 'node:fs';
import type { DiskFreeLimit } from '../core/disk-free-limit.js';
import type { Logger } from '../util/logger.js';
import { diskFault } from './io.js';

const INTERVAL = 1000;

/**
 * Free bytes on `dir`'s file system now, as the alarm sees it (management's disk_free, Prometheus'
 * rabbitmq_disk_space_available_bytes): 0 under an injected ENOSPC (broker.faults.failDisk), which is a
 * full disk; null when it cannot be read (no such directory: storage 'memory').
 */
export function freeDiskBytes(dir: string): number | null {
  if (diskFault(dir) === 'ENOSPC') return 0;
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

export class DiskMonitor {
  low = false;
  private readonly timer: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly dir: string,
    private readonly limit: DiskFreeLimit,
    private readonly log: Logger,
    private readonly onChange: (low: boolean) => void,
    private readonly node = '',
  ) {
    try {
      const s = statfsSync(dir);
      this.update(s.bavail * s.bsize);
    } catch (e) {
      log.warn({ err: e }, 'cannot read free disk space');
    }
    this.timer = setInterval(() => this.check(), INTERVAL);
    this.timer.unref();
    limit.onChange = () => this.check();
  }

  private check(): void {
    if (this.checking) return;
    // an injected ENOSPC (broker.faults.failDisk) is a full disk: free space reads as none
    if (diskFault(this.dir) === 'ENOSPC') return this.update(0);
    this.checking = true;
    statfs(this.dir, (err, s) => {
      this.checking = false;
      if (err) return;
      this.update(s.bavail * s.bsize);
    });
  }

  private update(free: number): void {
    const limit = this.limit.limit;
    const low = free < limit;
    if (low === this.low) return;
    this.low = low;
    // RabbitMQ's words (rabbit_disk_monitor), so that log alerts written for RabbitMQ match
    if (low) {
      this.log.info({ free, limit }, `Free disk space is insufficient. Free bytes: ${free}. Limit: ${limit}`);
      this.log.warn(
        `disk resource limit alarm set on node ${this.node}.\n\n` +
          '**********************************************************\n' +
          '*** Publishers will be blocked until this alarm clears ***\n' +
          '**********************************************************\n',
      );
    } else {
      this.log.info({ free, limit }, `Free disk space is sufficient. Free bytes: ${free}. Limit: ${limit}`);
      this.log.warn(`disk resource limit alarm cleared on node ${this.node}`);
    }
    this.onChange(low);
  }

  stop(): void {
    clearInterval(this.timer);
    this.limit.onChange = null;
  }
}
