// Byte sizes written as RabbitMQ writes them (rabbitmq.conf disk_free_limit.absolute): a number of bytes,
// or a number with a unit. k/K, kiB/KiB, M, MiB, G, GiB, T, TiB are powers of 1024; kB/KB, MB, GB, TB are
// powers of 1000 (https://www.rabbitmq.com/docs/disk-alarms#configure-free-space-limit).
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
};

export function parseSize(v: string | number, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new Error(`${what}: expected a size in bytes, got ${v}`);
    return v;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`${what}: expected a size such as 50MB or 2GiB, got '${v}'`);
  return Math.round(Number(m[1]) * unit);
}
