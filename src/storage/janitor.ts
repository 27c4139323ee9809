// File work nobody waits for, on a worker thread: removing a deleted stream's directory (renamed aside
// first, so nothing else can reach it) and writing a stream directory's informational `name` file.
//
// Why a thread and not node:fs's async calls: fs.rm on Node 20 is rimraf written in JavaScript, one lstat,
// readdir, unlink or rmdir at a time, each started and completed on the event loop; under stream churn (the
// Stream fuzzer creates and deletes thousands of streams a minute) those calls and their callbacks were ~6%
// of the broker's busy turns (BENCHMARKS.md, tenth sitting). Posting a message is one call; the worker does
// the rest with the synchronous calls, where their time costs the event loop nothing.
//
// One worker per process, started at the first request and unref'd (it never keeps a process alive). If it
// cannot start or dies, the work is done with node:fs's async calls, as before. A removal the process does
// not live to finish leaves a renamed-aside directory, which the stream store removes at the next boot.
import * as fsp from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

type Job = { op: 'rm'; path: string } | { op: 'write'; path: string; data: string } | { op: 'ping'; id: number };

// CommonJS: an eval'd worker has require, and no file of its own to find next to dist/
const SCRIPT = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', (m) => {
  try {
    if (m.op === 'rm') fs.rmSync(m.path, { recursive: true, force: true });
    else if (m.op === 'write') fs.writeFileSync(m.path, m.data);
  } catch {
    // gone already, or its directory is: the work was for nobody
  }
  if (m.op === 'ping') parentPort.postMessage(m.id);
});
`;

let worker: Worker | null = null;
let broken = false;
let pings = 0;
const waiting = new Map<number, () => void>();

function start(): Worker | null {
  if (worker !== null || broken) return worker;
  try {
    const w = new Worker(SCRIPT, { eval: true, stdout: false, stderr: false });
    w.on('message', (id: number) => {
      waiting.get(id)?.();
      waiting.delete(id);
    });
    w.on('error', () => stop());
    w.on('exit', () => stop());
    w.unref(); // after the listeners: adding a 'message' listener refs the worker's port again
    worker = w;
  } catch {
    broken = true;
  }
  return worker;
}

function stop(): void {
  worker = null;
  broken = true;
  for (const done of waiting.values()) done();
  waiting.clear();
}

function post(job: Job): boolean {
  const w = start();
  if (w === null) return false;
  w.postMessage(job);
  return true;
}

/** Remove the directory tree at `path` in the background (errors ignored: it may be gone already). */
export function removeTree(path: string): void {
  if (!post({ op: 'rm', path })) fsp.rm(path, { recursive: true, force: true }).catch(() => {});
}

/** Write `data` to `path` in the background (errors ignored: a file nothing depends on). */
export function writeInBackground(path: string, data: string): void {
  if (!post({ op: 'write', path, data })) fsp.writeFile(path, data).catch(() => {});
}

/** Resolves once everything asked of the janitor before the call is done (tests; a graceful stop). */
export function janitorIdle(): Promise<void> {
  if (worker === null) return Promise.resolve();
  const id = ++pings;
  return new Promise<void>((resolve) => {
    waiting.set(id, resolve);
    // a ping keeps the process alive until answered (the worker itself is unref'd)
    worker!.ref();
    post({ op: 'ping', id });
  }).then(() => {
    if (waiting.size === 0) worker?.unref();
  });
}
