// What a data directory holds, as a follower tells its leader on (re)connecting: per file its path, size
// and SHA-1. The leader compares with its own files and sends only what differs (the tail of a log the
// follower has a prefix of, a whole file otherwise), so a follower that was away briefly resumes instead of
// copying everything again. Temp files (`*.tmp`: a replace in progress), `warren.lock` and a deleted stream's
// directory renamed aside for removal (`<dir>.deleted-<n>`: gone from the stream store, removed in the
// background, so it may still be there when a follower connects) are never replicated.
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { openFile } from '../../storage/io.js';
import { LOCK_FILE } from '../../storage/data-dir-lock.js';
import { DELETED } from '../../storage/streams/stream-store.js';
import { join, sep } from 'node:path';

/** [path relative to the data directory ('/'-separated), size, SHA-1 hex]. */
export type ManifestEntry = [string, number, string];

/** Every file under `dir` (relative paths, '/'-separated), temp files left out. */
export async function listFiles(dir: string, sub = ''): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(dir, sub));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.sort()) {
    const rel = sub === '' ? n : `${sub}/${n}`;
    let st;
    try {
      st = await stat(join(dir, rel));
    } catch {
      continue; // deleted meanwhile
    }
    if (st.isDirectory() && !n.includes(DELETED)) out.push(...(await listFiles(dir, rel)));
    // the lock names the process that holds this directory (storage/data-dir-lock.ts): never another node's
    else if (st.isFile() && !n.endsWith('.tmp') && rel !== LOCK_FILE) out.push(rel);
  }
  return out;
}

/** SHA-1 of the first `length` bytes of `file` (the whole file when length is omitted); null if it is gone. */
export async function hashFile(file: string, length = Infinity): Promise<{ size: number; hash: string } | null> {
  let fh;
  try {
    fh = await openFile(file, 'r');
  } catch {
    return null;
  }
  try {
    const h = createHash('sha1');
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let pos = 0;
    while (pos < length) {
      const want = Math.min(buf.length, length - pos);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return { size: pos, hash: h.digest('hex') };
  } finally {
    await fh.close();
  }
}

export async function manifest(dir: string): Promise<ManifestEntry[]> {
  const out: ManifestEntry[] = [];
  for (const rel of await listFiles(dir)) {
    const h = await hashFile(join(dir, rel));
    if (h !== null) out.push([rel, h.size, h.hash]);
  }
  return out;
}

/** A path from the wire as a path under `dir`; refuses anything that would leave it. */
export function localPath(dir: string, rel: string): string {
  const parts = rel.split('/');
  if (rel === '' || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes(sep) || p.includes('\0'))) {
    throw new Error(`bad replicated path ${JSON.stringify(rel)}`);
  }
  return join(dir, ...parts);
}
