// One STOMP connection (1.0, 1.1, 1.2) on the protocol-neutral core, with RabbitMQ's STOMP plugin
// semantics: destinations map to queues and exchanges (destination.ts), SEND headers to AMQP properties
// (format.ts), SUBSCRIBE to a consumer with ack mode and prefetch, receipts, heart-beats and transactions.
// Errors are ERROR frames with RabbitMQ's `message` header and body; broker errors (missing queue,
// inequivalent declare) close the connection as RabbitMQ's channel closure does; header mistakes do not.
import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { newChannelStats, type ChannelInfo, type ClientConnection } from '../../core/broker.js';
import { AccessCache, type TopicVariables } from '../../core/auth/permissions.js';
import { AuthzPending } from '../../core/auth/authz.js';
import { certLoginName } from '../../core/auth/cert-login.js';
import type { User } from '../../core/auth/users.js';
import { AuthHold } from '../net/auth-hold.js';
import { peerCert } from '../net/peer-cert.js';
import { BrokerError } from '../../core/errors.js';
import { Message, type QueuedMessage } from '../../core/message.js';
import type { FlowControlled } from '../../core/queue/consumer.js';
import type { Queue } from '../../core/queue/queue.js';
import { VHost } from '../../core/vhost.js';
import { roughNow } from '../../util/rough-clock.js';
import { ReadGate } from '../net/read-gate.js';
import { destinationOf, parseDestination, type Destination } from './destination.js';
import { encodeFrame, FrameParser, StompError, StompFrame } from './frame.js';
import { decodeStompProps, encodeStompProps, FRAME_ONLY, stompFormat, type StompHeaders } from './format.js';
import type { StompServer } from './server.js';
import { StompSubscription, type AckMode } from './subscription.js';

const VERSIONS = ['1.0', '1.1', '1.2'];
const OUTPUT_HIGH_WATER = 1024 * 1024;
/** Queue arguments a SUBSCRIBE/SEND may carry as x-* headers (RabbitMQ stomp queue properties). */
const INT_ARGS = new Set(['x-expires', 'x-message-ttl', 'x-max-length', 'x-max-length-bytes', 'x-max-priority']);
const STR_ARGS = new Set([
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-queue-master-locator',
  'x-single-active-consumer',
]);

class Unacked {
  constructor(
    readonly tag: number,
    readonly entry: QueuedMessage,
    readonly queue: Queue,
    readonly sub: StompSubscription,
    readonly at: number,
  ) {}
}

type TxOp = { kind: 'send'; frame: StompFrame } | { kind: 'ack' | 'nack'; frame: StompFrame };

export class StompConnection implements ClientConnection, FlowControlled {
  readonly id: number;
  /** For management listings (ClientConnection). */
  readonly connectedAt = Date.now();
  /** Socket octets and reads/writes (management's recv_oct/send_oct and their sampled rates). */
  readonly stats = { recvOct: 0, sendOct: 0, recvCnt: 0, sendCnt: 0 };
  /**
   * RabbitMQ 3.10 shows a STOMP connection with one channel carrying its message_stats (publish, deliver,
   * ack, …). Counted here, listed by channelInfos().
   */
  readonly channelStats = newChannelStats();
  readonly remotePort: number | undefined;
  readonly localPort: number | undefined;
  readonly localAddress: string | undefined;
  readonly tls: boolean;
  protocol = 'STOMP';
  user = '';
  vhost = '';
  connected = false;
  private version = '1.0';
  private v: VHost | null = null;
  /** Permission checks (core/auth/permissions.ts) where the AMQP operations they map to make them. */
  private access: AccessCache | null = null;
  /** The login's answer (kept: a CONNECT replayed after an HTTP backend's answer does not ask again). */
  private login: User | string | Promise<User | string> | null = null;
  private readonly hold: AuthHold<StompFrame>;
  private topicVars: TopicVariables | null = null;
  private readonly session = 'session-' + randomBytes(16).toString('base64url');
  private readonly parser: FrameParser;
  private closed = false;
  private readonly subs = new Map<string, StompSubscription>();
  /** Unacked deliveries by tag (insertion = tag order, which cumulative acks rely on). */
  private readonly unacked = new Map<number, Unacked>();
  private nextTag = 0;
  private readonly txs = new Map<string, TxOp[]>();
  /** /temp-queue/<name> → the server-named queue behind it. */
  private readonly tempQueues = new Map<string, string>();
  private out: Buffer[] = [];
  private flushScheduled = false;
  private lastRead = roughNow();
  private lastWrite = roughNow();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Why the socket is not read (read budget, flow control, alarm). */
  private readonly gate: ReadGate;

  constructor(
    readonly server: StompServer,
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
    this.parser = new FrameParser(
      (f) => this.onFrame(f),
      () => {},
    );
    this.gate = new ReadGate(socket, () => {
      this.lastRead = roughNow();
    });
    this.hold = new AuthHold<StompFrame>(
      (f) => this.onFrame(f),
      (on) => this.gate.authWait(!on),
    );
    socket.on('data', (chunk: Buffer) => {
      this.lastRead = roughNow();
      this.stats.recvOct += chunk.length;
      this.stats.recvCnt++;
      try {
        this.parser.push(chunk);
      } catch (e) {
        this.onError(e, null);
      }
      this.gate.read(chunk.length);
    });
    // as AMQP's handshake_timeout: a socket that never sends CONNECT does not stay open
    const t = setTimeout(() => {
      if (!this.connected && !this.closed) this.close();
    }, server.options.handshakeTimeout);
    t.unref();
    socket.on('drain', () => this.resumeSubs());
    socket.on('error', () => {});
    socket.on('close', () => this.teardown());
  }

  /** The one channel RabbitMQ lists for a STOMP connection (GET /api/channels). */
  channelInfos(): ChannelInfo[] {
    return [
      {
        number: 1,
        consumerCount: this.subs.size,
        messagesUnacknowledged: this.unacked.size,
        prefetchCount: 0,
        globalPrefetchCount: 0,
        confirm: false,
        transactional: false,
        stats: this.channelStats,
      },
    ];
  }

  // ---- output ----------------------------------------------------------------------------------

  canWrite(): boolean {
    return !this.closed && this.socket.writableLength < OUTPUT_HIGH_WATER && !this.socket.writableNeedDrain;
  }

  private send(command: string, headers: StompHeaders, body: Buffer | null = null): void {
    if (this.closed) return;
    const esc = this.version !== '1.0';
    // RabbitMQ ends every frame with NUL + EOL
    this.out.push(encodeFrame(command, headers, body, esc, this.version === '1.2'), EOL);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.socket.destroyed) return;
    const b = Buffer.concat(this.out);
    this.out = [];
    this.lastWrite = roughNow();
    this.stats.sendOct += b.length;
    this.stats.sendCnt++;
    this.socket.write(b);
  }

  private close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.teardown();
  }

  forceClose(reason: string): void {
    if (this.connected) this.sendError('connection_forced', reason, null);
    this.close();
  }

  private sendError(message: string, detail: string, receipt: string | undefined | null): void {
    const h: StompHeaders = [
      ['message', message],
      ['content-type', 'text/plain'],
      ['version', VERSIONS.join(',')],
    ];
    if (receipt) h.push(['receipt-id', receipt]);
    const body = Buffer.from(detail);
    h.push(['content-length', String(body.length)]);
    this.send('ERROR', h, body);
  }

  // ---- input -----------------------------------------------------------------------------------

  private onError(e: unknown, f: StompFrame | null): void {
    const receipt = f?.get('receipt');
    if (e instanceof StompError) {
      this.sendError(e.summary, e.detail, receipt);
      if (e.fatal) this.close();
      return;
    }
    if (e instanceof BrokerError) {
      // as RabbitMQ reports a channel closure: "not_found" / "NOT_FOUND - no queue 'x' in vhost '/'"
      this.sendError(e.kind.toLowerCase(), `${e.kind} - ${e.message}`, receipt);
      this.close();
      return;
    }
    this.server.log.error({ err: e }, 'STOMP connection error');
    this.sendError('internal_error', 'Internal error', receipt);
    this.close();
  }

  private onFrame(f: StompFrame): void {
    if (this.closed || this.hold.queue(f)) return;
    try {
      if (!this.connected) {
        if (f.command !== 'CONNECT' && f.command !== 'STOMP') {
          throw new StompError('Illegal command', 'You must log in using CONNECT first', true);
        }
        return this.onConnect(f);
      }
      const tx = f.get('transaction');
      if (tx !== undefined && (f.command === 'SEND' || f.command === 'ACK' || f.command === 'NACK')) {
        const ops = this.txs.get(tx);
        if (ops === undefined) throw badTransaction(tx);
        ops.push({ kind: f.command === 'SEND' ? 'send' : f.command === 'ACK' ? 'ack' : 'nack', frame: f });
        return this.receipt(f);
      }
      switch (f.command) {
        case 'SEND':
          this.onSend(f);
          break;
        case 'SUBSCRIBE':
          // sends its own RECEIPT, before the first MESSAGE
          return this.onSubscribe(f);
        case 'UNSUBSCRIBE':
          this.onUnsubscribe(f);
          break;
        case 'ACK':
          this.onAck(f, true);
          break;
        case 'NACK':
          if (this.version === '1.0') throw new StompError('Bad command', 'NACK is not a STOMP 1.0 command', false);
          this.onAck(f, false);
          break;
        case 'BEGIN':
          this.onBegin(f);
          break;
        case 'COMMIT':
          this.onCommit(f);
          break;
        case 'ABORT':
          this.txs.delete(requireTx(f, this.txs));
          break;
        case 'DISCONNECT':
          this.receipt(f);
          return this.close();
        case 'CONNECT':
        case 'STOMP':
          throw new StompError('Unexpected frame', 'Already connected', true);
        default:
          throw new StompError('Bad command', `Could not interpret command ${f.command}`, false);
      }
      this.receipt(f);
    } catch (e) {
      if (e instanceof AuthzPending) this.hold.wait(e, f);
      else this.onError(e, f);
    }
  }

  private receipt(f: StompFrame): void {
    const r = f.get('receipt');
    if (r !== undefined) this.send('RECEIPT', [['receipt-id', r]]);
  }

  // ---- CONNECT ---------------------------------------------------------------------------------

  private onConnect(f: StompFrame): void {
    const accept = f.get('accept-version');
    let version = '1.0';
    if (accept !== undefined) {
      const offered = accept.split(',').map((s) => s.trim());
      const v = [...VERSIONS].reverse().find((x) => offered.includes(x));
      if (v === undefined) throw new StompError('Version mismatch', 'Supported versions are 1.0,1.1,1.2\n', true);
      version = v;
    }
    this.version = version;
    this.parser.escaping = version !== '1.0';
    this.parser.v12 = version === '1.2';
    const login = f.get('login');
    const passcode = f.get('passcode');
    const def = this.server.options.stompDefaultUser;
    // stomp.ssl_cert_login: no login header on a verified TLS connection → the certificate's name
    const cert = login === undefined && this.server.options.stompSslCertLogin ? peerCert(this.socket) : null;
    const certName = cert === null ? null : certLoginName(cert, this.server.options.certLogin);
    let name: string;
    let pass: string | undefined;
    if (certName !== null) {
      name = certName;
    } else if (login !== undefined) {
      name = login;
      pass = passcode ?? '';
    } else if (def !== null) {
      name = def.name;
      pass = def.password;
    } else throw new StompError('Bad CONNECT', 'Missing login or passcode header(s)', true);
    this.login ??= this.server.broker.login({
      username: name,
      ...(pass !== undefined ? { password: pass } : {}),
      ...(cert !== null && certName !== null ? { certificate: cert } : {}),
      mechanism: 'PLAIN',
      remoteAddress: this.remoteAddress,
      protocol: 'stomp',
    });
    const auth = this.login;
    // an HTTP backend answers later: CONNECT is handled again with the answer
    if (auth instanceof Promise) throw new AuthzPending(auth.then((r) => (this.login = r)));
    if (typeof auth === 'string') {
      this.server.log.warn({ user: name, reason: auth }, 'STOMP login refused');
      throw new StompError('Bad CONNECT', `Access refused for user '${name}'\n`, true);
    }
    // the host header names the vhost (rabbit_stomp_processor: login_header(Frame, "host", DefaultVHost))
    const vhostName = f.get('host') ?? this.server.options.defaultVhost;
    // vhost access from a backend that answers later (HTTP): CONNECT is handled again with the answer
    const access = this.server.broker.auth.vhostAccess(auth, vhostName);
    if (access instanceof Promise) throw new AuthzPending(access);
    try {
      this.v = this.server.broker.openVHost(vhostName, auth);
    } catch {
      throw new StompError('Bad CONNECT', `Virtual host '${vhostName}' access denied`, true);
    }
    this.access = new AccessCache(auth, vhostName);
    this.topicVars = { username: auth.name, vhost: vhostName };
    this.user = auth.name;
    this.vhost = vhostName;
    this.protocol = `STOMP ${version}`;
    this.connected = true;
    this.server.broker.register(this);
    this.server.broker.auth.watchExpiry(this);
    const h: StompHeaders = [
      ['server', 'RabbitMQ/3.10.8'],
      ['session', this.session],
    ];
    {
      // RabbitMQ answers heart-beat even to 1.0 clients (0,0 when none was asked)
      const hb = f.get('heart-beat') ?? '0,0';
      const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(hb);
      if (!m) throw new StompError('Invalid header', `Invalid heart-beat header '${hb}'`, true);
      // the client can send every cx ms and wants to receive every cy ms; we send every cy, expect cx
      const cx = Number(m[1]);
      const cy = Number(m[2]);
      h.push(['heart-beat', `${cy},${cx}`]);
      this.startHeartbeats(cy, cx);
    }
    h.push(['version', version]);
    this.send('CONNECTED', h);
  }

  private startHeartbeats(sendEvery: number, expectEvery: number): void {
    if (sendEvery === 0 && expectEvery === 0) return;
    const period = Math.max(100, Math.min(sendEvery || Infinity, expectEvery || Infinity) / 2);
    this.heartbeatTimer = setInterval(() => {
      const now = Date.now();
      if (sendEvery > 0 && now - this.lastWrite >= sendEvery - period && this.out.length === 0) {
        this.lastWrite = now;
        this.stats.sendOct += EOL.length;
        this.socket.write(EOL);
      }
      // RabbitMQ (rabbit_heartbeat) closes a connection silent for about twice the agreed period
      // (not while the broker itself stopped reading: rabbit_heartbeat's monitor is paused while blocked)
      if (expectEvery > 0 && now - this.lastRead > expectEvery * 2 && !this.socket.isPaused()) {
        this.server.log.debug({ user: this.user }, 'STOMP heart-beat missed');
        this.close();
      }
    }, period);
    this.heartbeatTimer.unref();
  }

  // ---- SEND ------------------------------------------------------------------------------------

  private onSend(f: StompFrame): void {
    if (this.server.broker.alarms.blocked) this.gate.blocked = true;
    const dest = f.get('destination');
    if (dest === undefined) throw new StompError('Missing destination', 'SEND must include a destination', false);
    if (f.get('message-id') !== undefined) {
      throw new StompError('Invalid header', "'message-id' is not allowed on 'SEND'.\n", false);
    }
    const d = parseDestination(dest);
    const v = this.v!;
    let exchange: string;
    let key: string;
    switch (d.kind) {
      case 'queue':
        this.declareQueue(d.name, f, true);
        exchange = '';
        key = d.name;
        break;
      case 'amqqueue':
      case 'reply':
        exchange = '';
        key = d.name;
        break;
      case 'topic':
        exchange = 'amq.topic';
        key = d.key;
        break;
      case 'exchange':
        exchange = d.exchange;
        key = d.key;
        break;
      case 'temp':
        exchange = '';
        key = this.tempQueue(d.name);
        break;
    }
    // basic.publish's checks: write on the exchange (the default one as amq.default), topic permission
    this.access!.checkPublish(exchange);
    const x = v.getExchange(exchange);
    if (x.type === 'topic') this.access!.checkTopic(exchange, key, 'write', this.topicVars!);
    if (x.internal)
      throw new BrokerError('ACCESS_REFUSED', `cannot publish to internal exchange '${exchange}' in vhost '${v.name}'`);
    const carried: StompHeaders = [];
    let persistent = false;
    let priority = 0;
    let expiration: string | null = null;
    for (const [k, val] of f.headers) {
      if (FRAME_ONLY.has(k)) continue;
      let value = val;
      if (k === 'reply-to') value = this.replyTo(val);
      else if (k === 'persistent') persistent = val === 'true';
      else if (k === 'priority' && /^\d+$/.test(val)) priority = Number(val);
      else if (k === 'expiration') expiration = val;
      else if (k === 'user-id' && val !== this.user) {
        throw new BrokerError(
          'PRECONDITION_FAILED',
          `user_id property set to '${val}' but authenticated user was '${this.user}'`,
        );
      }
      carried.push([k, value]);
    }
    const msg = new Message(
      stompFormat,
      exchange,
      key,
      encodeStompProps(carried),
      f.body,
      persistent,
      priority,
      expiration,
      roughNow(),
      this.id,
    );
    const st = this.channelStats;
    st.publish++;
    v.stats.publish++;
    x.stats.publishIn++;
    const queues = v.route(x, msg);
    x.stats.publishOut += queues.length;
    if (queues.length === 0 && !v.duplicate) {
      st.dropUnroutable++;
      v.stats.dropUnroutable++;
      this.server.broker.stats.dropUnroutable++;
    }
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      q.enqueue(msg);
      if (q.overloaded && this.gate.flowBlock(q)) q.blockPublisher(this);
    }
  }

  flowResume(q: Queue): void {
    this.gate.flowResume(q);
  }

  /** Blocked by a resource alarm: it sent while one was in effect (management state 'blocked'). */
  get blocked(): boolean {
    return this.gate.blocked;
  }

  /**
   * A resource alarm (memory, disk) was raised or cleared. As RabbitMQ's STOMP reader (which blocks at the
   * next SEND), a connection that sends during an alarm is no longer read after that frame's chunk; one
   * that only subscribes keeps being read (ACKs, heart-beats). Reading resumes when every alarm has cleared.
   */
  alarm(raised: boolean): void {
    if (!raised) this.gate.unblock();
  }

  /** reply-to:/temp-queue/x creates (once) the session's queue for x and subscribes to it. */
  private replyTo(value: string): string {
    if (!value.startsWith('/temp-queue/')) return value;
    return this.tempQueue(value.slice('/temp-queue/'.length));
  }

  private tempQueue(name: string): string {
    const existing = this.tempQueues.get(name);
    if (existing !== undefined) return existing;
    const v = this.v!;
    const qn = VHost.generateQueueName();
    this.access!.check('queue', qn, 'configure');
    const q = v.declareQueue(qn, { durable: false, exclusive: true, autoDelete: true, args: {} }, this, true);
    this.tempQueues.set(name, qn);
    const id = '/temp-queue/' + name;
    const sub = new StompSubscription(`stomp-${id}`, this, id, id, q, 'auto', 0, false);
    this.subs.set(id, sub);
    q.addConsumer(sub);
    return qn;
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE -----------------------------------------------------------------

  private onSubscribe(f: StompFrame): void {
    const dest = f.get('destination');
    if (dest === undefined) throw new StompError('Missing destination', 'SUBSCRIBE must include a destination', false);
    // STOMP 1.0 allows SUBSCRIBE without id; RabbitMQ then uses the destination as the id
    let id = f.get('id');
    const explicitId = id !== undefined;
    if (id === undefined) {
      if (this.version !== '1.0') throw new StompError('Missing id', 'SUBSCRIBE must include an id header', false);
      id = dest;
    }
    if (this.subs.has(id))
      throw new StompError(
        'Duplicated subscription identifier',
        `A subscription identified by '${id}' already exists.`,
        false,
      );
    const ackHeader = f.get('ack') ?? 'auto';
    if (ackHeader !== 'auto' && ackHeader !== 'client' && ackHeader !== 'client-individual') {
      throw new StompError('Invalid header', `'ack' must be auto, client or client-individual`, false);
    }
    const pc = f.get('prefetch-count');
    const prefetch = pc !== undefined && /^\d+$/.test(pc) ? Number(pc) : 0;
    const d = parseDestination(dest);
    const v = this.v!;
    let q: Queue;
    let durableTopic = false;
    switch (d.kind) {
      case 'queue':
        q = this.declareQueue(d.name, f, true);
        break;
      case 'amqqueue':
        q = v.getQueueFor(d.name, this);
        break;
      case 'topic':
      case 'exchange': {
        const exchange = d.kind === 'topic' ? 'amq.topic' : d.exchange;
        const key = d.kind === 'topic' ? d.key : d.key === '' ? '' : d.key;
        v.getExchange(exchange);
        durableTopic = f.get('durable') === 'true' || f.get('persistent') === 'true';
        const named = f.get('x-queue-name');
        let name: string;
        if (named !== undefined) name = named;
        else if (durableTopic) {
          // a durable subscription finds its queue again from (destination, id); RabbitMQ hashes the
          // Erlang term of the pair, Warren the text, so the names differ but are as stable
          name = 'stomp-subscription-' + createHash('md5').update(`${dest}\u0000${id}`).digest('base64url');
        } else name = 'stomp-subscription-' + randomBytes(16).toString('base64url');
        if (!v.queues.has(name)) this.access!.check('queue', name, 'configure');
        q = v.declareQueue(
          name,
          {
            durable: durableTopic,
            exclusive: false,
            autoDelete: durableTopic ? f.get('auto-delete') === 'true' : true,
            args: queueArgs(f),
          },
          this,
        );
        // queue.bind's checks: write on the queue, read on the exchange, topic read permission
        this.access!.check('queue', q.name, 'write');
        this.access!.check('exchange', exchange, 'read');
        if (v.exchanges.get(exchange)?.type === 'topic')
          this.access!.checkTopic(exchange, key, 'read', this.topicVars!);
        v.bindQueue(q.name, exchange, key, {}, this);
        break;
      }
      case 'temp':
      case 'reply':
        throw new StompError('Unknown destination', `'${dest}' is not a valid destination for SUBSCRIBE.\n`, false);
    }
    this.access!.check('queue', q.name, 'read'); // basic.consume
    const sub = new StompSubscription(
      `stomp-${id}`,
      this,
      id,
      dest,
      q,
      ackHeader as AckMode,
      prefetch,
      durableTopic,
      explicitId,
    );
    this.subs.set(id, sub);
    // the RECEIPT (if asked) goes before the first MESSAGE: deliveries start after this frame's handling
    this.receipt(f);
    q.addConsumer(sub);
  }

  private onUnsubscribe(f: StompFrame): void {
    const id = f.get('id') ?? (this.version === '1.0' ? f.get('destination') : undefined);
    if (id === undefined) throw new StompError('Missing identifier', 'UNSUBSCRIBE must include an id header', false);
    const sub = this.subs.get(id);
    if (sub === undefined) {
      throw new StompError('Bad UNSUBSCRIBE', `Subscription not found: ${id}`, false);
    }
    this.subs.delete(id);
    sub.queue.removeConsumer(sub);
    // RabbitMQ: unsubscribing a durable topic subscription with durable:true deletes its queue
    if (sub.durableTopic && (f.get('durable') === 'true' || f.get('persistent') === 'true')) {
      this.v!.deleteQueue(sub.queue.name, false, false, this);
    }
  }

  /** /queue/<name>: declared durable, not auto-delete, unless the frame's headers say otherwise. */
  private declareQueue(name: string, f: StompFrame, _forSubscribe: boolean): Queue {
    const v = this.v!;
    if (!v.queues.has(name)) this.access!.check('queue', name, 'configure');
    return v.declareQueue(
      name,
      {
        durable: f.get('durable') !== 'false',
        exclusive: f.get('exclusive') === 'true',
        autoDelete: f.get('auto-delete') === 'true',
        args: queueArgs(f),
      },
      this,
    );
  }

  subscriptionCancelled(sub: StompSubscription): void {
    if (this.subs.get(sub.id) !== sub) return;
    this.subs.delete(sub.id);
  }

  // ---- deliveries ------------------------------------------------------------------------------

  // Hot path: a subscription's queue hands over a message, inside the publisher's call stack: a failure
  // ends this connection only.
  deliver(sub: StompSubscription, entry: QueuedMessage, queue: Queue): void {
    try {
      this.writeDelivery(sub, entry, queue);
    } catch (e) {
      this.server.log.error({ err: e }, 'STOMP delivery failed');
      this.connected = false; // takes nothing more
      if (!sub.noAck) queue.requeue([entry]);
      setImmediate(() => this.close());
    }
  }

  private writeDelivery(sub: StompSubscription, entry: QueuedMessage, queue: Queue): void {
    const msg = entry.msg;
    const tag = ++this.nextTag;
    const st = this.channelStats;
    if (sub.noAck) st.deliverNoAck++;
    else st.deliver++;
    if (entry.redelivered) st.redeliver++;
    // rabbit_stomp: T_<subscription>@@<session>@@<n>, or Q_<destination>@@… for a 1.0 SUBSCRIBE without id
    const messageId = `${sub.explicitId ? 'T_' : 'Q_'}${sub.id}@@${this.session}@@${tag}`;
    const destination = sub.id.startsWith('/temp-queue/') ? sub.id : destinationOf(msg.exchange, msg.routingKey);
    const h: StompHeaders = [];
    if (sub.explicitId) h.push(['subscription', sub.id]);
    h.push(['destination', destination], ['message-id', messageId], ['redelivered', String(entry.redelivered)]);
    if (this.version === '1.2' && !sub.noAck) h.push(['ack', messageId]);
    for (const kv of decodeStompProps(msg.propsIn(stompFormat))) {
      if (kv[0] !== 'content-length' && !RESERVED_OUT.has(kv[0])) h.push(kv);
    }
    h.push(['content-length', String(msg.bodySize)]);
    this.send('MESSAGE', h, msg.body);
    if (!sub.noAck) {
      this.unacked.set(tag, new Unacked(tag, entry, queue, sub, roughNow()));
      sub.unacked++;
    }
  }

  private onAck(f: StompFrame, ack: boolean): void {
    const cmd = ack ? 'ACK' : 'NACK';
    // 1.2: id (the MESSAGE's ack header); 1.0/1.1: message-id
    const idHeader = this.version === '1.2' ? 'id' : 'message-id';
    const mid = f.get(idHeader);
    const m = mid === undefined ? null : /^[TQ]_(.*)@@session-[^@]*@@(\d+)$/.exec(mid);
    if (m === null)
      throw new StompError('Invalid header', `"${cmd}" must include a valid "${idHeader}" header\n`, false);
    const tag = Number(m[2]);
    const d = this.unacked.get(tag);
    if (d === undefined) return; // RabbitMQ: acking an unknown or already settled message is ignored
    const requeue = f.get('requeue') !== 'false';
    const settled: Unacked[] = [];
    if (d.sub.ack === 'client') {
      // cumulative: this message and every earlier one of the same subscription
      for (const u of this.unacked.values()) {
        if (u.tag > tag) break;
        if (u.sub === d.sub) settled.push(u);
      }
    } else settled.push(d);
    const back: QueuedMessage[] = [];
    for (const u of settled) {
      this.unacked.delete(u.tag);
      u.sub.unacked--;
      if (ack) {
        u.queue.ack(u.entry);
        this.channelStats.ack++;
      } else if (requeue) back.push(u.entry);
      else u.queue.discard(u.entry);
    }
    if (back.length !== 0) d.queue.requeue(back);
    if (d.sub.starved) {
      d.sub.starved = false;
      d.sub.queue.dispatch();
    }
  }

  private resumeSubs(): void {
    for (const s of this.subs.values()) {
      if (s.starved) {
        s.starved = false;
        s.queue.dispatch();
      }
    }
  }

  /**
   * consumer_timeout (1 s ticker): RabbitMQ's STOMP plugin runs on an AMQP channel, which closes when a
   * delivery stays unacknowledged too long; the client gets the channel's 406 as an ERROR frame.
   */
  tick(now: number): void {
    if (!this.connected) return;
    const timeout = this.server.options.consumerTimeout;
    for (const u of this.unacked.values()) {
      if (now - u.at <= timeout) return;
      this.sendError(
        'precondition_failed',
        `PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: ${timeout} ms. ` +
          `This timeout value can be configured, see consumers doc guide to learn more`,
        null,
      );
      this.close();
      return;
    }
  }

  // ---- transactions ----------------------------------------------------------------------------

  private onBegin(f: StompFrame): void {
    const tx = f.get('transaction');
    if (tx === undefined) throw new StompError('Missing transaction', 'BEGIN must include a transaction header', false);
    if (this.txs.has(tx)) throw badTransaction(tx);
    this.txs.set(tx, []);
  }

  private onCommit(f: StompFrame): void {
    const tx = requireTx(f, this.txs);
    const ops = this.txs.get(tx)!;
    this.txs.delete(tx);
    for (const op of ops) {
      if (op.kind === 'send') this.onSend(op.frame);
      else this.onAck(op.frame, op.kind === 'ack');
    }
  }

  // ---- close -----------------------------------------------------------------------------------

  private tornDown = false;

  /** The logged-in user (AuthService: expiry, update-secret). */
  get userObj(): User | null {
    return this.access?.user ?? null;
  }

  /** The OAuth 2 token expired: an ERROR frame, then the connection closes. */
  credentialExpired(): void {
    this.server.log.warn({ user: this.user }, 'STOMP connection closing: credential expired');
    this.sendError('Credential expired', 'The credential (OAuth 2 token) expired\n', null);
    this.close();
  }

  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.server.broker.auth.unwatch(this);
    this.closed = true;
    this.connected = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.gate.close();
    const subs = [...this.subs.values()];
    this.subs.clear();
    for (const s of subs) s.queue.removeConsumer(s);
    const back = new Map<Queue, QueuedMessage[]>();
    for (const u of this.unacked.values()) {
      let l = back.get(u.queue);
      if (!l) back.set(u.queue, (l = []));
      l.push(u.entry);
    }
    this.unacked.clear();
    for (const [q, entries] of back) q.requeue(entries);
    // exclusive queues (temp queues, exclusive /queue declares) go with their connection
    if (this.v) {
      for (const q of [...this.v.queues.values()]) if (q.exclusiveOwner === this) this.v.deleteQueueObject(q);
      this.server.broker.unregister(this);
    }
    this.server.connectionClosed(this);
  }
}

/** Headers a MESSAGE sets itself, which a message's carried headers must not repeat. */
const RESERVED_OUT = new Set(['subscription', 'destination', 'message-id', 'redelivered', 'ack']);
const EOL = Buffer.from('\n');

function badTransaction(tx: string): StompError {
  return new StompError('Bad transaction', `Invalid transaction identifier: "${tx}"\n`, false);
}

function requireTx(f: StompFrame, txs: Map<string, TxOp[]>): string {
  const tx = f.get('transaction');
  if (tx === undefined)
    throw new StompError('Missing transaction', `${f.command} must include a transaction header`, false);
  if (!txs.has(tx)) throw badTransaction(tx);
  return tx;
}

/** x-* headers of a SUBSCRIBE/SEND as queue arguments (RabbitMQ's stomp queue properties). */
function queueArgs(f: StompFrame): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [k, v] of f.headers) {
    if (INT_ARGS.has(k) && /^-?\d+$/.test(v)) args[k] = Number(v);
    else if (STR_ARGS.has(k)) args[k] = k === 'x-single-active-consumer' ? v === 'true' : v;
  }
  return args;
}

export type { Destination };
