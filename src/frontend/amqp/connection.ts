// One AMQP 0-9-1 client connection: the socket, the frame decoder and the batched writer, the handshake
// (start/start-ok, tune/tune-ok, open), heartbeats, the channel table, and the one catch boundary that turns
// errors into channel.close / connection.close (style §3.7). Channel work is in channel.ts.
import type { Socket } from 'node:net';
import { FrameDecoder, type FrameHandler } from '../../codec/amqp/frame-decoder.js';
import { FrameType, PROTOCOL_HEADER } from '../../codec/amqp/constants.js';
import { CodecError } from '../../codec/amqp/errors.js';
import { Writer } from '../../codec/buffer/writer.js';
import { decodeTable } from '../../codec/amqp/field-table.js';
import { writeHeartbeat } from '../../codec/amqp/content.js';
import {
  decodeMethod,
  MethodId,
  type AmqpMethod,
  type ConnectionStartOk,
  type ConnectionTuneOk,
  type ConnectionOpen,
  writeConnectionClose,
  writeConnectionCloseOk,
  writeConnectionOpenOk,
  writeConnectionBlocked,
  writeConnectionUnblocked,
  writeConnectionStart,
  writeConnectionTune,
  writeChannelOpenOk,
  writeChannelCloseOk,
} from '../../codec/amqp/methods.generated.js';
import type { ChannelInfo, ClientConnection } from '../../core/broker.js';
import { TLSSocket } from 'node:tls';
import { BrokerError } from '../../core/errors.js';
import type { User } from '../../core/auth/users.js';
import type { VHost } from '../../core/vhost.js';
import type { Queue } from '../../core/queue/queue.js';
import type { Message } from '../../core/message.js';
import type { FlowControlled } from '../../core/queue/consumer.js';
import { roughNow } from '../../util/rough-clock.js';
import { READ_BUDGET, READ_BYTE_SHIFT, READ_COST_FRAME } from '../net/read-budget.js';
import { readIntoSharedBuffer } from '../net/shared-read.js';
import type { Logger } from '../../util/logger.js';
import { AmqpChannel } from './channel.js';
import {
  AmqpChannelError,
  AmqpConnectionError,
  ConnectionReplyCode,
  fromBrokerError,
  replyText,
  connectionError,
  NO_METHOD,
} from './errors.js';
import type { AmqpServer } from './server.js';
import { serverProperties } from './server-properties.js';

type State = 'header' | 'start-ok' | 'secure-ok' | 'tune-ok' | 'open' | 'opened' | 'closing' | 'closed';

/** Bytes buffered for a connection before its consumers stop being fed (consumer-side backpressure). */
const OUTPUT_HIGH_WATER = 1024 * 1024;
/** RabbitMQ refuses frame_max below this (amqp0-9-1.xml connection.tune frame-max "minimum"). */
const FRAME_MIN_SIZE = 4096;
/**
 * What one exchange or queue method (declare, delete, bind, …) costs against the read budget: 64 of them fill
 * a turn. A client pipelining thousands of declares would otherwise hold the event loop for a whole socket
 * read (256 KiB: ~4,000 declares), and every other connection's round trip with it. Erlang gets this from its
 * reduction budget; publishes and acks cost only their frames (they are cheap).
 */
const SLOW_OP_COST = READ_BUDGET / 64;
const NO_BYTES = Buffer.alloc(0);

export class AmqpConnection implements FrameHandler, ClientConnection, FlowControlled {
  readonly protocol = 'AMQP 0-9-1';
  readonly id: number;
  readonly out = new Writer(65536);
  readonly decoder: FrameDecoder;
  readonly channels: (AmqpChannel | undefined)[] = [];
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls: boolean;
  readonly connectedAt = Date.now();
  authMechanism = '';
  state: State = 'header';
  user = '';
  vhost = '';
  vhostObj: VHost | null = null;
  userObj: User | null = null;
  clientProperties: Record<string, unknown> = {};
  /** Negotiated limits. frameMax starts at the spec minimum until tune-ok. */
  frameMax = FRAME_MIN_SIZE;
  channelMax = 0;
  heartbeat = 0;
  /** Capabilities the client announced in client-properties. */
  capabilities: Record<string, unknown> = {};
  lastRead = roughNow();
  lastWrite = roughNow();
  /** Exclusive queues declared on this connection, deleted when it closes. */
  readonly exclusiveQueues = new Set<string>();
  /**
   * Blocked by a resource alarm: it published while one was in effect and is not read until every alarm
   * clears (RabbitMQ's 'blocked' connection state; management shows 'blocking' before the first publish).
   */
  blocked = false;
  /** Set when teardown starts: no more deliveries to this connection's consumers. */
  dead = false;
  stats = { recvOct: 0, sendOct: 0, recvCnt: 0, sendCnt: 0 };

  /** Queues whose flow control paused this connection's reading. */
  private readonly flowBlockedBy = new Set<Queue>();
  private headerBuf: Buffer | null = null;
  private flushScheduled = false;
  /** Work done this turn (net/read-budget.ts; reset by the per-turn flush), and whether reading waits. */
  private turnCost = 0;
  private readYielded = false;
  private socketBlocked = false;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  /** Method being handled, for the class/method ids of an error reply. */
  private classId = 0;
  private methodId = 0;

  constructor(
    readonly server: AmqpServer,
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
    socket.setNoDelay(true);
    // plain TCP reads into one buffer shared by all connections (net/shared-read.ts); TLS as Node reads it
    if (this.tls || !readIntoSharedBuffer(socket, (chunk) => this.onData(chunk))) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
    }
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => {
      if (this.log.isLevelEnabled('debug')) this.log.debug({ err, conn: this.name }, 'socket error');
    });
    socket.on('close', () => this.onSocketClose());
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), server.options.handshakeTimeout);
  }

  get name(): string {
    return `${this.remoteAddress}:${this.remotePort}`;
  }

  /** The open channels, for management (GET /api/channels). */
  channelInfos(): ChannelInfo[] {
    const out: ChannelInfo[] = [];
    for (const ch of this.channels) {
      if (ch === undefined || ch.closing) continue;
      const d = ch.deliveries;
      out.push({
        number: ch.id,
        consumerCount: d.consumers.size,
        messagesUnacknowledged: d.unacked.size,
        prefetchCount: d.consumerPrefetch,
        globalPrefetchCount: d.globalPrefetchCount,
        confirm: ch.publisher.confirmMode,
        transactional: ch.publisher.txMode,
        stats: ch.stats,
      });
    }
    return out;
  }

  /** May consumers on this connection be fed now? */
  canWrite(): boolean {
    return !this.socketBlocked && this.out.pending < OUTPUT_HIGH_WATER;
  }

  // ---- input -----------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastRead = roughNow();
    this.stats.recvOct += chunk.length;
    this.stats.recvCnt++;
    if (this.state === 'closed') return;
    try {
      if (this.state === 'header') {
        const rest = this.onProtocolHeader(chunk);
        if (rest !== null && rest.length !== 0) this.decoder.push(rest);
      } else {
        this.decoder.push(chunk);
      }
    } catch (e) {
      this.onError(e);
    }
    if ((this.flowBlockedBy.size !== 0 || this.blocked) && !this.socket.isPaused()) {
      this.socket.pause();
    } else if ((this.turnCost += chunk.length >>> READ_BYTE_SHIFT) >= READ_BUDGET && !this.readYielded) {
      // enough for this turn (fairness: net/read-budget.ts): let the other connections in; the flush
      // scheduled below (next phase) reads on
      this.readYielded = true;
      this.socket.pause();
    }
    this.scheduleFlush();
  }

  /** The decoder holds unparsed input until the next turn (the socket is paused meanwhile). */
  private yielded = false;

  /** Stop after the frame being handled; the decoder keeps the rest of the read for the next turn. */
  private yieldInput(): void {
    this.yielded = true;
    this.decoder.yieldAfterFrame();
    this.socket.pause();
    setImmediate(() => this.continueInput());
  }

  /** The rest of a yielded read, a turn later (with a new turn's budget). */
  private continueInput(): void {
    this.yielded = false;
    this.turnCost = 0;
    if (this.state === 'closed') return;
    try {
      this.decoder.push(NO_BYTES);
    } catch (e) {
      this.onError(e);
    }
    this.scheduleFlush();
    if (!this.yielded && (this.state as State) !== 'closed') this.resumeReading();
  }

  /**
   * Read again unless flow control, an alarm, the read budget or a yielded turn keeps the socket paused.
   * The heartbeat check counts from now: the broker, not the client, stopped listening.
   */
  private resumeReading(): void {
    if (this.yielded || this.readYielded || this.flowBlockedBy.size !== 0 || this.blocked) return;
    if (this.state === 'closed') return;
    this.lastRead = roughNow();
    this.socket.resume();
  }

  /** Called once per turn by the flush: the read budget starts again, and a yielded socket reads on. */
  private endTurn(): void {
    this.turnCost = 0;
    if (!this.readYielded) return;
    this.readYielded = false;
    this.resumeReading();
  }

  /** A resource alarm (memory, disk) is in effect: the next publish blocks this connection. */
  alarmRaised = false;
  /** connection.blocked was sent: connection.unblocked follows when the alarms clear. */
  private blockedSent = false;

  /**
   * RabbitMQ's alarms (rabbit_reader control_throttle): while one is in effect a connection is 'blocking',
   * read as usual, so a consumer-only connection keeps consuming and acking; when it publishes
   * (`blockOnPublish`) it becomes 'blocked'. When every alarm has cleared it is read again and gets
   * connection.unblocked if it got connection.blocked.
   */
  alarm(raised: boolean): void {
    if (this.state !== 'opened' || raised === this.alarmRaised) return;
    this.alarmRaised = raised;
    if (raised || !this.blocked) return;
    this.blocked = false;
    if (this.blockedSent) {
      this.blockedSent = false;
      writeConnectionUnblocked(this.out, 0);
      this.scheduleFlush();
    }
    this.resumeReading();
  }

  /**
   * A basic.publish was received in full while an alarm is in effect (rabbit_reader publish_received, which
   * blocks at the method frame; Warren waits for the content too, so a message whose frames straddle two
   * reads is not cut in half by the block): the connection is blocked, it gets connection.blocked with the
   * reason ("low on memory") if it announced the capability, and it is not read after the current chunk
   * (onData) until the alarms clear.
   */
  blockOnPublish(): void {
    if (this.blocked) return;
    this.blocked = true;
    if (this.capabilities['connection.blocked'] === true) {
      this.blockedSent = true;
      writeConnectionBlocked(this.out, 0, this.server.broker.alarms.reason);
      this.scheduleFlush();
    }
  }

  /**
   * A queue this connection published to is far behind its consumers: stop reading after this chunk.
   * A connection with acking consumers of its own is never paused, or it could not ack its way out.
   */
  flowBlock(q: Queue): void {
    if (this.flowBlockedBy.has(q) || this.hasAckingConsumers()) return;
    this.flowBlockedBy.add(q);
    q.blockPublisher(this);
  }

  flowResume(q: Queue): void {
    this.flowBlockedBy.delete(q);
    this.resumeReading();
  }

  private hasAckingConsumers(): boolean {
    for (const ch of this.channels) {
      if (ch === undefined) continue;
      for (const c of ch.deliveries.consumers.values()) if (!c.noAck) return true;
    }
    return false;
  }

  /** amqp0-9-1 §4.2.2: a bad protocol header gets the server's header back and the socket closed. */
  private onProtocolHeader(chunk: Buffer): Buffer | null {
    const buf = this.headerBuf ? Buffer.concat([this.headerBuf, chunk]) : chunk;
    if (buf.length < 8) {
      // a prefix that cannot become the header fails at once
      if (!PROTOCOL_HEADER.subarray(0, buf.length).equals(buf) && !isAmqpPrefix(buf)) return this.badHeader();
      this.headerBuf = Buffer.from(buf);
      return null;
    }
    this.headerBuf = null;
    if (!buf.subarray(0, 8).equals(PROTOCOL_HEADER)) return this.badHeader();
    this.state = 'start-ok';
    const caps = this.server.options;
    writeConnectionStart(
      this.out,
      0,
      0,
      9,
      serverProperties(caps.advertiseRabbitmq),
      Buffer.from('AMQPLAIN PLAIN'),
      Buffer.from('en_US'),
    );
    return buf.subarray(8);
  }

  private badHeader(): null {
    this.socket.end(PROTOCOL_HEADER);
    this.state = 'closed';
    return null;
  }

  // Called only from the decoder, synchronously, per frame. Hot path.
  onFrame(type: number, channel: number, payload: Buffer): void {
    if (this.state === 'closed') return;
    // past the turn's budget mid-read (a 256 KiB read holds ~4,000 small publishes, or 64 declares cost a
    // turn): the rest of the read waits for the next turn
    if ((this.turnCost += READ_COST_FRAME) >= READ_BUDGET && !this.yielded) this.yieldInput();
    if (type === FrameType.METHOD) {
      const m = decodeMethod(payload);
      this.classId = (m.id >>> 16) & 0xffff;
      this.methodId = m.id & 0xffff;
      if (channel === 0) return this.onConnectionMethod(m);
      if (this.state === 'closing') return;
      if (this.state !== 'opened') {
        throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `expected 'connection.open'`);
      }
      return this.onChannelMethod(channel, m, payload);
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
    const ch = this.contentChannel(channel);
    if (ch === undefined) return;
    try {
      if (type === FrameType.HEADER) ch.onContentHeader(payload);
      else ch.onContentBody(payload);
    } catch (e) {
      this.onChannelException(ch, e);
    }
  }

  /** The channel a content frame is for (undefined while closing: it is ignored), or a connection error. */
  private contentChannel(channel: number): AmqpChannel | undefined {
    if (this.state === 'closing') return undefined;
    if (channel === 0 || this.state !== 'opened') {
      throw connectionError(
        ConnectionReplyCode.UNEXPECTED_FRAME,
        `expected method frame, got non method frame instead`,
        NO_METHOD,
      );
    }
    const ch = this.channels[channel];
    if (ch === undefined) {
      throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `expected 'channel.open'`);
    }
    this.classId = 60;
    this.methodId = 40;
    return ch;
  }

  private onChannelMethod(channel: number, m: AmqpMethod, payload: Buffer): void {
    let ch = this.channels[channel];
    if (ch !== undefined && ch.closing) {
      // amqp0-9-1.xml channel.close: after sending close, discard everything but close / close-ok
      if (m.id === MethodId.ChannelCloseOk) this.channels[channel] = undefined;
      else if (m.id === MethodId.ChannelClose) writeChannelCloseOk(this.out, channel);
      return;
    }
    if (ch !== undefined) ch.checkNotExpectingContent();
    if (m.id === MethodId.ChannelOpen) {
      if (ch !== undefined) {
        throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `second 'channel.open' seen`);
      }
      if (channel > this.channelMax) {
        throw connectionError(
          ConnectionReplyCode.CHANNEL_ERROR,
          `channel ${channel} exceeds the negotiated channel_max ${this.channelMax}`,
        );
      }
      if (this.user !== '') this.server.broker.checkChannelLimit(this.user);
      this.channels[channel] = new AmqpChannel(this, channel);
      writeChannelOpenOk(this.out, channel);
      return;
    }
    if (ch === undefined) {
      throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `expected 'channel.open'`);
    }
    if (m.id === MethodId.ChannelClose) {
      ch.teardown();
      this.channels[channel] = undefined;
      writeChannelCloseOk(this.out, channel);
      return;
    }
    const cls = m.id >>> 16;
    if (cls === 50 || cls === 40) this.turnCost += SLOW_OP_COST;
    try {
      ch.onMethod(m, payload);
    } catch (e) {
      ch = this.channels[channel];
      if (ch) this.onChannelException(ch, e);
      else throw e;
    }
  }

  private onChannelException(ch: AmqpChannel, e: unknown): void {
    if (e instanceof BrokerError) e = fromBrokerError(e);
    if (e instanceof AmqpChannelError) {
      ch.closeWithError(e.code, replyText(e.code, e.message), this.classId, this.methodId);
      return;
    }
    throw e;
  }

  // ---- connection class ------------------------------------------------------------------------

  private onConnectionMethod(m: AmqpMethod): void {
    switch (m.id) {
      case MethodId.ConnectionStartOk:
        if (this.state !== 'start-ok') break;
        return this.onStartOk(m);
      case MethodId.ConnectionTuneOk:
        if (this.state !== 'tune-ok') break;
        return this.onTuneOk(m);
      case MethodId.ConnectionOpen:
        if (this.state !== 'open') break;
        return this.onOpen(m);
      case MethodId.ConnectionClose:
        // client-initiated close: tidy up, confirm, and let the client close the socket (spec: the peer
        // that sent close closes the socket after close-ok; we end it too, after flushing)
        this.teardown();
        writeConnectionCloseOk(this.out, 0);
        this.state = 'closed';
        this.flush();
        this.socket.end();
        return;
      case MethodId.ConnectionCloseOk:
        if (this.state === 'closing') {
          this.state = 'closed';
          this.socket.end();
        }
        return;
      case MethodId.ConnectionBlocked:
      case MethodId.ConnectionUnblocked:
        return;
    }
    if (this.state === 'closing') return;
    if (m.id >>> 16 !== 10) {
      throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `unexpected method on channel 0`);
    }
    // rabbit_reader handle_method0/2: channel_error "unexpected method in connection state ~w" (anchor: 504)
    throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `unexpected method in connection state ${this.state}`);
  }

  private onStartOk(m: ConnectionStartOk): void {
    this.clientProperties = m.clientProperties;
    const caps = m.clientProperties['capabilities'];
    if (caps && typeof caps === 'object') this.capabilities = caps as Record<string, unknown>;
    let user: string;
    let pass: string;
    const mech = m.mechanism;
    this.authMechanism = mech;
    if (mech === 'PLAIN') {
      // RFC 4616: [authzid] NUL authcid NUL passwd
      const parts = m.response.toString('utf8').split('\u0000');
      if (parts.length !== 3) {
        throw connectionError(
          ConnectionReplyCode.ACCESS_REFUSED,
          `Login was refused using authentication mechanism PLAIN. For details see the broker logfile.`,
        );
      }
      user = parts[1]!;
      pass = parts[2]!;
    } else if (mech === 'AMQPLAIN') {
      // AMQPLAIN: a field table without its length prefix, with LOGIN and PASSWORD
      const t = decodeTable(m.response, 0, m.response.length);
      user = String(t['LOGIN'] ?? '');
      pass = String(t['PASSWORD'] ?? '');
    } else {
      throw connectionError(ConnectionReplyCode.ACCESS_REFUSED, `unsupported authentication mechanism '${mech}'`);
    }
    const result = this.server.broker.authenticate(user, pass, this.remoteAddress);
    if (typeof result === 'string') {
      const text = result.startsWith('Login was refused')
        ? `Login was refused using authentication mechanism ${mech}. For details see the broker logfile.`
        : result;
      this.log.warn({ conn: this.name, user }, `login refused: ${text}`);
      throw connectionError(ConnectionReplyCode.ACCESS_REFUSED, text);
    }
    this.user = user;
    this.userObj = result;
    this.state = 'tune-ok';
    const o = this.server.options;
    writeConnectionTune(this.out, 0, o.channelMax, o.frameMax, o.heartbeat);
  }

  private onTuneOk(m: ConnectionTuneOk): void {
    const o = this.server.options;
    // amqp0-9-1.xml connection.tune-ok: the client may lower but not raise the server's limits
    if (m.frameMax !== 0 && m.frameMax < FRAME_MIN_SIZE) {
      throw connectionError(ConnectionReplyCode.NOT_ALLOWED, `frame_max=${m.frameMax} < ${FRAME_MIN_SIZE} min size`);
    }
    if (o.frameMax !== 0 && m.frameMax > o.frameMax) {
      throw connectionError(ConnectionReplyCode.NOT_ALLOWED, `frame_max=${m.frameMax} > ${o.frameMax} max size`);
    }
    if (m.channelMax > o.channelMax && o.channelMax !== 0) {
      throw connectionError(ConnectionReplyCode.NOT_ALLOWED, `channel_max=${m.channelMax} > ${o.channelMax} max`);
    }
    this.frameMax = m.frameMax === 0 ? o.frameMax || 0x7fffffff : m.frameMax;
    this.channelMax = m.channelMax === 0 ? o.channelMax || 65535 : m.channelMax;
    this.heartbeat = m.heartbeat;
    this.decoder.frameMax = this.frameMax;
    this.state = 'open';
  }

  private onOpen(m: ConnectionOpen): void {
    try {
      this.vhostObj = this.server.broker.openVHost(m.virtualHost, this.userObj!);
    } catch (e) {
      if (e instanceof BrokerError) throw connectionError(ConnectionReplyCode.NOT_ALLOWED, e.message);
      throw e;
    }
    this.vhost = m.virtualHost;
    this.state = 'opened';
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.server.broker.register(this);
    writeConnectionOpenOk(this.out, 0);
    // an alarm already in effect blocks this connection at its first publish
    this.alarmRaised = this.server.broker.alarms.blocked;
  }

  // ---- errors and closing ----------------------------------------------------------------------

  private onError(e: unknown): void {
    if (e instanceof BrokerError) e = fromBrokerError(e);
    if (e instanceof AmqpChannelError) {
      // a channel-level error outside a channel context (e.g. channel 0) escalates to the connection
      e = new AmqpConnectionError(ConnectionReplyCode.CHANNEL_ERROR, e.message);
    }
    if (e instanceof CodecError) {
      return this.closeWithError(e.replyCode, replyText(e.replyCode, e.message), e.classId, e.methodId);
    }
    if (e instanceof AmqpConnectionError) {
      const [c, m] = e.ids ?? [this.classId, this.methodId];
      return this.closeWithError(e.code, replyText(e.code, e.message), c, m);
    }
    this.log.error({ err: e, conn: this.name }, 'internal error; closing connection');
    this.closeWithError(541, replyText(541, 'internal error'), this.classId, this.methodId);
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

  /** Send connection.close and wait (bounded) for close-ok; nothing else is processed meanwhile. */
  closeWithError(code: number, text: string, classId: number, methodId: number): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const beforeOpen = this.state !== 'opened';
    this.teardown();
    if (this.state === 'header') {
      this.socket.destroy();
      this.state = 'closed';
      return;
    }
    writeConnectionClose(this.out, 0, code, text, classId, methodId);
    this.flush();
    this.state = 'closing';
    if (beforeOpen && code === 403) {
      // RabbitMQ closes the socket right after a failed login's connection.close
      this.closeTimer = setTimeout(() => this.socket.destroy(), 100);
    } else {
      this.closeTimer = setTimeout(() => this.socket.destroy(), 3000);
    }
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
    for (let i = 0; i < this.channels.length; i++) {
      const ch = this.channels[i];
      if (ch) {
        ch.teardown();
        this.channels[i] = undefined;
      }
    }
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
  }

  private onSocketClose(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.state !== 'closed') this.teardown();
    this.state = 'closed';
    this.server.connectionClosed(this);
  }

  // ---- output ----------------------------------------------------------------------------------

  /** Flush once per event-loop turn (style §3.5.5): many frames, one write. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
      this.endTurn();
    });
  }

  /**
   * Messages gone for good (no-ack deliveries, acks) whose pooled bodies go back to the pool once the socket
   * has written them (releaseAfterWrite): `toWrite` may still be in `out`, `inSocket` were handed to the socket
   * and may still be in its queue. Both are released when the socket holds nothing (writableLength 0: libuv has written
   * every buffer, the kernel has copied them), never before: the next message would overwrite them.
   */
  private toWrite: Message[] = [];
  private inSocket: Message[] = [];

  releaseAfterWrite(m: Message): void {
    this.toWrite.push(m);
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
  }

  flush(): void {
    for (const ch of this.channels) if (ch !== undefined && ch.confirmPending()) ch.sendConfirms();
    const b = this.out.takeParts();
    if (b === null) {
      // nothing new: whatever toWrite holds left in an earlier flush
      if (this.toWrite.length !== 0 || this.inSocket.length !== 0) this.written();
      return;
    }
    if (this.socket.destroyed) {
      this.toWrite.length = 0;
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
    if (this.toWrite.length !== 0 || this.inSocket.length !== 0) this.written();
    // Node's write() says false past its 16 KiB high-water mark, which one large message passes: stop
    // feeding consumers only once the socket holds OUTPUT_HIGH_WATER (it emits 'drain' when it empties)
    if (!ok && this.socket.writableLength >= OUTPUT_HIGH_WATER) this.socketBlocked = true;
    else if (this.wantsResume) this.resumeConsumers();
  }

  /** Set by channels when a consumer was refused for lack of output room. */
  wantsResume = false;

  private onDrain(): void {
    this.socketBlocked = false;
    if (this.inSocket.length !== 0) this.releaseWritten();
    this.resumeConsumers();
  }

  /** Open channels (for the user's max-channels limit; only counted when such a limit is set). */
  get channelCount(): number {
    let n = 0;
    for (const ch of this.channels) if (ch !== undefined) n++;
    return n;
  }

  private resumeConsumers(): void {
    this.wantsResume = false;
    for (const ch of this.channels) if (ch !== undefined) ch.resumeConsumers();
  }

  /** Heartbeats and timeouts; called by the server's 1 s ticker. */
  tick(now: number): void {
    if (this.state !== 'opened') return;
    if (this.heartbeat > 0) {
      const hb = this.heartbeat * 1000;
      // amqp0-9-1 §4.2.7: a peer silent for more than two intervals is dead
      // (a connection paused by flow control is not read, so its silence proves nothing)
      if (now - this.lastRead > hb * 2 && this.flowBlockedBy.size === 0 && !this.blocked) {
        this.log.warn({ conn: this.name }, `missed heartbeats from client, timeout: ${this.heartbeat}s`);
        this.teardown();
        this.state = 'closed';
        this.socket.destroy();
        return;
      }
      if (now - this.lastWrite >= hb / 2) {
        writeHeartbeat(this.out);
        this.flush();
      }
    }
    const brokerTimeout = this.server.options.consumerTimeout;
    for (const ch of this.channels) {
      if (ch === undefined || ch.closing) continue;
      // the broker's consumer_timeout, or the queue's x-consumer-timeout / consumer-timeout policy
      const timeout = ch.deliveries.timedOut(now, brokerTimeout);
      if (timeout === 0) continue;
      ch.closeWithError(
        406,
        replyText(
          406,
          `delivery acknowledgement on channel ${ch.id} timed out. Timeout value used: ${timeout} ms. ` +
            `This timeout value can be configured, see consumers doc guide to learn more`,
        ),
        0,
        0,
      );
      this.flush();
    }
  }
}

function isAmqpPrefix(buf: Buffer): boolean {
  const a = Buffer.from('AMQP');
  return a.subarray(0, Math.min(4, buf.length)).equals(buf.subarray(0, Math.min(4, buf.length)));
}
