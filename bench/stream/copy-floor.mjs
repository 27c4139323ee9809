#!/usr/bin/env node
// The floor under a Node broker's 1 KiB stream consume (issue 13): how fast can any Node process send a file's
// bytes to a Node client over loopback TCP on this machine, and what does each byte cost? No broker and no
// protocol: a bare server reads a file in 2 MiB blocks on the thread pool (three ahead, as Warren's Deliver
// reader: storage/log/block-reader.ts) and writes 1 MiB frames with an 8-byte header; a bare client reads
// them into one 4 MiB buffer (net's `onread`, as bench/stream/load.mjs). It reports GB/s and the CPU each side
// spent per GB. A consume can go no faster than this, so it bounds what a 1 KiB stream consume can reach here
// (a 1 KiB message is ~1,035 bytes on the wire) against RabbitMQ's, which sends with sendfile.
// --native read|mmap|sendfile: the sender is bench/stream/floor-sender.c instead (built here with cc), one
// thread with blocking writes: pread + write as the Node server, the file mapped and written from the mapping,
// or sendfile as RabbitMQ (what the kernel costs apart from Node; BENCHMARKS.md, eleventh sitting).
//   node bench/stream/copy-floor.mjs [--gib 1] [--passes 3] [--rounds 3] [--native MODE]
import { execFileSync, fork, spawn } from 'node:child_process';
import { closeSync, openSync, read, rmSync, writeSync, mkdtempSync, fstatSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const FRAME = 1024 * 1024;
const BLOCK = 2 * FRAME;
const AHEAD = 3;

if (args[0] === '--server') {
  // the sending side: one connection, the file sent `passes` times, then the CPU it used
  const fd = openSync(args[1], 'r');
  const size = fstatSync(fd).size;
  const passes = Number(args[2]);
  const srv = net.createServer((s) => {
    s.setNoDelay(true);
    const end = size * passes;
    const blocks = [];
    let readAt = 0;
    let sentAt = 0;
    let waiting = false;
    // blocks are pooled and reused once the socket has written them, as Warren's (a fresh 2 MiB buffer is
    // page-faulted in on every use)
    const pool = [];
    const fill = () => {
      while (blocks.length < AHEAD && readAt < end) {
        const buf = pool.pop() ?? Buffer.allocUnsafeSlow(BLOCK);
        const b = { buf, len: Math.min(BLOCK, size - (readAt % size)), ready: false };
        read(fd, b.buf, 0, b.len, readAt % size, () => {
          b.ready = true;
          if (waiting) pump();
        });
        blocks.push(b);
        readAt += b.len;
      }
    };
    const pump = () => {
      waiting = false;
      fill();
      while (blocks.length > 0 && blocks[0].ready) {
        const b = blocks.shift();
        let ok = true;
        for (let o = 0; o < b.len; o += FRAME) {
          const n = Math.min(FRAME, b.len - o);
          const h = Buffer.allocUnsafe(8);
          h.writeUInt32BE(n, 0);
          s.write(h);
          const last = o + n >= b.len;
          ok = s.write(b.buf.subarray(o, o + n), last ? () => pool.push(b.buf) : undefined);
        }
        sentAt += b.len;
        fill();
        if (!ok) return void s.once('drain', pump);
      }
      if (sentAt >= end) return void s.end(() => process.send?.({ cpu: process.cpuUsage() }));
      waiting = true;
    };
    pump();
  });
  srv.listen(0, '127.0.0.1', () => process.send?.({ port: srv.address().port }));
} else if (args[0] === '--client') {
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  const s = net.connect({
    port: Number(args[1]),
    host: '127.0.0.1',
    onread: { buffer: buf, callback: (n) => void (bytes += n) },
  });
  s.on('end', () => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    process.send?.({ bytes, seconds, cpu: process.cpuUsage() });
    process.exit(0);
  });
} else {
  const gib = opt('--gib', 1);
  const passes = opt('--passes', 3);
  const rounds = opt('--rounds', 3);
  const dir = mkdtempSync(join(tmpdir(), 'copy-floor-'));
  const file = join(dir, 'data');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(FRAME, 7);
  for (let i = 0; i < gib * 1024; i++) writeSync(fd, block);
  closeSync(fd);
  const me = new URL(import.meta.url).pathname;
  const nativeMode = args.includes('--native') ? args[args.indexOf('--native') + 1] : null;
  const sender = join(dir, 'sender');
  if (nativeMode !== null)
    execFileSync('cc', ['-O2', '-o', sender, new URL('floor-sender.c', import.meta.url).pathname]);
  /** The C sender: its port (first line of its stdout), then its CPU seconds (stderr) when it ends. */
  const startNative = () =>
    new Promise((resolve) => {
      const child = spawn(sender, [file, String(passes), nativeMode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const done = new Promise((r) =>
        child.once('exit', () => r({ cpu: { user: Number(err.trim()) * 1e6, system: 0 } })),
      );
      child.stdout.once('data', (d) => resolve({ port: Number(String(d).trim()), done, child }));
    });
  const once = (child) => new Promise((resolve) => child.once('message', resolve));
  const cpuS = (c) => (c.user + c.system) / 1e6;
  const rows = [];
  for (let r = 0; r < rounds; r++) {
    let port;
    let serverDone;
    let server;
    if (nativeMode !== null) ({ port, done: serverDone, child: server } = await startNative());
    else {
      server = fork(me, ['--server', file, String(passes)]);
      ({ port } = await once(server));
      serverDone = once(server);
    }
    const client = fork(me, ['--client', String(port)]);
    const c = await once(client);
    const s = await serverDone;
    server.kill();
    const gb = c.bytes / 1e9;
    rows.push({ gbps: gb / c.seconds, server: cpuS(s.cpu) / gb, client: cpuS(c.cpu) / gb });
    console.log(
      `round ${r + 1}: ${(gb / c.seconds).toFixed(2)} GB/s; CPU per GB: server ${(cpuS(s.cpu) / gb).toFixed(3)} s, client ${(cpuS(c.cpu) / gb).toFixed(3)} s`,
    );
  }
  const med = (k) => rows.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
  const perGb = med('server') + med('client');
  console.log(
    `median ${med('gbps').toFixed(2)} GB/s; CPU per GB server ${med('server').toFixed(3)} s + client ${med('client').toFixed(3)} s = ${perGb.toFixed(3)} s: two cores move at most ${(2 / perGb).toFixed(2)} GB/s (~${(((2 / perGb) * 1e9) / 1035 / 1e6).toFixed(2)} M msg/s of 1 KiB)`,
  );
  rmSync(dir, { recursive: true, force: true });
}
