// A connection's output (RabbitMQ's rabbit_writer): frames are written into one Writer and flushed once per
// event-loop turn (style §3.5.5: many frames, one write, corked when large bodies go by reference), the
// socket's backpressure stops feeding consumers, and pooled bodies go back to the pool only once the socket
// has written them.
import type { Socket } from 'node:net';
import { Writer } from '../../codec/buffer/writer.js';
import type { Message } from '../../core/message.js';
import { roughNow } from '../../util/rough-clock.js';
import { flushLater } from '../net/turn-flush.js';

/** Bytes buffered for a connection before its consumers stop being fed (consumer-side backpressure). */
const OUTPUT_HIGH_WATER = 1024 * 1024;
const OUT_BUFFER = 65536;
/**
 * A connection's first output buffer: the handshake and an error's close fit in it, and a connection that
 * writes more moves on to OUT_BUFFER ones (Writer). Connection churn (700-1,000 new connections a second
 * while fuzzing) allocated 64 KiB each.
 */
const FIRST_OUT_BUFFER = 8192;
/** Output buffers kept for reuse per connection (of OUT_BUFFER bytes; one grown for a big frame is not). */
const SPARE_BUFFERS = 4;

/** What the output calls back on its connection. */
export interface OutputOwner {
  /** Just before a flush: write what is batched per turn (publisher confirms). */
  beforeFlush(): void;
  /** After the once-a-turn flush: the turn is over (the read budget starts again). */
  endTurn(): void;
  /** Output room again: consumers refused for lack of it get another chance. */
  resumeConsumers(): void;
}

export class FrameOutput {
  readonly out = new Writer(OUT_BUFFER, FIRST_OUT_BUFFER);
  lastWrite = roughNow();
  /** Set by consumers refused for lack of output room: resume them after the next flush with room. */
  wantsResume = false;
  private flushScheduled = false;
  private socketBlocked = false;
  /**
   * Messages gone for good (no-ack deliveries, acks) whose pooled bodies go back to the pool once the socket
   * has written them (releaseAfterWrite): `toWrite` may still be in `out`, `inSocket` were handed to the socket
   * and may still be in its queue. Both are released when the socket holds nothing (writableLength 0: libuv has
   * written every buffer, the kernel has copied them), never before: the next message would overwrite them.
   */
  private toWrite: Message[] = [];
  private inSocket: Message[] = [];
  /**
   * The writer's own buffers it has moved off, handed to the socket with this flush or an earlier one: they
   * go back to the writer for reuse when the socket holds nothing (as pooled bodies do), so a consumer
   * draining at 100 MB/s allocates no new 64 KiB buffer per ~60 deliveries (V8 external memory: GC pressure).
   */
  private buffersInSocket: Buffer[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly stats: { sendOct: number; sendCnt: number },
    private readonly owner: OutputOwner,
  ) {
    socket.on('drain', () => this.onDrain());
    this.out.retired = [];
  }

  /** May consumers on this connection be fed now? */
  canWrite(): boolean {
    return !this.socketBlocked && this.out.pending < OUTPUT_HIGH_WATER;
  }

  /** Flush once per event-loop turn (style §3.5.5): many frames, one write. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    flushLater(this.flushTurn);
  }

  private readonly flushTurn = (): void => {
    this.flushScheduled = false;
    this.flush();
    this.owner.endTurn();
  };

  releaseAfterWrite(m: Message): void {
    this.toWrite.push(m);
  }

  flush(): void {
    this.owner.beforeFlush();
    const b = this.out.takeParts();
    const retired = this.out.retired!;
    if (retired.length !== 0) {
      for (let i = 0; i < retired.length; i++) this.buffersInSocket.push(retired[i]!);
      retired.length = 0;
    }
    if (b === null) {
      // nothing new: whatever toWrite holds left in an earlier flush
      if (this.toWrite.length !== 0 || this.inSocket.length !== 0 || this.buffersInSocket.length !== 0) this.written();
      return;
    }
    if (this.socket.destroyed) {
      this.toWrite.length = 0;
      this.buffersInSocket.length = 0;
      return;
    }
    this.lastWrite = roughNow();
    this.stats.sendCnt++;
    let ok: boolean;
    if (Buffer.isBuffer(b)) {
      this.stats.sendOct += b.length;
      ok = this.socket.write(b);
    } else {
      // frame bytes and large bodies queued by reference: corked, they leave in one writev
      this.socket.cork();
      ok = true;
      for (const part of b) {
        this.stats.sendOct += part.length;
        ok = this.socket.write(part);
      }
      this.socket.uncork();
    }
    if (this.toWrite.length !== 0 || this.inSocket.length !== 0 || this.buffersInSocket.length !== 0) this.written();
    // Node's write() says false past its 16 KiB high-water mark, which one large message passes: stop
    // feeding consumers only once the socket holds OUTPUT_HIGH_WATER (it emits 'drain' when it empties)
    if (!ok && this.socket.writableLength >= OUTPUT_HIGH_WATER) this.socketBlocked = true;
    else if (this.wantsResume) this.resumeConsumers();
  }

  /** After a flush: toWrite's bodies are in the socket now; release them all if it has written them. */
  private written(): void {
    const w = this.toWrite;
    if (w.length !== 0) {
      if (this.inSocket.length === 0) {
        this.toWrite = this.inSocket;
        this.inSocket = w;
      } else {
        for (let i = 0; i < w.length; i++) this.inSocket.push(w[i]!);
        w.length = 0;
      }
    }
    this.releaseWritten();
  }

  private releaseWritten(): void {
    if (this.socket.writableLength !== 0) return;
    const a = this.inSocket;
    for (let i = 0; i < a.length; i++) a[i]!.releaseBody();
    a.length = 0;
    const bs = this.buffersInSocket;
    if (bs.length !== 0) {
      const spare = this.out.spare;
      for (let i = 0; i < bs.length && spare.length < SPARE_BUFFERS; i++)
        if (bs[i]!.length === OUT_BUFFER) spare.push(bs[i]!);
      bs.length = 0;
    }
  }

  private onDrain(): void {
    this.socketBlocked = false;
    if (this.inSocket.length !== 0 || this.buffersInSocket.length !== 0) this.releaseWritten();
    this.resumeConsumers();
  }

  private resumeConsumers(): void {
    this.wantsResume = false;
    this.owner.resumeConsumers();
  }
}
