// Recovery of the message store at start: every segment is read through its index (or scanned, when it
// has none or it is damaged), and each durable queue's surviving messages are rebuilt as its on-disk
// tail: its PUBLISH records minus those with a REMOVE, marked redelivered when a DELIVERED names them.
//
// Compaction copies live records forward and deletes the old segment only once the copies are fsynced; a
// crash in between leaves two copies of a message (same queue and seq): the newer one is kept, once.
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, readdirSync, statSync } from '../io.js';
import { unlinkSync } from '../io.js';
import { isRemoving } from '../log/segment-removal.js';
import { join } from 'node:path';
import type { Logger } from '../../util/logger.js';
import { REC_DELIVERED, REC_PUBLISH, REC_REF, REC_REMOVE, frameAt, recPersistent, recQueue } from '../log/record.js';
import { recSeg, recSeq, recType, refLen, refOff, refOwner } from '../log/record.js';
import {
  E_FLAGS,
  E_LEN,
  E_OFF,
  E_QUEUE,
  E_REF,
  E_SEQ,
  ENTRY,
  isPartialIndex,
  readIndex,
  writeIndexSync,
} from '../log/segment-index.js';
import { SegmentIndexer } from '../log/segment-indexer.js';
import { MAGIC, segmentName } from '../log/segment-log.js';
import { PagedTail, tailFlags } from '../log/tail.js';
import { SegState } from './seg-state.js';

export function indexName(seg: number): string {
  return String(seg).padStart(8, '0') + '.idx';
}

export interface RecoveryStats {
  segments: number;
  messages: number;
  queues: number;
  tornBytes: number;
  ms: number;
}

/** A growable Float64Array. */
class F64List {
  a = new Float64Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  sorted(): Float64Array {
    return this.a.subarray(0, this.n).sort();
  }
}

/** One queue's records during recovery. */
export class Recovering {
  private seq = new Float64Array(1024);
  private seg = new Uint32Array(1024);
  private off = new Uint32Array(1024);
  private len = new Uint32Array(1024);
  /** The queue whose PUBLISH holds the message (this queue's, or another's for a REF). */
  private owner = new Uint32Array(1024);
  private n = 0;
  private inOrder = true;
  readonly removed = new F64List();
  readonly delivered = new F64List();
  nextSeq = 0;

  pub(seq: number, seg: number, off: number, len: number, owner: number): void {
    if (this.n === this.seq.length) {
      const grow = <T extends Float64Array | Uint32Array>(a: T, b: T): T => (b.set(a), b);
      const m = this.n * 2;
      this.seq = grow(this.seq, new Float64Array(m));
      this.seg = grow(this.seg, new Uint32Array(m));
      this.off = grow(this.off, new Uint32Array(m));
      this.len = grow(this.len, new Uint32Array(m));
      this.owner = grow(this.owner, new Uint32Array(m));
    }
    // a copy moved forward by compaction comes later in the log, out of seq order (or twice)
    if (this.n !== 0 && seq <= this.seq[this.n - 1]!) this.inOrder = false;
    if (seq + 1 > this.nextSeq) this.nextSeq = seq + 1;
    const i = this.n++;
    this.seq[i] = seq;
    this.seg[i] = seg;
    this.off[i] = off;
    this.len[i] = len;
    this.owner[i] = owner;
  }

  /**
   * The surviving messages in seq order: publishes minus removes, delivered ones marked redelivered with the
   * number of their deliveries.
   */
  finish(countLive: (seg: number, off: number, len: number, owner: number) => void): PagedTail {
    const n = this.n;
    let order: Uint32Array | null = null;
    if (!this.inOrder) {
      // by seq, and for one seq the copy in the later segment last (that one is kept)
      const o = new Uint32Array(n);
      for (let i = 0; i < n; i++) o[i] = i;
      const sq = this.seq;
      const sg = this.seg;
      o.sort((a, b) => sq[a]! - sq[b]! || sg[a]! - sg[b]!);
      order = o;
    }
    const rm = this.removed.sorted();
    const dl = this.delivered.sorted();
    const out = new PagedTail();
    let ri = 0;
    let di = 0;
    for (let k = 0; k < n; k++) {
      const i = order === null ? k : order[k]!;
      const seq = this.seq[i]!;
      // an older copy of the same message: the next one is the newer
      if (order !== null && k + 1 < n && this.seq[order[k + 1]!] === seq) continue;
      while (ri < rm.length && rm[ri]! < seq) ri++;
      if (ri < rm.length && rm[ri] === seq) continue;
      while (di < dl.length && dl[di]! < seq) di++;
      // one DELIVERED per delivery recorded (queue-state.ts backingDelivered): the count survives
      let deliveries = 0;
      while (di < dl.length && dl[di] === seq) {
        deliveries++;
        di++;
      }
      const seg = this.seg[i]!;
      out.push(seq, seg, this.off[i]!, this.len[i]!, tailFlags(deliveries !== 0, true, deliveries));
      countLive(seg, this.off[i]!, this.len[i]!, this.owner[i]!);
    }
    return out;
  }
}

/** A sealed segment through its index; false when there is none or it is damaged (then: scan). */
function fromIndex(dir: string, seg: number, state: SegState, rec: Map<number, Recovering>, log: Logger): boolean {
  let raw: Buffer;
  try {
    raw = readFileSync(join(dir, indexName(seg)));
  } catch {
    return false;
  }
  const idx = readIndex(raw);
  if (idx === null && isPartialIndex(raw)) return false; // (messages only: the marks are in the segment)
  if (idx === null) {
    log.warn({ seg }, 'damaged segment index; scanning the segment');
    return false;
  }
  state.idxSize = raw.length;
  const b = idx.buf;
  for (let i = 0, p = 0; i < idx.count; i++, p += ENTRY) {
    const id = b.readUInt32LE(p + E_QUEUE);
    const r = rec.get(id);
    if (r === undefined) continue;
    const type = b[p]!;
    const seq = b.readDoubleLE(p + E_SEQ);
    if (type === REC_PUBLISH || type === REC_REF) {
      // a REF's entry has its PUBLISH's offset and length, and the PUBLISH's queue in the ref field
      const owner = type === REC_REF ? b.readUInt32LE(p + E_REF) : id;
      if ((b[p + E_FLAGS]! & 1) !== 0) r.pub(seq, seg, b.readUInt32LE(p + E_OFF), b.readUInt32LE(p + E_LEN), owner);
      else if (seq + 1 > r.nextSeq) r.nextSeq = seq + 1;
    } else {
      if (type === REC_REMOVE) r.removed.push(seq);
      else if (type === REC_DELIVERED) r.delivered.push(seq);
      const ref = b.readUInt32LE(p + E_REF);
      if (ref !== seg) state.addRef(ref);
    }
  }
  state.size = statSync(join(dir, segmentName(seg))).size;
  return true;
}

/** Scan one segment (the last, or one without a usable index); returns torn bytes discarded. */
function scan(
  dir: string,
  f: string,
  seg: number,
  segs: Map<number, SegState>,
  rec: Map<number, Recovering>,
  log: Logger,
): number {
  const state = segs.get(seg)!;
  const path = join(dir, f);
  const b = readFileSync(path);
  if (b.length < MAGIC.length || !b.subarray(0, MAGIC.length).equals(MAGIC)) {
    // a segment whose creation was cut short; it holds nothing
    if (b.length > MAGIC.length) throw new Error(`${path} is not a Warren message segment; refusing to start`);
    state.size = b.length;
    return 0;
  }
  let at = MAGIC.length;
  const end = b.length;
  // the scanned segment gets an index, so the next recovery need not scan it again (or a partial one, for compaction)
  const index = new SegmentIndexer();
  while (at < end) {
    const n = frameAt(b, at, end, true);
    if (n < 0) break;
    const id = recQueue(b, at);
    const r = rec.get(id);
    if (r !== undefined) {
      const type = recType(b, at);
      const seq = recSeq(b, at);
      if (type === REC_PUBLISH) {
        const persistent = recPersistent(b, at);
        if (persistent) r.pub(seq, seg, at, n, id);
        else if (seq + 1 > r.nextSeq) r.nextSeq = seq + 1;
        index.add(type, id, seq, at, n, persistent ? 1 : 0, 0);
      } else if (type === REC_REF) {
        const owner = refOwner(b, at);
        r.pub(seq, seg, refOff(b, at), refLen(b, at), owner);
        index.add(type, id, seq, refOff(b, at), refLen(b, at), 1, owner);
      } else {
        if (type === REC_REMOVE) r.removed.push(seq);
        else if (type === REC_DELIVERED) r.delivered.push(seq);
        const ref = recSeg(b, at);
        if (ref !== seg) state.addRef(ref);
        index.add(type, id, seq, 0, 0, 0, ref);
      }
    }
    at += n;
  }
  state.size = at;
  let torn = 0;
  if (at < end) {
    // torn write: everything from here on is discarded; nothing before it is lost
    torn = end - at;
    log.warn({ segment: f, offset: at, bytes: end - at }, 'discarding torn tail of message segment');
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  try {
    const idx = index.seal(seg, at, (t) => segs.has(t));
    if (idx !== null) {
      writeIndexSync(join(dir, indexName(seg)), idx.parts);
      state.idxSize = idx.bytes;
    }
  } catch (e) {
    log.warn({ err: e }, 'could not write segment index');
  }
  return torn;
}

export interface Recovered {
  last: number;
  tails: Map<number, { tail: PagedTail; nextSeq: number }>;
  stats: RecoveryStats;
}

/** Read every segment of `dir` for the queues `ids`; fills `segs` (live bits, sizes, refs). */
export function recover(dir: string, ids: Iterable<number>, segs: Map<number, SegState>, log: Logger): Recovered {
  const t0 = Date.now();
  const all = readdirSync(dir);
  const files = all.filter((f) => /^\d{8}\.seg$/.test(f)).sort();
  // an index being written when the process died (.idx.tmp), left by a segment deleted just before, or a
  // segment being removed (log/segment-removal.ts): gone
  const segNames = new Set(files);
  for (const f of all) {
    if (f.endsWith('.idx.tmp') || isRemoving(f) || (/^\d{8}\.idx$/.test(f) && !segNames.has(f.slice(0, 8) + '.seg'))) {
      unlinkSync(join(dir, f));
    }
  }
  const rec = new Map<number, Recovering>();
  for (const id of ids) rec.set(id, new Recovering());
  let last = 0;
  let tornBytes = 0;
  for (let fi = 0; fi < files.length; fi++) {
    const f = files[fi]!;
    const seg = Number(f.slice(0, 8));
    last = Math.max(last, seg);
    const state = new SegState();
    state.sealed = true;
    segs.set(seg, state);
    if (fi < files.length - 1 && fromIndex(dir, seg, state, rec, log)) continue;
    tornBytes += scan(dir, f, seg, segs, rec, log);
  }
  const tails = new Map<number, { tail: PagedTail; nextSeq: number }>();
  let messages = 0;
  for (const [id, r] of rec) {
    const tail = r.finish((seg, off, len, owner) => segs.get(seg)!.hold(off, len, id, owner));
    messages += tail.length;
    tails.set(id, { tail, nextSeq: r.nextSeq });
  }
  return { last, tails, stats: { segments: files.length, messages, queues: rec.size, tornBytes, ms: Date.now() - t0 } };
}
