// What a stream keeps besides its messages, as osiris keeps it (osiris_tracking.erl), so that it survives a
// restart:
// - publisher sequences (deduplication by publisher reference + publishing id): written in the trailer of the
//   chunk that holds the publisher's messages, so a sequence is durable exactly when its messages are (a kill -9
//   cannot leave messages without their sequence, which would let a resend duplicate them). The first chunk of
//   each segment carries every sequence (a snapshot), so retention deleting old segments loses none. Entry:
//   Type:8 (0 = sequence) IdSize:8 Id ChunkId:64 Sequence:64, as osiris's writer tracking.
// - consumer offsets (StoreOffset): in `offsets.json` in the stream's directory, replaced whole (temp file,
//   rename) once per event-loop turn at most. RabbitMQ writes them into the stream as tracking chunks; like
//   those they are not confirmed to the client, so a crash may lose the last stores (the client re-reads a few
//   messages), never corrupt them.
import { closeSync, openSync, readFileSync, renameSync, writeSync } from '../io.js';
import { join } from 'node:path';
import { fileEvents, fileChanged } from '../../util/file-events.js';
import type { StreamTracking, TrackingInfo } from '../../core/queue/stream/backing.js';

const TRK_SEQUENCE = 0;
const TWO_32 = 4294967296;

export class StreamTrackingState implements StreamTracking {
  private readonly seqs = new Map<string, number>();
  /** The chunk whose trailer last recorded each reference's sequence (osiris's {ChunkId, Sequence}). */
  private readonly seqChunks = new Map<string, number>();
  /** Sequences set since the last chunk: they go in its trailer. */
  private readonly changed = new Set<string>();
  private snapshotDue = false;
  private readonly offsets = new Map<string, number>();
  private readonly offsetsFile: string;
  private scheduled = false;
  private closing = false;
  private closed = false;

  /** `fresh`: the directory was just made, there is nothing to read. */
  constructor(dir: string, fresh = false) {
    this.offsetsFile = join(dir, 'offsets.json');
    if (fresh) return;
    try {
      const o = JSON.parse(readFileSync(this.offsetsFile, 'utf8')) as Record<string, number>;
      for (const [k, v] of Object.entries(o)) if (typeof v === 'number') this.offsets.set(k, v);
    } catch {
      /* none yet */
    }
  }

  // ---- publisher sequences (in chunk trailers) -----------------------------------------------------

  publisherSequence(reference: string): number | undefined {
    return this.seqs.get(reference);
  }

  setPublisherSequence(reference: string, seq: number): void {
    // a first sequence of 0 is recorded too: osiris tracks a reference from its first message, whatever its id
    const was = this.seqs.get(reference);
    if (was !== undefined && seq <= was) return;
    this.seqs.set(reference, seq);
    this.changed.add(reference);
  }

  /** The next chunk starts a segment: its trailer carries every sequence. */
  snapshotNext(): void {
    if (this.seqs.size !== 0) this.snapshotDue = true;
  }

  /** The trailer of the chunk being finished (`chunkId`), or undefined when there is nothing to record. */
  takeTrailer(chunkId: number): Buffer | undefined {
    const keys = this.snapshotDue ? [...this.seqs.keys()] : [...this.changed];
    // a sequence set since the last chunk is recorded by this one; a snapshot repeats the others with the
    // chunk that recorded them (osiris's snapshot keeps each writer's {ChunkId, Sequence})
    for (const k of this.changed) this.seqChunks.set(k, chunkId);
    this.changed.clear();
    this.snapshotDue = false;
    if (keys.length === 0) return undefined;
    const ids = keys.map((k) => Buffer.from(k.slice(0, 255)));
    let n = 0;
    for (const id of ids) n += 18 + id.length;
    const b = Buffer.allocUnsafe(n);
    let p = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const key = keys[i]!;
      const at = this.seqChunks.get(key) ?? chunkId;
      b[p] = TRK_SEQUENCE;
      b[p + 1] = id.length;
      id.copy(b, p + 2);
      p += 2 + id.length;
      p = putU64(b, p, at);
      p = putU64(b, p, this.seqs.get(key)!);
    }
    return b;
  }

  /** At open: the sequences a stored trailer records (later chunks win). */
  readTrailer(b: Buffer): void {
    let p = 0;
    while (p + 2 <= b.length) {
      const type = b[p]!;
      const len = b[p + 1]!;
      if (p + 2 + len + 16 > b.length) return;
      const id = b.toString('utf8', p + 2, p + 2 + len);
      p += 2 + len;
      const chunkId = b.readUInt32BE(p) * TWO_32 + b.readUInt32BE(p + 4);
      const seq = b.readUInt32BE(p + 8) * TWO_32 + b.readUInt32BE(p + 12);
      p += 16;
      if (type === TRK_SEQUENCE && !(seq <= (this.seqs.get(id) ?? -1))) {
        this.seqs.set(id, seq);
        this.seqChunks.set(id, chunkId);
      }
    }
  }

  /**
   * What `rabbitmq-streams stream_status --tracking` and `list_stream_tracking` show (osiris:read_tracking):
   * each publisher reference's {chunk id, sequence}, each consumer reference's stored offset.
   */
  trackingInfo(): TrackingInfo {
    const sequences: TrackingInfo['sequences'] = [];
    for (const [reference, sequence] of this.seqs)
      sequences.push({ reference, chunkId: this.seqChunks.get(reference) ?? -1, sequence });
    const offsets: TrackingInfo['offsets'] = [];
    for (const [reference, offset] of this.offsets) offsets.push({ reference, offset });
    return { sequences, offsets };
  }

  // ---- consumer offsets (offsets.json) -------------------------------------------------------------

  storedOffset(reference: string): number | undefined {
    return this.offsets.get(reference);
  }

  storeOffset(reference: string, offset: number): void {
    if (this.closed) return;
    this.offsets.set(reference, offset);
    this.writeOffsets();
  }

  // (made once: segment-log.ts schedule)
  private readonly flushLater = (): void => this.flushOffsets();

  private writeOffsets(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushLater);
  }

  /** Written without fsync (a process crash keeps it: the page cache survives; a machine crash may not). */
  private flushOffsets(): void {
    this.scheduled = false;
    if (this.closed && !this.closing) return;
    const tmp = this.offsetsFile + '.tmp';
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, JSON.stringify(Object.fromEntries(this.offsets)));
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.offsetsFile);
      if (fileEvents.active) fileChanged(this.offsetsFile);
    } catch {
      /* the directory went (stream deleted) */
    }
  }

  /** Shutdown: the latest offsets are written now. */
  close(): void {
    if (this.closed) return;
    this.closing = true;
    if (this.scheduled) this.flushOffsets();
    this.closing = false;
    this.closed = true;
  }

  /** The stream was deleted: nothing more is written. */
  drop(): void {
    this.closed = true;
  }
}

function putU64(b: Buffer, p: number, v: number): number {
  const hi = Math.floor(v / TWO_32);
  b.writeUInt32BE(hi >>> 0, p);
  b.writeUInt32BE((v - hi * TWO_32) >>> 0, p + 4);
  return p + 8;
}
