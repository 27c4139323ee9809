// One AMQP 0-9-1 client connection once accepted (LavinMQ's client.cr): the socket, the frame decoder, the
// channel table and the frame dispatch, resource alarms and flow control, heartbeats and closing. Its parts:
// the handshake (handshake.ts, via handlers/connection.ts), reading in turns (read-gate.ts), the batched
// writer (output.ts), the catch boundary (error-boundary.ts) and the channels' method table (handlers/).
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { FrameDecoder, type FrameHandler } from '../../codec/amqp/frame-decoder.js';
import { FrameType } from '../../codec/amqp/constants.js';
import type { Writer } from '../../codec/buffer/writer.js';
import { decodeMethod } from '../../codec/amqp/methods.generated.js';
import { closeByClient, closeWithError } from './closing.js';
import type { ChannelInfo } from '../../core/broker.js';
import type { User } from '../../core/auth/users.js';
import type { VHost } from '../../core/vhost.js';
import type { Queue } from '../../core/queue/queue.js';
import type { FlowControlled } from '../../core/queue/queue.js';
import { roughNow } from '../../util/rough-clock.js';
import { readIntoSharedBuffer } from '../net/shared-read.js';
import { admission } from '../net/admission.js';
import { DeferredReads } from '../net/deferred-reads.js';
import type { FrontEndConnection } from '../net/front-end-server.js';
import type { Logger } from '../../util/logger.js';
import { ChannelTable } from './channels.js';
import type { AmqpConnectionContext, AmqpServerContext, ConnectionState } from './context.js';
import { connectionFailure } from './error-boundary.js';
import { ConnectionReplyCode, NO_METHOD, replyText, connectionError } from './errors.js';
import { FRAME_MIN_SIZE, protocolHeader } from './handshake.js';
import { connectionMethod } from './handlers/connection.js';
import { FrameOutput, type OutputOwner } from './output.js';
import { AmqpReadGate } from './read-gate.js';
import { tickConnection } from './heartbeat.js';

const NO_BYTES = Buffer.alloc(0);

/** The AMQP server as a connection sees it (server.ts; the shared front-end server's bookkeeping too). */
export interface ConnectionServer extends AmqpServerContext {
  connectionClosed(c: AmqpConnection): void;
}

export class AmqpConnection
  implements FrameHandler, AmqpConnectionContext, FlowControlled, OutputOwner, FrontEndConnection
{
  readonly protocol = 'AMQP 0-9-1';
  readonly id: number;
  readonly decoder: FrameDecoder;
  readonly output: FrameOutput;
  readonly out: Writer;
  readonly gate: AmqpReadGate;
  readonly channels: ChannelTable;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls: boolean;
  readonly connectedAt = Date.now();
  authMechanism = '';
  state: ConnectionState = 'header';
  user = '';
  vhost = '';
  vhostObj: VHost | null = null;
  userObj: User | null = null;
  clientProperties: Record<string, unknown> = {};
  /** Negotiated limits. frameMax starts at the spec minimum until tune-ok. */
  frameMax = FRAME_MIN_SIZE;
  channelMax = 0;
  heartbeat = 0;
  capabilities: Record<string, unknown> = {};
  qosCount = 0;
  qosSize = 0;
  readonly exclusiveQueues = new Set<string>();
  dead = false;
  stats = { recvOct: 0, sendOct: 0, recvCnt: 0, sendCnt: 0 };

  /** The start of a protocol header split across reads. */
  private headerBuf: Buffer | null = null;
  private readonly deferred: DeferredReads;
  private handshakeTimer: NodeJS.Timeout | null = null;
  /** Set while a close waits for the other side (closing.ts); the socket's close clears it. */
  closeTimer: NodeJS.Timeout | null = null;
  /** Method being handled, for the class/method ids of an error reply. */
  private classId = 0;
  private methodId = 0;

  constructor(
    readonly server: ConnectionServer,
    readonly socket: Socket,
    readonly log: Logger,
  ) {
    this.id = server.broker.allocateConnectionId();
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    this.tls = socket instanceof TLSSocket;
    this.decoder = new FrameDecoder(this, FRAME_MIN_SIZE);
    this.gate = new AmqpReadGate(this);
    this.channels = new ChannelTable(this, this.gate);
    socket.setNoDelay(true);
    // plain TCP reads into one buffer shared by all connections (net/shared-read.ts); TLS as Node reads it
    if (this.tls || !readIntoSharedBuffer(socket, (chunk) => this.onData(chunk))) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
    }
    // a new connection's reads wait for a later turn once this one is spent (net/admission.ts)
    this.deferred = new DeferredReads(
      socket,
      (chunk) => this.read(chunk),
      () => this.gate.resume(),
      true,
    );
    this.output = new FrameOutput(socket, this.stats, this);
    this.out = this.output.out;
    socket.on('error', (err) => {
      if (this.log.isLevelEnabled('debug')) this.log.debug({ err, conn: this.name }, 'socket error');
    });
    socket.on('close', () => this.onSocketClose());
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), server.options.handshakeTimeout);
  }

  get name(): string {
    return `${this.remoteAddress}:${this.remotePort}`;
  }

  /** Management's 'blocked' state (read-gate.ts). */
  get blocked(): boolean {
    return this.gate.blocked;
  }

  /** The open channels, for management (GET /api/channels). */
  channelInfos(): ChannelInfo[] {
    return this.channels.infos();
  }

  /** Open channels (for the user's max-channels limit). */
  get channelCount(): number {
    return this.channels.count;
  }

  // ---- input -----------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    admission.touch();
    if (!this.deferred.defer(chunk)) this.read(chunk);
  }

  private read(chunk: Buffer): void {
    this.gate.lastRead = roughNow();
    this.stats.recvOct += chunk.length;
    this.stats.recvCnt++;
    if (this.state === 'closed') return;
    try {
      if (this.state === 'header') {
        const h = protocolHeader(this, this.headerBuf, chunk);
        this.headerBuf = h.held;
        if (h.rest !== null && h.rest.length !== 0) this.decoder.push(h.rest);
      } else {
        this.decoder.push(chunk);
      }
    } catch (e) {
      this.onError(e);
    }
    this.gate.read(chunk.length);
    this.output.scheduleFlush();
  }

  /** Called once per turn by the flush: the read budget starts again; the rest of a read paused mid-way goes first. */
  endTurn(): void {
    if (!this.gate.endTurn()) return;
    try {
      this.decoder.push(NO_BYTES);
    } catch (e) {
      this.onError(e);
    }
    this.output.scheduleFlush();
    this.gate.resume();
  }

  // Called only from the decoder, synchronously, per frame. Hot path.
  onFrame(type: number, channel: number, payload: Buffer): void {
    if (this.state === 'closed') return;
    this.gate.frame();
    if (type === FrameType.METHOD) {
      const m = decodeMethod(payload);
      this.classId = (m.id >>> 16) & 0xffff;
      this.methodId = m.id & 0xffff;
      if (channel === 0) return connectionMethod(this, m);
      if (this.state === 'closing') return;
      if (this.state !== 'opened') {
        throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `expected 'connection.open'`);
      }
      return this.channels.onMethod(channel, m, payload);
    }
    if (type === FrameType.HEARTBEAT) {
      if (channel !== 0) {
        // RabbitMQ's command assembler takes it for a channel frame that is not a method (anchor: 505, 0, 0)
        throw connectionError(
          ConnectionReplyCode.UNEXPECTED_FRAME,
          `expected method frame, got non method frame instead`,
          NO_METHOD,
        );
      }
      return;
    }
    if (this.state === 'closing') return;
    if (channel === 0 || this.state !== 'opened') {
      throw connectionError(
        ConnectionReplyCode.UNEXPECTED_FRAME,
        `expected method frame, got non method frame instead`,
        NO_METHOD,
      );
    }
    const ch = this.channels.list[channel];
    if (ch === undefined) {
      throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `expected 'channel.open'`);
    }
    // amqp0-9-1.xml channel.close: the peer that sent close discards every frame on the channel but close /
    // close-ok, content frames included: those of a publish in flight when the error came (from its method,
    // header or body), and those of publishes the client sent before it read the close. A client sends a
    // publish's frames back to back (§4.2.6), so none of them can follow its close-ok; the channel then
    // opened on the number starts with an empty publisher, and a stray content frame there is 505.
    if (ch.closing) return;
    // content belongs to basic.publish, for the class/method ids of an error reply
    this.classId = 60;
    this.methodId = 40;
    this.channels.onContent(ch, type === FrameType.HEADER, payload);
  }

  private onError(e: unknown): void {
    connectionFailure(this, e, this.classId, this.methodId);
  }

  // ---- alarms and flow control (read-gate.ts) --------------------------------------------------

  /** A resource alarm was raised or every alarm has cleared (the front-end server passes them on). */
  alarm(raised: boolean): void {
    this.gate.alarm(raised);
  }

  /** A resource alarm is in effect: the next publish blocks this connection. */
  get alarmRaised(): boolean {
    return this.gate.alarmRaised;
  }

  blockOnPublish(): void {
    this.gate.blockOnPublish();
  }

  /**
   * A queue this connection published to is far behind its consumers: stop reading after this chunk.
   * A connection with acking consumers of its own is never paused, or it could not ack its way out.
   */
  flowBlock(q: Queue): void {
    if (this.gate.isFlowBlockedBy(q) || this.channels.hasAckingConsumers()) return;
    this.gate.flowBlock(q);
    q.blockPublisher(this);
  }

  flowResume(q: Queue): void {
    this.gate.flowResume(q);
  }

  // ---- output (output.ts calls these) ----------------------------------------------------------

  /** Before each flush: one basic.ack per channel for the publishes confirmed since the last. */
  beforeFlush(): void {
    this.channels.sendConfirms();
  }

  resumeConsumers(): void {
    this.channels.resumeConsumers();
  }

  unackedTotal(): number {
    return this.channels.unackedTotal(false);
  }

  unackedBytesTotal(): number {
    return this.channels.unackedTotal(true);
  }

  // ---- opening and closing ---------------------------------------------------------------------

  /** connection.open succeeded (handshake.ts). */
  opened(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.server.broker.register(this);
    this.server.broker.auth.watchExpiry(this);
    // an alarm already in effect blocks this connection at its first publish
    this.gate.alarmRaised = this.server.broker.alarms.blocked;
  }

  /**
   * Writing a delivery threw (a bug: no known input does this). The connection takes nothing more now and
   * is closed with 541 on the next turn, outside the queue's dispatch loop.
   */
  deliveryFailed(e: unknown): void {
    this.log.error({ err: e, conn: this.name }, 'internal error writing a delivery; closing connection');
    this.dead = true;
    setImmediate(() => this.closeWithError(541, replyText(541, 'internal error'), 60, 60));
  }

  /** Send connection.close and wait (bounded) for close-ok; nothing else is processed meanwhile (closing.ts). */
  closeWithError(code: number, text: string, classId: number, methodId: number): void {
    closeWithError(this, code, text, classId, methodId);
  }

  /** The client sent connection.close (closing.ts). */
  closeByClient(): void {
    closeByClient(this);
  }

  /** Server-initiated close (shutdown, management): 320 CONNECTION_FORCED. */
  forceClose(reason: string): void {
    this.closeWithError(320, replyText(320, reason), 0, 0);
  }

  private onHandshakeTimeout(): void {
    this.handshakeTimer = null;
    if (this.state === 'opened' || this.state === 'closed') return;
    this.log.warn({ conn: this.name }, 'handshake timeout; closing');
    this.state = 'closed';
    this.socket.destroy();
  }

  /** Release everything the connection holds: channels requeue, exclusive queues go. Idempotent. */
  teardown(): void {
    this.dead = true;
    this.channels.teardown();
    if (this.vhostObj) {
      for (const name of this.exclusiveQueues) {
        const q = this.vhostObj.queues.get(name);
        if (q && q.exclusiveOwner === this) this.vhostObj.deleteQueueObject(q);
      }
    }
    this.exclusiveQueues.clear();
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.server.broker.unregister(this);
    this.server.broker.auth.unwatch(this);
  }

  /** Which awaitAuth is the latest (a continuation may wait again: only the last one reads on). */
  private authWaits = 0;

  awaitAuth<T>(answered: Promise<T>, k: (v: T) => void): void {
    const mine = ++this.authWaits;
    this.gate.authWaiting = true;
    this.socket.pause();
    answered
      .then((v) => {
        if (this.state !== 'closed' && this.state !== 'closing') k(v);
      })
      .catch((e: unknown) => this.onError(e))
      .finally(() => {
        if (mine !== this.authWaits) return; // the continuation waits again; that wait reads on
        this.gate.authWaiting = false;
        // the rest of the read the decoder kept goes first (it may wait again)
        if (this.decoder.stashed !== 0 && this.state !== 'closed') {
          try {
            this.decoder.push(NO_BYTES);
          } catch (e) {
            this.onError(e);
          }
        }
        this.output.scheduleFlush();
        this.gate.resume();
      });
  }

  /** AuthService: the OAuth 2 token expired and no update-secret replaced it. */
  credentialExpired(): void {
    this.log.warn({ conn: this.name, user: this.user }, 'credential expired; closing connection');
    this.closeWithError(403, replyText(403, 'credential expired'), 0, 0);
  }

  private onSocketClose(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    // a bad protocol header closes without teardown: its timer would hold the connection for handshake_timeout
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    if (this.state !== 'closed') this.teardown();
    this.state = 'closed';
    this.server.connectionClosed(this);
  }

  /** Heartbeats and consumer timeouts; called by the server's 1 s ticker (heartbeat.ts). */
  tick(now: number): void {
    tickConnection(this, now);
  }
}
