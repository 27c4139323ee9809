// RabbitMQ's disk_free_limit as a setting that can change while the broker runs: `rabbitmqctl
// set_disk_free_limit 2GB` or `set_disk_free_limit mem_relative 1.5` (rabbit_disk_monitor:
// set_disk_free_limit) takes effect at once, raising or clearing the disk alarm. Storage's disk monitor
// reads `limit` on every check and re-checks when it changes; management reports it (/api/nodes
// disk_free_limit, Prometheus rabbitmq_disk_space_available_limit_bytes).
import { parseSize } from '../util/size.js';
import { availableMemory } from './memory-monitor.js';

/** Free bytes, or a multiple of the total memory (disk_free_limit.absolute / .relative). */
export type DiskFreeLimitSetting = { absolute: number } | { relative: number };

/** The options that say it (startBroker's diskFreeLimit, diskFreeLimitRelative, the total override). */
interface DiskFreeLimitOptions {
  diskFreeLimit?: number | string;
  diskFreeLimitRelative?: number;
  totalMemoryAvailableOverrideValue?: number | string | null;
}

/** disk_free_limit as set: absolute, or relative to the total memory (RabbitMQ rabbit_disk_monitor). */
export function diskFreeLimitSetting(o: DiskFreeLimitOptions): DiskFreeLimitSetting {
  const rel = o.diskFreeLimitRelative;
  if (rel === undefined || rel === null) return { absolute: parseSize(o.diskFreeLimit ?? '50MB', 'diskFreeLimit') };
  if (typeof rel !== 'number' || !Number.isFinite(rel) || rel < 0) {
    throw new Error(`diskFreeLimitRelative: expected a multiple of the total memory such as 1.5, got ${String(rel)}`);
  }
  return { relative: rel };
}

/** disk_free_limit in bytes. */
export function diskFreeLimitBytes(o: DiskFreeLimitOptions): number {
  const s = diskFreeLimitSetting(o);
  if ('absolute' in s) return s.absolute;
  const ov = o.totalMemoryAvailableOverrideValue;
  const total =
    ov === undefined || ov === null ? availableMemory() : parseSize(ov, 'totalMemoryAvailableOverrideValue');
  return Math.round(s.relative * total);
}

export class DiskFreeLimit {
  private current: DiskFreeLimitSetting;
  /** Called after the limit changed (the disk monitor checks free space again). */
  onChange: (() => void) | null = null;

  constructor(
    setting: DiskFreeLimitSetting,
    /** The total a relative limit multiplies: RAM, the cgroup limit, or total_memory_available_override_value. */
    readonly total: number,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.current = setting;
    this.logLimit();
  }

  get setting(): DiskFreeLimitSetting {
    return this.current;
  }

  /** The limit in bytes. */
  get limit(): number {
    const s = this.current;
    return 'absolute' in s ? s.absolute : Math.round(s.relative * this.total);
  }

  set(setting: DiskFreeLimitSetting): void {
    this.current = setting;
    this.logLimit();
    this.onChange?.();
  }

  /** RabbitMQ's rabbit_disk_monitor logs "Disk free limit set to 50MB" (MB of 10^6) at boot and on change. */
  private logLimit(): void {
    this.log(`Disk free limit set to ${Math.trunc(this.limit / 1e6)}MB`);
  }
}
