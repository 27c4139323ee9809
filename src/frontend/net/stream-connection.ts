// StreamConnection: what a front-end connection over one byte stream (TCP, TLS or a WebSocket turned into a
// stream) does the same way whatever its protocol: MQTT and STOMP today, RabbitMQ's Stream protocol next.
// It owns the socket's lifecycle ('data' → stats and the protocol's parser, 'drain' → starved consumers,
// 'close' → teardown), the read gate (read budget, per-queue flow control, resource alarms: read-gate.ts),
// the output (frames queued during a turn and written in one corked writev on the next, output room for the
// consumers' `canWrite`), the read/write clocks that keep-alives and heart-beats are measured on, and the
// close sequence (flush, end, destroy after 1 s, release once). A protocol's connection adds its codec
// (`onChunk`), its session state and its handlers; see ARCHITECTURE.md "Adding a protocol front end".
// The AMQP connection keeps its own reader (shared read buffer, yields inside a read, channel.flow).
import type { Duplex } from 'node:stream';
import type { FlowControlled } from '../../core/queue/queue.js';
import type { Queue } from '../../core/queue/queue.js';
import { clearTimer, now as clockNow, roughNow, setRepeating, type Timer } from '../../util/clock.js';
import type { FrontEndConnection, FrontEndHost } from './front-end-server.js';
import { ReadGate } from './read-gate.js';
import { admission } from './admission.js';
import { DeferredReads } from './deferred-reads.js';
import { REF_MIN } from '../../codec/buffer/writer.js';
import { flushLater } from './turn-flush.js';

/** Output queued in the socket (bytes) above which consumers are refused messages until 'drain'. */
const OUTPUT_HIGH_WATER = 1024 * 1024;
/** After a graceful close, how long a client that never reads may keep the socket. */
const END_GRACE_MS = 1000;

export abstract class StreamConnection<H extends FrontEndHost = FrontEndHost>
  implements FrontEndConnection, FlowControlled
{
  readonly id: number;
  /** For management listings (ClientConnection). */
  readonly connectedAt = Date.now();
  /** Socket octets and reads/writes (management's recv_oct/send_oct and their sampled rates). */
  readonly stats = { recvOct: 0, sendOct: 0, recvCnt: 0, sendCnt: 0 };
  readonly remotePort: number | undefined;
  readonly localPort: number | undefined;
  readonly localAddress: string | undefined;
  readonly tls: boolean;
  user = '';
  vhost = '';
  /** The session is established (after the protocol's handshake) and not closing: it takes deliveries. */
  open = false;
  /** When the client was last heard from (rough clock, ms); also restarted when reading resumes. */
  lastRead = roughNow();
  /** When bytes were last written (rough clock, ms): heart-beats are sent only on a quiet line. */
  lastWrite = roughNow();
  /** Why the socket is not read (read budget, flow control, alarm). */
  protected readonly gate: ReadGate;
  /** Closing or closed: nothing more is sent or handled. */
  protected closed = false;
  private tornDown = false;
  private out: Buffer[] = [];
  /** Called once the next flush's bytes (and so everything before them) are written (afterWrite). */
  private afterFns: (() => void)[] = [];
  private flushScheduled = false;
  private heartbeatTimer: Timer | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  /** closeSocket's grace timer: cleared when the socket closes, so it does not hold the closed connection. */
  private endTimer: NodeJS.Timeout | null = null;

  constructor(
    /** The front end's server (or what the protocol's connection needs of it). */
    readonly server: H,
    readonly socket: Duplex,
    readonly remoteAddress: string,
    readonly transport: string,
  ) {
    this.id = server.broker.allocateConnectionId();
    const sock = socket as Partial<{ remotePort: number; localPort: number; localAddress: string }>;
    this.localAddress = sock.localAddress;
    this.remotePort = sock.remotePort;
    this.localPort = sock.localPort;
    this.tls = transport === 'tls' || transport === 'wss';
    this.gate = new ReadGate(socket, () => {
      this.lastRead = roughNow();
    });
    const read = (chunk: Buffer): void => {
      this.lastRead = roughNow();
      this.stats.recvOct += chunk.length;
      this.stats.recvCnt++;
      this.onChunk(chunk);
      this.gate.read(this.readCost(chunk.length));
    };
    // a new connection's reads wait for a later turn once this one is spent (admission.ts)
    const deferred = new DeferredReads(socket, read, () => this.gate.resumeDeferred(), false);
    socket.on('data', (chunk: Buffer) => {
      admission.touch();
      if (!deferred.defer(chunk)) read(chunk);
    });
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.endTimer !== null) clearTimeout(this.endTimer);
      this.endTimer = null;
      this.closed = true;
      this.open = false;
      this.teardown();
    });
  }

  /**
   * What handling a chunk of `bytes` input bytes cost, in read-budget units (read-budget.ts): its bytes by
   * default (MQTT, STOMP); a protocol whose work is mostly per message (the Stream protocol) counts that.
   */
  protected readCost(bytes: number): number {
    return bytes;
  }

  /** Bytes from the socket for the protocol's parser; it catches its own errors (its catch boundary). */
  protected abstract onChunk(chunk: Buffer): void;
  /** The socket's output drained: consumers refused for lack of room may take messages again. */
  protected abstract onDrain(): void;
  /** The connection is gone (once): consumers leave, unsettled deliveries go back; then the server forgets it. */
  protected abstract release(): void;
  /** Once a second (FrontEndServer's ticker): keep-alive, handshake and consumer timeouts. */
  abstract tick(now: number): void;
  /** Close from the server side (shutdown, management, vhost or user deleted), telling the client why. */
  abstract forceClose(reason: string): void;

  // ---- output ----------------------------------------------------------------------------------

  /** Room in the output (WindowedConsumer.canWrite): not closing, the socket under its high-water mark. */
  canWrite(): boolean {
    return !this.closed && this.socket.writableLength < OUTPUT_HIGH_WATER && !this.socket.writableNeedDrain;
  }

  /** Queue encoded bytes; everything queued in this turn is written as one buffer in the next. */
  protected output(b: Buffer): void {
    if (this.closed) return;
    this.out.push(b);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      flushLater(this.flushNow);
    }
  }

  /**
   * Call `fn` once everything queued so far has been written to the socket (buffers queued by reference may
   * be reused then). Not called if the connection closes first (the buffers are left to the GC).
   */
  afterWrite(fn: () => void): void {
    if (this.closed) return;
    if (this.out.length === 0 && this.socket.writableLength === 0) fn();
    else this.afterFns.push(fn);
  }

  private readonly flushNow = (): void => this.flush();

  protected flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    if (out.length === 0 || this.socket.destroyed) return;
    this.out = [];
    this.lastWrite = roughNow();
    this.stats.sendCnt++;
    const sock = this.socket;
    let done: ((err?: Error | null) => void) | undefined;
    if (this.afterFns.length !== 0) {
      const fns = this.afterFns;
      this.afterFns = [];
      // writes complete in order: the last one's callback means all of them are in the kernel
      done = (err) => {
        if (err == null) for (const fn of fns) fn();
      };
    }
    if (out.length === 1) {
      this.stats.sendOct += out[0]!.length;
      sock.write(out[0]!, done);
      return;
    }
    // large parts (stored stream chunks, queued by reference) are written as they are and the small ones
    // between them joined, all corked: one writev, and a chunk's bytes are not copied into an output buffer
    sock.cork();
    let from = 0;
    const last = out.length - 1;
    for (let i = 0; i <= last; i++) {
      const b = out[i]!;
      if (b.length < REF_MIN && i < last) continue;
      if (b.length < REF_MIN) {
        this.writePart(i === from ? b : Buffer.concat(out.slice(from, i + 1)), done);
      } else {
        if (i > from) this.writePart(i - from === 1 ? out[from]! : Buffer.concat(out.slice(from, i)));
        this.writePart(b, i === last ? done : undefined);
      }
      from = i + 1;
    }
    sock.uncork();
  }

  private writePart(b: Buffer, done?: (err?: Error | null) => void): void {
    this.stats.sendOct += b.length;
    this.socket.write(b, done);
  }

  /** Close after writing what is queued (a refusal, an error, a goodbye); the socket is destroyed after 1 s. */
  protected closeSocket(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.open = false;
    this.socket.end();
    // a client that never reads must not keep the socket open
    this.endTimer = setTimeout(() => this.socket.destroy(), END_GRACE_MS).unref();
    this.teardown();
  }

  /**
   * handshake_timeout: `expired` runs if the connection is still there after `ms`. The timer is cleared when
   * the connection goes, so that a closed connection (and its buffers) is not kept until it fires: the
   * fuzzer's thousands of short connections a second each held theirs for the whole timeout.
   */
  protected handshakeDeadline(ms: number, expired: () => void): void {
    this.handshakeTimer = setTimeout(expired, ms);
    this.handshakeTimer.unref();
  }

  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.closed = true;
    this.open = false;
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    clearTimer(this.heartbeatTimer);
    this.gate.close();
    this.release();
    this.server.connectionClosed(this);
  }

  // ---- heart-beats and keep-alive --------------------------------------------------------------

  /**
   * Negotiated heart-beats (STOMP heart-beat, the Stream protocol's tune): `beat` is written when nothing
   * else was for `sendEvery` ms; `onHeartbeatMissed` when the client was silent for twice `expectEvery`
   * (rabbit_heartbeat's rule). 0 turns a direction off. Called by the protocol's handshake.
   */
  startHeartbeats(sendEvery: number, expectEvery: number, beat: Buffer): void {
    if (sendEvery === 0 && expectEvery === 0) return;
    const period = Math.max(100, Math.min(sendEvery || Infinity, expectEvery || Infinity) / 2);
    this.heartbeatTimer = setRepeating(() => {
      const now = clockNow();
      if (sendEvery > 0 && now - this.lastWrite >= sendEvery - period && this.out.length === 0) {
        this.lastWrite = now;
        this.stats.sendOct += beat.length;
        this.socket.write(beat);
      }
      if (expectEvery > 0 && this.silentFor(now, expectEvery * 2)) this.onHeartbeatMissed();
    }, period);
  }

  /** The client missed its heart-beats (startHeartbeats). */
  protected onHeartbeatMissed(): void {}

  /**
   * Nothing was read for more than `ms` (keep-alive, heart-beat). A connection the broker stopped reading
   * (flow control, an alarm) is not timed out for its silence: RabbitMQ pauses its heart-beat monitor
   * while blocked.
   */
  protected silentFor(now: number, ms: number): boolean {
    return now - this.lastRead > ms && !this.socket.isPaused();
  }

  // ---- flow control and alarms -----------------------------------------------------------------

  /** After a publish reached `q`: an overloaded queue stops this connection's reading until it catches up. */
  flowBlock(q: Queue): void {
    if (this.gate.flowBlock(q)) q.blockPublisher(this);
  }

  flowResume(q: Queue): void {
    this.gate.flowResume(q);
  }

  /**
   * Call as a publish is handled: a connection that publishes during a resource alarm is read no more
   * after this chunk (management state 'blocked'), as RabbitMQ's readers block at their next publish;
   * one that only consumes keeps being read, so it can still acknowledge and drain its queues.
   */
  blockIfAlarmed(): void {
    if (this.server.broker.alarms.blocked) this.gate.blocked = true;
  }

  /** Blocked by a resource alarm: it published while one was in effect (management state 'blocked'). */
  get blocked(): boolean {
    return this.gate.blocked;
  }

  /** A resource alarm (memory, disk) was raised or cleared: reading resumes when every alarm has cleared. */
  alarm(raised: boolean): void {
    if (!raised) this.gate.unblock();
  }
}
