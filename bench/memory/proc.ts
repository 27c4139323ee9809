// What the memory scripts read from Linux's /proc: a process's resident set, its open-file limit, and which
// process listens on a TCP port (the socket's inode in /proc/net/tcp{,6}, then the process holding it in
// /proc/*/fd), so a broker is measured by its port alone: beam.smp for RabbitMQ, node for Warren.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Resident set size now and at its peak, MiB (VmRSS, VmHWM). */
export function rss(pid: number): { nowMiB: number; peakMiB: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { nowMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/** The soft "Max open files" of a process. */
export function fdLimit(pid: number | 'self'): number {
  const s = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const m = /Max open files\s+(\d+|unlimited)/.exec(s);
  return m === null || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** The pid of the process with a listening TCP socket on `port`, or null. */
export function listenerPid(port: number): number | null {
  const inodes = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10 || c[3] !== '0A') continue; // 0A: LISTEN
      if (parseInt(c[1]!.split(':')[1]!, 16) === port) inodes.add(c[9]!);
    }
  }
  if (inodes.size === 0) return null;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${d}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${d}/fd/${fd}`));
        if (m !== null && inodes.has(m[1]!)) return Number(d);
      } catch {
        /* gone */
      }
    }
  }
  return null;
}
