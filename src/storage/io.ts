// Storage's one file-I/O seam: every file system call of the segment log, the message store (recovery,
// paging, compaction), stream logs, the definitions snapshot and journal, queue ids, delayed and dedup
// logs and the MQTT state files goes through these functions, which have node:fs's names and signatures.
// They exist so that a test can make the disk fail on purpose (broker.faults.failDisk, controls/faults.ts):
// ENOSPC or EIO on write, fsync or read, or EROFS/EACCES as from a read-only data directory (the CI
// container runs as root, for whom chmod cannot make a directory read-only, so the seam stands in for it).
//
// Cost when no fault is armed: one module-level length check per call before node:fs's own function (no
// allocation); the segment log calls writeSync once per event-loop turn, not per message. Descriptors opened
// here remember their path (a Map entry per open: segment files and journals, not per message) so that a
// fault scoped to one broker's data directory also hits writes through an fd.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { removeTree, writeInBackground } from './janitor.js';

/** The errors a disk fault raises: a full disk, an I/O error, a read-only file system, no permission. */
export type DiskFaultKind = 'ENOSPC' | 'EIO' | 'EROFS' | 'EACCES';
/** Where it strikes: writes (and creating, renaming, deleting files), fsyncs, reads, or all of them. */
export type DiskFaultOp = 'write' | 'fsync' | 'read' | 'all';

interface Fault {
  dir: string;
  code: DiskFaultKind;
  write: boolean;
  fsync: boolean;
  read: boolean;
}

const MESSAGES: Record<DiskFaultKind, [number, string]> = {
  ENOSPC: [-28, 'no space left on device'],
  EIO: [-5, 'i/o error'],
  EROFS: [-30, 'read-only file system'],
  EACCES: [-13, 'permission denied'],
};

let faults: Fault[] = [];
const fdPaths = new Map<number, string>();

/**
 * Make file calls under `dir` fail with `code` from now on (until healDisk). ENOSPC, EROFS and EACCES never
 * strike reads (a full or read-only disk still reads); EIO strikes whatever `on` says.
 */
export function failDisk(dir: string, code: DiskFaultKind, on: DiskFaultOp | DiskFaultOp[] = 'all'): void {
  const ops = new Set(Array.isArray(on) ? on : [on]);
  const all = ops.has('all');
  const readOnly = code === 'EROFS' || code === 'EACCES';
  faults = faults.filter((f) => f.dir !== resolve(dir));
  faults.push({
    dir: resolve(dir),
    code,
    write: all || ops.has('write'),
    // a read-only file system refuses the writes; there is nothing then to fsync
    fsync: !readOnly && (all || ops.has('fsync')),
    read: code === 'EIO' && (all || ops.has('read')),
  });
}

/** End the faults under `dir`. */
export function healDisk(dir: string): void {
  faults = faults.filter((f) => f.dir !== resolve(dir));
}

/** The fault armed for `dir`, if any (for the management API and tests). */
export function diskFault(dir: string): DiskFaultKind | null {
  return faults.find((f) => f.dir === resolve(dir))?.code ?? null;
}

type Op = 'write' | 'fsync' | 'read';

/** The error a call on `path` would get now, or null. */
function struck(op: Op, path: string | undefined, syscall: string): NodeJS.ErrnoException | null {
  if (path === undefined) return null;
  const p = resolve(path);
  for (const f of faults) {
    if (!f[op] || (p !== f.dir && !p.startsWith(f.dir + sep))) continue;
    const [errno, text] = MESSAGES[f.code];
    const e = new Error(`${f.code}: ${text}, ${syscall} '${path}'`) as NodeJS.ErrnoException;
    e.code = f.code;
    e.errno = errno;
    e.syscall = syscall;
    e.path = path;
    return e;
  }
  return null;
}

function pathOf(p: fs.PathLike): string {
  return typeof p === 'string' ? p : p.toString();
}

function check(op: Op, path: fs.PathLike, syscall: string): void {
  if (faults.length === 0) return;
  const e = struck(op, pathOf(path), syscall);
  if (e !== null) throw e;
}

function checkFd(op: Op, fd: number, syscall: string): void {
  if (faults.length === 0) return;
  const e = struck(op, fdPaths.get(fd), syscall);
  if (e !== null) throw e;
}

function fdError(op: Op, fd: number, syscall: string): NodeJS.ErrnoException | null {
  return faults.length === 0 ? null : struck(op, fdPaths.get(fd), syscall);
}

/** Flags that create, truncate or append: an open for writing. */
function writes(flags: fs.OpenMode | undefined): boolean {
  return flags !== undefined && flags !== 'r' && flags !== fs.constants.O_RDONLY;
}

// ---- synchronous ------------------------------------------------------------------------------

export function openSync(path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode): number {
  if (writes(flags)) check('write', path, 'open');
  const fd = fs.openSync(path, flags ?? 'r', mode);
  fdPaths.set(fd, pathOf(path));
  return fd;
}

export function closeSync(fd: number): void {
  fdPaths.delete(fd);
  fs.closeSync(fd);
}

export const writeSync = ((fd: number, ...rest: unknown[]): number => {
  checkFd('write', fd, 'write');
  return (fs.writeSync as (fd: number, ...a: unknown[]) => number)(fd, ...rest);
}) as typeof fs.writeSync;

export const readSync = ((fd: number, ...rest: unknown[]): number => {
  checkFd('read', fd, 'read');
  return (fs.readSync as (fd: number, ...a: unknown[]) => number)(fd, ...rest);
}) as typeof fs.readSync;

export function writevSync(fd: number, parts: NodeJS.ArrayBufferView[]): number {
  checkFd('write', fd, 'writev');
  return fs.writevSync(fd, parts);
}

export function fsyncSync(fd: number): void {
  checkFd('fsync', fd, 'fsync');
  fs.fsyncSync(fd);
}

export function fdatasyncSync(fd: number): void {
  checkFd('fsync', fd, 'fdatasync');
  fs.fdatasyncSync(fd);
}

export function ftruncateSync(fd: number, len?: number): void {
  checkFd('write', fd, 'ftruncate');
  fs.ftruncateSync(fd, len);
}

export const readFileSync = ((path: fs.PathOrFileDescriptor, options?: unknown): string | Buffer => {
  if (typeof path !== 'number') check('read', path, 'open');
  return (fs.readFileSync as (p: fs.PathOrFileDescriptor, o?: unknown) => string | Buffer)(path, options);
}) as typeof fs.readFileSync;

export function writeFileSync(
  path: fs.PathLike,
  data: string | NodeJS.ArrayBufferView,
  options?: fs.WriteFileOptions,
): void {
  check('write', path, 'open');
  fs.writeFileSync(path, data, options);
}

export function renameSync(from: fs.PathLike, to: fs.PathLike): void {
  check('write', to, 'rename');
  fs.renameSync(from, to);
}

export function unlinkSync(path: fs.PathLike): void {
  check('write', path, 'unlink');
  fs.unlinkSync(path);
}

/** As node:fs's: with `recursive`, the first directory it created, undefined when `path` was there already. */
export function mkdirSync(
  path: fs.PathLike,
  options?: fs.MakeDirectoryOptions & { recursive: true },
): string | undefined {
  check('write', path, 'mkdir');
  return fs.mkdirSync(path, options);
}

export function rmSync(path: fs.PathLike, options?: fs.RmOptions): void {
  check('write', path, 'rm');
  fs.rmSync(path, options);
}

// reading directory entries and sizes is not failed: they come from the cached inode, not the data blocks
export { existsSync, fstatSync, readdirSync, statSync } from 'node:fs';

// ---- callbacks ---------------------------------------------------------------------------------

type Done = (e: NodeJS.ErrnoException | null) => void;

export function fdatasync(fd: number, cb: Done): void {
  const e = fdError('fsync', fd, 'fdatasync');
  if (e !== null) return process.nextTick(cb, e);
  fs.fdatasync(fd, cb);
}

export function fsync(fd: number, cb: Done): void {
  const e = fdError('fsync', fd, 'fsync');
  if (e !== null) return process.nextTick(cb, e);
  fs.fsync(fd, cb);
}

export function close(fd: number, cb: Done): void {
  fdPaths.delete(fd);
  fs.close(fd, cb);
}

export function ftruncate(fd: number, len: number, cb: Done): void {
  const e = fdError('write', fd, 'ftruncate');
  if (e !== null) return process.nextTick(cb, e);
  fs.ftruncate(fd, len, cb);
}

export function writev(fd: number, parts: NodeJS.ArrayBufferView[], cb: Done): void {
  const e = fdError('write', fd, 'writev');
  if (e !== null) return process.nextTick(cb, e);
  fs.writev(fd, parts, (err) => cb(err));
}

export function writeString(fd: number, data: string, cb: Done): void {
  const e = fdError('write', fd, 'write');
  if (e !== null) return process.nextTick(cb, e);
  fs.write(fd, data, (err) => cb(err));
}

export function open(
  path: fs.PathLike,
  flags: fs.OpenMode,
  cb: (e: NodeJS.ErrnoException | null, fd: number) => void,
): void {
  const e = writes(flags) && faults.length !== 0 ? struck('write', pathOf(path), 'open') : null;
  if (e !== null) return process.nextTick(cb, e, -1);
  fs.open(path, flags, (err, fd) => {
    if (err === null) fdPaths.set(fd, pathOf(path));
    cb(err, fd);
  });
}

export function read(
  fd: number,
  buf: Buffer,
  off: number,
  len: number,
  pos: number,
  cb: (e: NodeJS.ErrnoException | null, n: number) => void,
): void {
  const e = fdError('read', fd, 'read');
  if (e !== null) return process.nextTick(cb, e, 0);
  fs.read(fd, buf, off, len, pos, cb);
}

// ---- promises ----------------------------------------------------------------------------------

/** fs/promises.open; the handle's reads, writes and syncs go through the seam too. */
export async function openFile(path: fs.PathLike, flags: fs.OpenMode = 'r'): Promise<fsp.FileHandle> {
  if (writes(flags)) check('write', path, 'open');
  const fh = await fsp.open(path, flags);
  const p = pathOf(path);
  const guard =
    <A extends unknown[], R>(op: Op, syscall: string, f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      check(op, p, syscall);
      return f.apply(fh, a);
    };
  fh.read = guard('read', 'read', fh.read) as typeof fh.read;
  fh.readFile = guard('read', 'read', fh.readFile) as typeof fh.readFile;
  fh.write = guard('write', 'write', fh.write) as typeof fh.write;
  fh.writeFile = guard('write', 'write', fh.writeFile);
  fh.sync = guard('fsync', 'fsync', fh.sync);
  fh.datasync = guard('fsync', 'fdatasync', fh.datasync);
  return fh;
}

export const readFile = (async (path: fs.PathLike, options?: unknown): Promise<string | Buffer> => {
  check('read', path, 'open');
  return (fsp.readFile as (p: fs.PathLike, o?: unknown) => Promise<string | Buffer>)(path, options);
}) as typeof fsp.readFile;

export async function writeFile(path: fs.PathLike, data: string | Uint8Array): Promise<void> {
  check('write', path, 'open');
  await fsp.writeFile(path, data);
}

/** rename(from, to): a promise, or with a callback as node:fs's. */
export function rename(from: fs.PathLike, to: fs.PathLike): Promise<void>;
export function rename(from: fs.PathLike, to: fs.PathLike, cb: Done): void;
export function rename(from: fs.PathLike, to: fs.PathLike, cb?: Done): Promise<void> | void {
  const e = faults.length === 0 ? null : struck('write', pathOf(to), 'rename');
  if (cb === undefined) return e !== null ? Promise.reject(e) : fsp.rename(from, to);
  if (e !== null) return process.nextTick(cb, e);
  fs.rename(from, to, cb);
}

/** unlink(path): a promise, or with a callback as node:fs's. */
export function unlink(path: fs.PathLike): Promise<void>;
export function unlink(path: fs.PathLike, cb: Done): void;
export function unlink(path: fs.PathLike, cb?: Done): Promise<void> | void {
  const e = faults.length === 0 ? null : struck('write', pathOf(path), 'unlink');
  if (cb === undefined) return e !== null ? Promise.reject(e) : fsp.unlink(path);
  if (e !== null) return process.nextTick(cb, e);
  fs.unlink(path, cb);
}

/** rm -r of `path` on the janitor's thread (a deleted stream's directory, renamed aside: janitor.ts). */
export function removeTreeInBackground(path: string): void {
  check('write', path, 'rm');
  removeTree(path);
}

/** A file nothing depends on, written on the janitor's thread (a stream directory's `name`: janitor.ts). */
export function writeFileInBackground(path: string, data: string): void {
  check('write', path, 'open');
  writeInBackground(path, data);
}

export async function mkdir(path: fs.PathLike, options?: fs.MakeDirectoryOptions): Promise<void> {
  check('write', path, 'mkdir');
  await fsp.mkdir(path, options);
}
