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
parentPort.on('message', (jobs) => {
  for (const m of jobs) {
    try {
      if (m.op === 'rm') fs.rmSync(m.path, { recursive: true, force: true });
      else if (m.op === 'write') fs.writeFileSync(m.path, m.data);
    } catch {
      // gone already, or its directory is: the work was for nobody
    }
    if (m.op === 'ping') parentPort.postMessage(m.id);
  }
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

/**
 * Jobs asked for over the last BATCH_MS, posted together: waking the worker costs the event loop more than the
 * message (on a busy machine the woken thread can take the CPU from the one waking it): a postMessage per
 * deletion, or per turn, was still 2.4% of the Stream fuzzer's broker. Nobody waits for this work.
 */
let batch: Job[] = [];
let timer: NodeJS.Timeout | null = null;
const BATCH_MS = 50;

function post(job: Job): boolean {
  if (start() === null) return false;
  batch.push(job);
  if (timer === null) {
    timer = setTimeout(flush, BATCH_MS);
    timer.unref(); // a process that ends first leaves a renamed-aside directory: the next boot removes it
  }
  return true;
}

function flush(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  const jobs = batch;
  batch = [];
  if (jobs.length === 0) return;
  if (worker !== null) worker.postMessage(jobs);
  else for (const j of jobs) fallback(j); // the worker died since they were asked for
}

function fallback(j: Job): void {
  if (j.op === 'rm') fsp.rm(j.path, { recursive: true, force: true }).catch(() => {});
  else if (j.op === 'write') fsp.writeFile(j.path, j.data).catch(() => {});
}

/** Remove the directory tree at `path` in the background (errors ignored: it may be gone already). */
export function removeTree(path: string): void {
  const j: Job = { op: 'rm', path };
  if (!post(j)) fallback(j);
}

/** Write `data` to `path` in the background (errors ignored: a file nothing depends on). */
export function writeInBackground(path: string, data: string): void {
  const j: Job = { op: 'write', path, data };
  if (!post(j)) fallback(j);
}

/** Resolves once everything asked of the janitor before the call is done (tests). */
export function janitorIdle(): Promise<void> {
  if (worker === null) return Promise.resolve();
  const id = ++pings;
  return new Promise<void>((resolve) => {
    waiting.set(id, resolve);
    // a ping keeps the process alive until answered (the worker itself is unref'd)
    worker!.ref();
    post({ op: 'ping', id });
    flush();
  }).then(() => {
    if (waiting.size === 0) worker?.unref();
  });
}
