// One follower's connection on the leader: the challenge (HMAC of a nonce under the shared secret, so the
// secret never crosses the wire), the initial sync against the follower's manifest, then the live actions
// and the follower's acknowledgements.
//
// The initial sync and the live stream overlap safely: the session is registered for live actions (kept
// in `pending`) before the leader reads its files, so every change after that point is in `pending`; the
// files are then sent as they are on disk, and `pending` after them. A write is positional (the same bytes
// at the same offset, whether sent twice or once), a truncation, replacement or removal is the state the
// file had at that point, so replaying `pending` over files read a little later ends at the leader's state.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { stat, type FileHandle } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openFile } from '../../storage/io.js';
import type { Logger } from '../../util/logger.js';
import { listFiles, localPath, type ManifestEntry } from './manifest.js';
import {
  FrameReader,
  T_ACK,
  T_CHALLENGE,
  T_HELLO,
  T_PING,
  T_REFUSED,
  T_REMOVE,
  T_RESET,
  T_SYNCED,
  T_WRITE,
  encodeAction,
  encodeMessage,
  encodeSeq,
} from './protocol.js';

const CHUNK = 1024 * 1024;
/** Unsent bytes a follower may fall behind before it is dropped (it resumes from its disk on reconnect). */
const MAX_BACKLOG = 256 * 1024 * 1024;

export interface SessionHost {
  readonly dir: string;
  readonly secret: string;
  readonly logger: Logger;
  /** A path reported removed (its unlink may not have finished). */
  isGone(path: string): boolean;
  /** Seq and byte count of the last action. */
  readonly seq: number;
  readonly bytes: number;
  /** The follower proved the secret: from now on it gets every action. */
  joined(s: FollowerSession): void;
  /** The follower acknowledged (acked moved). */
  acked(s: FollowerSession): void;
  left(s: FollowerSession): void;
}

export interface Hello {
  node: string;
  proof: string;
  files: ManifestEntry[];
}

export function proof(secret: string, nonce: Buffer): string {
  return createHmac('sha256', secret).update(nonce).digest('hex');
}

export class FollowerSession {
  name = '';
  state: 'auth' | 'syncing' | 'live' | 'closed' = 'auth';
  /** Every action up to this seq is on the follower's disk. */
  acked = 0;
  /** The seq the initial sync brings the follower to; in sync once it acknowledges it. */
  syncSeq = -1;
  inSync = false;
  lastHeard = Date.now();
  /** Bytes of the initial sync still to send. */
  syncRemaining = 0;
  private bytesAtSync = 0;
  private ackedBytes = 0;
  /** (seq, host bytes after it) of live actions sent and not yet acknowledged. */
  private marks: number[] = [];
  private pending: Buffer[] | null = null;
  private readonly nonce = randomBytes(32);
  /** Frames from a follower are small (acks; the manifest); one not yet authenticated sends little. */
  private readonly reader = new FrameReader(64 * 1024 * 1024);

  constructor(
    readonly socket: Socket,
    private readonly host: SessionHost,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.closed());
    socket.write(encodeMessage(T_CHALLENGE, this.nonce));
  }

  get lagBytes(): number {
    if (!this.inSync) return this.syncRemaining + (this.host.bytes - this.bytesAtSync);
    return this.host.bytes - this.ackedBytes;
  }

  /** A live action: sent now, or after the initial sync. */
  action(frame: Buffer, seq: number): void {
    if (this.state === 'syncing') this.pending!.push(frame);
    else if (this.state === 'live') this.send(frame);
    else return;
    this.marks.push(seq, this.host.bytes);
  }

  ping(): void {
    if (this.state !== 'closed' && this.state !== 'auth') this.socket.write(encodeSeq(T_PING, this.host.seq));
  }

  close(): void {
    this.socket.destroy();
  }

  private send(frame: Buffer): void {
    if (this.socket.writableLength > MAX_BACKLOG) {
      this.host.logger.warn({ follower: this.name }, 'replication follower too far behind: dropped (it resumes)');
      this.socket.destroy();
      return;
    }
    this.socket.write(frame);
  }

  private data(chunk: Buffer): void {
    this.lastHeard = Date.now();
    let bodies: Buffer[];
    try {
      bodies = this.reader.push(chunk);
    } catch (e) {
      this.host.logger.warn({ err: e, follower: this.name }, 'replication: damaged frame from follower');
      this.socket.destroy();
      return;
    }
    for (const b of bodies) {
      if (b[0] === T_ACK && this.state !== 'auth') this.ack(b.readDoubleLE(1));
      else if (b[0] === T_HELLO && this.state === 'auth') this.hello(b.subarray(1));
    }
  }

  private ack(seq: number): void {
    if (seq > this.acked) {
      this.acked = seq;
      const m = this.marks;
      let i = 0;
      while (i < m.length && m[i]! <= seq) {
        this.ackedBytes = m[i + 1]!;
        i += 2;
      }
      if (i !== 0) this.marks = m.slice(i);
    } else if (this.inSync || this.syncSeq < 0 || seq < this.syncSeq) return;
    // (an ack of seq 0 ends the initial sync of a leader that has written nothing yet)
    if (!this.inSync && this.syncSeq >= 0 && seq >= this.syncSeq && this.state === 'live') {
      this.inSync = true;
      if (this.marks.length === 0) this.ackedBytes = this.host.bytes;
    }
    this.host.acked(this);
  }

  private hello(body: Buffer): void {
    let h: Hello;
    try {
      h = JSON.parse(body.toString('utf8')) as Hello;
      if (!Array.isArray(h.files) || typeof h.proof !== 'string') throw new Error('bad hello');
    } catch {
      return this.refuse('bad hello');
    }
    const want = Buffer.from(proof(this.host.secret, this.nonce), 'hex');
    const got = Buffer.from(h.proof, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return this.refuse('bad cluster secret');
    const theirs = new Map<string, ManifestEntry>();
    for (const e of h.files) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number' || typeof e[2] !== 'string') {
        return this.refuse('bad manifest');
      }
      theirs.set(e[0], e);
    }
    this.name = String(h.node);
    this.state = 'syncing';
    this.pending = [];
    this.syncSeq = this.host.seq;
    this.bytesAtSync = this.ackedBytes = this.host.bytes;
    this.host.joined(this);
    this.initialSync(theirs).catch((e: unknown) => {
      this.host.logger.warn({ err: e, follower: this.name }, 'replication: initial sync failed');
      this.socket.destroy();
    });
  }

  private refuse(why: string): void {
    this.host.logger.warn({ from: this.socket.remoteAddress, why }, 'replication: follower refused');
    this.socket.end(encodeMessage(T_REFUSED, { error: why }));
  }

  private async initialSync(theirs: Map<string, ManifestEntry>): Promise<void> {
    const dir = this.host.dir;
    const mine = (await listFiles(dir)).filter((rel) => !this.host.isGone(join(dir, rel)));
    const have = new Set(mine);
    // what the follower has and the leader does not: the whole directory when the leader has none (a
    // deleted stream), else the file
    const gone = new Set<string>();
    for (const rel of theirs.keys()) {
      localPath(dir, rel); // refuses a path outside the directory
      if (have.has(rel)) continue;
      const parts = rel.split('/');
      let top = rel;
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!(await exists(join(dir, d)))) {
          top = d;
          break;
        }
      }
      if (!gone.has(top)) this.socket.write(encodeAction(T_REMOVE, 0, 0, top, null));
      gone.add(top);
    }
    for (const rel of mine) this.syncRemaining += await sizeOf(join(dir, rel));
    for (const rel of mine) {
      if (this.state !== 'syncing') return;
      if (this.host.isGone(join(dir, rel))) continue;
      let fh: FileHandle;
      try {
        // through storage's seam: a failing disk fails the sync (a clear error; the follower comes back)
        fh = await openFile(join(dir, rel), 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted meanwhile: its removal is in `pending`
        throw e;
      }
      try {
        const size = (await fh.stat()).size;
        const t = theirs.get(rel);
        // the follower has a prefix of this file (a log it has part of): only the rest goes
        let from = -1;
        if (t !== undefined && t[1] <= size && (await hashPrefix(fh, t[1])) === t[2]) from = t[1];
        this.syncRemaining -= Math.max(0, from);
        if (from < 0) this.socket.write(encodeAction(T_RESET, 0, size, rel, null));
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, size));
        for (let at = Math.max(0, from); at < size && this.state === 'syncing';) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, size - at), at);
          if (bytesRead === 0) break;
          this.socket.write(encodeAction(T_WRITE, 0, at, rel, buf, 0, bytesRead));
          at += bytesRead;
          this.syncRemaining -= bytesRead;
          await this.drained();
        }
      } finally {
        await fh.close();
      }
    }
    if (this.state !== 'syncing') return;
    this.syncRemaining = 0;
    this.socket.write(encodeSeq(T_SYNCED, this.syncSeq));
    const pending = this.pending!;
    this.pending = null;
    this.state = 'live';
    for (const f of pending) this.send(f);
    this.host.logger.info({ follower: this.name, seq: this.syncSeq }, 'replication: follower caught up, streaming');
  }

  private drained(): Promise<void> {
    if (this.socket.writableLength < 8 * CHUNK || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private closed(): void {
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'closed';
    this.pending = null;
    if (was !== 'auth') this.host.left(this);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashPrefix(fh: FileHandle, length: number): Promise<string> {
  const h = createHash('sha1');
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let pos = 0; pos < length;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, length - pos), pos);
    if (bytesRead === 0) break;
    h.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return h.digest('hex');
}
