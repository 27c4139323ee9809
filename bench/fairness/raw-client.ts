// A minimal raw AMQP 0-9-1 client for the fairness measurements: one socket, Warren's own frame decoder and
// encoders, no library in between. It does just what the load and the heartbeat probe need (PLAIN login,
// tune with a chosen heartbeat, channel open, declare, consume, publish pre-encoded batches, ack), and it
// timestamps every heartbeat frame the broker sends, answering each with one of its own.
import net from 'node:net';
import {
  FrameDecoder,
  FrameType,
  MethodId,
  PROTOCOL_HEADER,
  Writer,
  decodeMethod,
  writeBasicConsume,
  writeBasicQos,
  writeChannelOpen,
  writeConnectionCloseOk,
  writeConnectionOpen,
  writeConnectionStartOk,
  writeConnectionTuneOk,
  writeHeartbeat,
  writeQueueDeclare,
  type AmqpMethod,
  type ConnectionTune,
  type FieldTable,
} from '../../src/codec/amqp/index.js';

export interface RawOptions {
  /** Heartbeat to ask for in tune-ok, seconds (0 = none). */
  heartbeat?: number;
  /** Called for every delivery method frame (basic.deliver), with its raw payload. */
  onDeliver?: (payload: Buffer) => void;
}

/** amqp://user:pass@host:port/vhost → its parts (vhost "/" when the path is empty). */
export function parseUri(uri: string): { host: string; port: number; user: string; pass: string; vhost: string } {
  const u = new URL(uri);
  const path = decodeURIComponent(u.pathname.slice(1));
  return {
    host: u.hostname,
    port: Number(u.port || 5672),
    user: decodeURIComponent(u.username || 'guest'),
    pass: decodeURIComponent(u.password || 'guest'),
    vhost: path === '' ? '/' : path,
  };
}

export class RawClient {
  readonly w = new Writer(65536);
  /** performance.now() of each heartbeat frame received. */
  readonly heartbeats: number[] = [];
  /** Answer the broker's heartbeat frames (the probe's client side of the heartbeat contract). */
  answerHeartbeats = true;
  /** Why the connection ended ("connection.close 320 …", "socket closed"), null while open. */
  closedBy: string | null = null;
  /** The broker's product server property (connection.start). */
  product = '';
  private readonly decoder: FrameDecoder;
  private waiting: { id: number; resolve: (m: AmqpMethod) => void } | null = null;
  private readonly early: AmqpMethod[] = [];
  private closedWaiters: (() => void)[] = [];

  private constructor(
    readonly socket: net.Socket,
    private readonly opts: RawOptions,
  ) {
    this.decoder = new FrameDecoder({ onFrame: (t, ch, p) => this.onFrame(t, ch, p) }, 0);
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.decoder.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedBy ??= 'socket closed';
      for (const f of this.closedWaiters.splice(0)) f();
    });
  }

  static async connect(uri: string, opts: RawOptions = {}): Promise<RawClient> {
    const p = parseUri(uri);
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(p.port, p.host, () => resolve(s));
      s.once('error', reject);
    });
    const c = new RawClient(socket, opts);
    socket.write(PROTOCOL_HEADER);
    const start = await c.expect(MethodId.ConnectionStart);
    const props = (start as unknown as { serverProperties: Record<string, unknown> }).serverProperties;
    c.product = String(props['product'] ?? '');
    writeConnectionStartOk(
      c.w,
      0,
      { product: 'warren-fairness', capabilities: { 'connection.blocked': true } },
      'PLAIN',
      Buffer.from(`\u0000${p.user}\u0000${p.pass}`),
      'en_US',
    );
    c.flush();
    const tune = (await c.expect(MethodId.ConnectionTune)) as ConnectionTune;
    writeConnectionTuneOk(c.w, 0, tune.channelMax, tune.frameMax, opts.heartbeat ?? 0);
    writeConnectionOpen(c.w, 0, p.vhost);
    c.flush();
    await c.expect(MethodId.ConnectionOpenOk);
    return c;
  }

  private onFrame(type: number, channel: number, payload: Buffer): void {
    if (type === FrameType.HEARTBEAT) {
      this.heartbeats.push(performance.now());
      if (this.answerHeartbeats) {
        writeHeartbeat(this.w);
        this.flush();
      }
      return;
    }
    if (type !== FrameType.METHOD) return;
    // deliveries are counted from the raw payload (no decode: the load's consumer runs flat out)
    if (payload.readUInt32BE(0) === MethodId.BasicDeliver) {
      this.opts.onDeliver?.(payload);
      return;
    }
    const m = decodeMethod(payload);
    if (m.id === MethodId.ConnectionClose) {
      const c = m as unknown as { replyCode: number; replyText: string };
      this.closedBy = `connection.close ${c.replyCode} ${c.replyText}`;
      writeConnectionCloseOk(this.w, 0);
      this.flush();
      this.socket.end();
    } else if (m.id === MethodId.ChannelClose) {
      const c = m as unknown as { replyCode: number; replyText: string };
      this.closedBy = `channel.close ${c.replyCode} ${c.replyText} (channel ${channel})`;
      this.socket.destroy();
    }
    const w = this.waiting;
    if (w !== null && w.id === m.id) {
      this.waiting = null;
      w.resolve(m);
    } else this.early.push(m);
  }

  /** The next method with this id (methods of other ids arriving first are kept for later). */
  expect(id: number, ms = 10000): Promise<AmqpMethod> {
    const i = this.early.findIndex((m) => m.id === id);
    if (i >= 0) return Promise.resolve(this.early.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`raw client: no method 0x${id.toString(16)} (${this.closedBy})`)),
        ms,
      );
      this.waiting = {
        id,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      };
    });
  }

  flush(): boolean {
    const parts = this.w.takeParts();
    if (parts === null || this.socket.destroyed) return true;
    if (Buffer.isBuffer(parts)) return this.socket.write(parts);
    let ok = true;
    for (const b of parts) ok = this.socket.write(b);
    return ok;
  }

  async openChannel(ch: number): Promise<void> {
    writeChannelOpen(this.w, ch);
    this.flush();
    await this.expect(MethodId.ChannelOpenOk);
  }

  async declareQueue(ch: number, name: string, args: FieldTable = {}): Promise<void> {
    writeQueueDeclare(this.w, ch, name, false, false, false, true, false, args);
    this.flush();
    await this.expect(MethodId.QueueDeclareOk);
  }

  async consume(ch: number, queue: string, noAck: boolean, prefetch = 0): Promise<void> {
    if (prefetch > 0) {
      writeBasicQos(this.w, ch, 0, prefetch, false);
      this.flush();
      await this.expect(MethodId.BasicQosOk);
    }
    writeBasicConsume(this.w, ch, queue, '', false, noAck, false, false, {});
    this.flush();
    await this.expect(MethodId.BasicConsumeOk);
  }

  /** Resolves when the socket has closed. */
  closed(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((r) => this.closedWaiters.push(r));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The delivery tag of a basic.deliver method payload (after the consumer tag shortstr). */
export function deliveryTagOf(payload: Buffer): number {
  const at = 5 + payload[4]!;
  return payload.readUInt32BE(at) * 4294967296 + payload.readUInt32BE(at + 4);
}
