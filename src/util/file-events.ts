// Changes to files under a directory, for whoever mirrors that directory elsewhere (cluster replication,
// src/cluster/replication/: a follower keeps a byte-identical copy of the leader's data directory). Storage
// reports each change at the place it makes it; nothing is reported, and a write costs one boolean test,
// while no one observes (a single node). Observers are per directory, so several brokers in one process
// (tests) each have their own.
import { resolve, sep } from 'node:path';

export interface FileObserver {
  /** `data[start, end)` was written at offset `off` of `path` (the hot path: the segment logs). */
  written(path: string, off: number, data: Buffer, start: number, end: number): void;
  /** `path` was created, appended to, truncated or replaced (renamed over): the observer reads it. */
  changed(path: string): void;
  /** `path` (a file, or a directory with everything in it) was deleted. */
  removed(path: string): void;
  /**
   * Resolves once every change reported so far is durable where the observer copies it (a cluster's
   * followers); null when nothing needs to wait. For state files whose write an acknowledgement waits for.
   */
  replicated(): Promise<void> | null;
}

interface Watch {
  dir: string;
  observer: FileObserver;
}

const watches: Watch[] = [];

/** True while anyone observes: call sites test it before building a path. */
export const fileEvents = { active: false };

/** Observe the files under `dir`; returns the function that stops. */
export function observeFiles(dir: string, observer: FileObserver): () => void {
  const w: Watch = { dir: resolve(dir) + sep, observer };
  watches.push(w);
  fileEvents.active = true;
  return () => {
    const i = watches.indexOf(w);
    if (i >= 0) watches.splice(i, 1);
    fileEvents.active = watches.length !== 0;
  };
}

function find(path: string): Watch | null {
  const p = resolve(path);
  for (const w of watches) if (p.startsWith(w.dir)) return w;
  return null;
}

export function fileWritten(path: string, off: number, data: Buffer, start: number, end: number): void {
  const w = find(path);
  if (w !== null) w.observer.written(resolve(path), off, data, start, end);
}

export function fileChanged(path: string): void {
  const w = find(path);
  if (w !== null) w.observer.changed(resolve(path));
}

export function fileRemoved(path: string): void {
  const w = find(path);
  if (w !== null) w.observer.removed(resolve(path));
}

/** Waits until the changes reported so far under `path`'s directory are copied (see FileObserver). */
export function fileReplicated(path: string): Promise<void> | null {
  const w = find(path);
  return w === null ? null : w.observer.replicated();
}

/** Report removals (made by the caller, maybe still on the thread pool). */
export function reportRemoved(...paths: string[]): void {
  for (const p of paths) fileRemoved(p);
}
