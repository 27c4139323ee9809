#!/usr/bin/env node
// Issue 12, "Node's async fs, a worker thread, or both: measure which pays": reading a paged-out backlog
// three ways, each doing what storage/messages/page-reader.ts does per batch (one pread of up to 1 MiB of
// consecutive 1 KiB records, then a CRC32 check and a slice per record), while a 1 ms timer measures the
// event loop's delay (what another connection's publish would wait) and eventLoopUtilization() measures
// the main thread's busy share:
//   sync        readSync and decode on the main thread (round 1)
//   threadpool  fs.read on libuv's thread pool, decode on the main thread (what Warren does)
//   worker      a worker thread does readSync and the CRC checks, and transfers each span's buffer; the
//               main thread only slices records out of it
// usage: node bench/durability/read-paths.mjs [--mib 512] [--rounds 3]
import { closeSync, openSync, read, readSync, rmSync, writeSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { clearInterval, setImmediate, setInterval } from 'node:timers';

const RECORD = 1024 + 8; // u32 length, u32 CRC, 1 KiB payload: the log's framing
const SPAN = Math.floor((1024 * 1024) / RECORD) * RECORD;

/** CRC-check every record of a span; returns the count (what decoding costs besides the copies). */
function check(buf, len) {
  let n = 0;
  for (let p = 0; p + RECORD <= len; p += RECORD) {
    if (crc32(buf.subarray(p + 8, p + RECORD)) !== buf.readUInt32LE(p + 4)) throw new Error('bad CRC');
    n++;
  }
  return n;
}

if (!isMainThread) {
  // the worker: read spans on request, check them, hand the bytes over (transferred, not copied)
  const fd = openSync(workerData.path, 'r');
  parentPort.on('message', (off) => {
    if (off < 0) return (closeSync(fd), parentPort.close());
    const b = Buffer.allocUnsafeSlow(SPAN);
    const got = readSync(fd, b, 0, SPAN, off);
    check(b, got);
    parentPort.postMessage({ ab: b.buffer, got }, [b.buffer]);
  });
} else {
  const args = process.argv.slice(2);
  const opt = (n, d) => (args.includes(n) ? Number(args[args.indexOf(n) + 1]) : d);
  const MIB = opt('--mib', 512);
  const ROUNDS = opt('--rounds', 3);
  const dir = mkdtempSync(join(tmpdir(), 'warren-readpaths-'));
  const path = join(dir, 'segment');
  const size = Math.floor((MIB * 1024 * 1024) / RECORD) * RECORD;
  {
    const fd = openSync(path, 'w');
    const rec = Buffer.alloc(RECORD);
    const chunk = Buffer.alloc(SPAN);
    for (let p = 0; p < SPAN; p += RECORD) {
      rec.fill(p & 0xff, 8);
      rec.writeUInt32LE(1024, 0);
      rec.writeUInt32LE(crc32(rec.subarray(8)), 4);
      rec.copy(chunk, p);
    }
    for (let off = 0; off < size; off += SPAN) writeSync(fd, chunk, 0, Math.min(SPAN, size - off));
    closeSync(fd);
  }

  /** Slice the records out of a span, as decode does (the consumer then holds them). */
  const slices = (buf, len) => {
    const out = [];
    for (let p = 0; p + RECORD <= len; p += RECORD) out.push(buf.subarray(p + 8, p + RECORD));
    return out.length;
  };

  const modes = {
    sync: () =>
      new Promise((done) => {
        const fd = openSync(path, 'r');
        const b = Buffer.allocUnsafe(SPAN);
        let off = 0;
        const step = () => {
          if (off >= size) return (closeSync(fd), done());
          const got = readSync(fd, b, 0, SPAN, off);
          off += got;
          check(b, got);
          slices(b, got);
          setImmediate(step); // one batch per turn, as the queue's dispatch does
        };
        step();
      }),
    threadpool: () =>
      new Promise((done) => {
        const fd = openSync(path, 'r');
        let off = 0;
        const step = () => {
          if (off >= size) return (closeSync(fd), done());
          const b = Buffer.allocUnsafe(SPAN);
          read(fd, b, 0, SPAN, off, (err, got) => {
            if (err) throw err;
            off += got;
            check(b, got);
            slices(b, got);
            step();
          });
        };
        step();
      }),
    worker: () =>
      new Promise((done) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { path } });
        let off = 0;
        w.on('message', ({ ab, got }) => {
          off += got;
          slices(Buffer.from(ab, 0, got), got);
          if (off >= size) {
            w.postMessage(-1);
            w.once('exit', done);
          } else w.postMessage(off);
        });
        w.once('online', () => w.postMessage(0));
      }),
  };

  const results = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(modes)) {
      const h = monitorEventLoopDelay({ resolution: 1 });
      const probe = setInterval(() => undefined, 1); // keeps the loop turning so delays are seen
      h.enable();
      const elu0 = performance.eventLoopUtilization();
      const t0 = performance.now();
      await run();
      const ms = performance.now() - t0;
      const elu = performance.eventLoopUtilization(elu0);
      h.disable();
      clearInterval(probe);
      (results[name] ??= []).push({
        mibPerS: (size / 1048576 / ms) * 1000,
        mainBusyMsPerMiB: (elu.active / size) * 1048576,
        delayP99Ms: h.percentile(99) / 1e6,
        delayMaxMs: h.max / 1e6,
      });
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${MIB} MiB of 1 KiB records in 1 MiB spans, ${ROUNDS} rounds, medians`);
  console.log('mode        MiB/s   main-thread ms/MiB   loop delay p99 ms   max ms');
  for (const [name, rs] of Object.entries(results)) {
    const f = (k, d) => med(rs.map((x) => x[k])).toFixed(d);
    console.log(
      `${name.padEnd(10)} ${f('mibPerS', 0).padStart(6)}   ${f('mainBusyMsPerMiB', 3).padStart(18)}   ${f('delayP99Ms', 2).padStart(17)}   ${f('delayMaxMs', 1).padStart(6)}`,
    );
  }
}
