// A raw AMQP client for wire tests: sends exact bytes, reads frames with Warren's own decoder, and exposes
// what a peer sees (methods, close codes, the socket closing). In the style of nats' test/test.go.
import net from 'node:net';
import {
  FrameDecoder,
  FrameType,
  PROTOCOL_HEADER,
  Writer,
  decodeMethod,
  methodName,
  encodeMethod,
  writeConnectionStartOk,
  writeConnectionTuneOk,
  writeConnectionOpen,
  writeChannelOpen,
  type AmqpMethod,
} from '../../src/codec/amqp/index.js';

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
  method: AmqpMethod | null;
}

/** What a connection.close or channel.close carries. */
export interface Close {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

export class WireClient {
  readonly frames: Frame[] = [];
  readonly raw: Buffer[] = [];
  ended = false;
  private waiters: (() => void)[] = [];
  private readonly decoder: FrameDecoder;
  readonly w = new Writer(4096);
  decodeFrames = false;

  private constructor(readonly socket: net.Socket) {
    this.decoder = new FrameDecoder(
      {
        onFrame: (type, channel, payload) => {
          const p = Buffer.from(payload);
          this.frames.push({ type, channel, payload: p, method: type === FrameType.METHOD ? decodeMethod(p) : null });
        },
      },
      0,
    );
    socket.on('data', (d: Buffer) => {
      this.raw.push(d);
      if (this.decodeFrames) this.decoder.push(d);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new WireClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  send(b: Buffer | string): void {
    this.socket.write(typeof b === 'string' ? Buffer.from(b, 'binary') : b);
  }

  /** Send what the Writer holds. */
  flush(): void {
    const b = this.w.take();
    if (b) this.socket.write(Buffer.from(b));
  }

  sendMethod(channel: number, m: AmqpMethod): void {
    encodeMethod(this.w, channel, m);
    this.flush();
  }

  /** All raw bytes received so far. */
  bytes(): Buffer {
    return Buffer.concat(this.raw);
  }

  async waitFor<T>(fn: () => T | null | undefined | false, ms = 3000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > end) throw new Error('wire: timed out waiting');
      await this.wait(Math.max(1, end - Date.now()));
    }
  }

  /** The next method frame (any channel), consumed from the queue. */
  async nextMethod(ms = 3000): Promise<{ channel: number; method: AmqpMethod; name: string }> {
    const f = await this.waitFor(() => {
      const i = this.frames.findIndex((x) => x.method !== null);
      return i >= 0 ? this.frames.splice(i, 1)[0] : null;
    }, ms);
    return { channel: f.channel, method: f.method!, name: methodName(f.method!.id) };
  }

  /** Wait for the named method (skipping others), e.g. 'connection.close'. */
  async expect(name: string, ms = 3000): Promise<AmqpMethod & Record<string, unknown>> {
    const f = await this.waitFor(() => {
      const i = this.frames.findIndex((x) => x.method !== null && methodName(x.method.id) === name);
      return i >= 0 ? this.frames.splice(i, 1)[0] : null;
    }, ms);
    return f.method as AmqpMethod & Record<string, unknown>;
  }

  /** Wait for a connection.close or channel.close (`name`): its reply code and text, class and method ids. */
  async expectClose(name: 'connection.close' | 'channel.close', ms = 3000): Promise<Close> {
    return (await this.expect(name, ms)) as unknown as Close;
  }

  async closed(ms = 3000): Promise<boolean> {
    await this.waitFor(() => this.ended, ms);
    return true;
  }

  /** Protocol header, connection.start, start-ok (PLAIN): returns the connection.tune, not yet answered. */
  async login(opts: { user?: string; pass?: string } = {}): Promise<{ frameMax: number; channelMax: number }> {
    this.decodeFrames = true;
    this.send(PROTOCOL_HEADER);
    await this.expect('connection.start');
    const resp = Buffer.from(`\u0000${opts.user ?? 'guest'}\u0000${opts.pass ?? 'guest'}`);
    writeConnectionStartOk(this.w, 0, { capabilities: { consumer_cancel_notify: true } }, 'PLAIN', resp, 'en_US');
    this.flush();
    return (await this.expect('connection.tune')) as unknown as { frameMax: number; channelMax: number };
  }

  /** Protocol header, PLAIN login, tune-ok (the server's limits unless `opts` lowers them), open. */
  async handshake(
    opts: {
      user?: string;
      pass?: string;
      vhost?: string;
      frameMax?: number;
      channelMax?: number;
      heartbeat?: number;
    } = {},
  ): Promise<void> {
    const tune = await this.login(opts);
    const channelMax = opts.channelMax ?? tune.channelMax;
    writeConnectionTuneOk(this.w, 0, channelMax, opts.frameMax ?? tune.frameMax, opts.heartbeat ?? 0);
    writeConnectionOpen(this.w, 0, opts.vhost ?? '/');
    this.flush();
    await this.expect('connection.open-ok');
  }

  /** Connected to `port`, past the handshake (with `opts`), channel 1 open: ready for a test's frames. */
  static async ready(port: number, opts: Parameters<WireClient['handshake']>[0] = {}): Promise<WireClient> {
    const c = await WireClient.connect(port);
    await c.handshake(opts);
    await c.openChannel(1);
    return c;
  }

  async openChannel(ch = 1): Promise<void> {
    writeChannelOpen(this.w, ch);
    this.flush();
    await this.expect('channel.open-ok');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A frame with arbitrary type/channel/payload and frame-end byte. */
export function rawFrame(type: number, channel: number, payload: Buffer, end = 0xce): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = type;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b[7 + payload.length] = end;
  return b;
}
