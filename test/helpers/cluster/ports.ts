// Ports for test clusters that nothing else takes while a node is not listening on them.
//
// A port found free by listening on port 0 and closing is the kernel's pick from the ephemeral range
// (net.ipv4.ip_local_port_range), and so is every other process's `listen(0)`: the test brokers of the test
// files running at the same time bind hundreds of them. A cluster node binds its ports a second or more
// after they were picked (process start), and a follower binds its cluster port only once it leads, so
// another process could take one first (a CI run saw a node fail to bind its Prometheus port and stay out
// of the in-sync set). These ports are picked below the ephemeral range, where the kernel never hands a port
// out on its own, and reserved across concurrent test processes by a lock file each (O_EXCL), freed when
// this process exits; a dead process's locks are taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCKS = join(tmpdir(), 'warren-test-ports');
const mine: string[] = [];
let cleanup = false;

/** [low, high] of the kernel's ephemeral ports (Linux), or the IANA default elsewhere. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return [Number(low), Number(high)];
  } catch {
    return [49152, 65535];
  }
}

/** Ports to pick from: below the ephemeral range (and above the well-known services' usual ports). */
function candidates(): [number, number] {
  const [low, high] = ephemeralRange();
  if (low - 1 >= 22000) return [20000, low - 1];
  return [high + 1 <= 64000 ? high + 1 : 20000, 65535];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lock file of `port` for this process (false: another live process holds it). */
function lock(port: number): boolean {
  const path = join(LOCKS, String(port));
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      mine.push(path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path, 'utf8'));
      } catch {
        /* removed meanwhile: try again */
      }
      // a lock being written (empty) or held by a live process is not ours to take
      if (!Number.isInteger(owner) || owner <= 0 || alive(owner)) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

/** A loopback port outside the ephemeral range, free now and reserved for this process until it exits. */
export async function reservePort(): Promise<number> {
  mkdirSync(LOCKS, { recursive: true });
  if (!cleanup) {
    cleanup = true;
    process.once('exit', () => {
      for (const p of mine) rmSync(p, { force: true });
    });
  }
  const [low, high] = candidates();
  for (let i = 0; i < 1000; i++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!lock(port)) continue;
    if (await canListen(port)) return port;
    // something outside the tests has it: leave it locked by us (skipped by the others too) and go on
  }
  throw new Error(`no free port in ${low}-${high}`);
}
