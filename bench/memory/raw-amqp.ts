// A minimal AMQP 0-9-1 client for the memory-at-scale runs: the handshake (PLAIN, the heartbeat we ask for),
// channel 1, and the handful of methods the scripts use (queue.declare/delete, basic.publish/get), each frame
// encoded by hand. It is independent of Warren's codec on purpose (it measures RabbitMQ too), and it is small
// on purpose: 10,000 of these idle in one process where 10,000 amqplib connections would be the bottleneck.
// Replies are matched in order (one expectation list per connection), which is what AMQP's synchronous
// methods guarantee on one channel. Heartbeat frames from the broker are timed, for the on-time check.
import net from 'node:net';

export interface RawOptions {
  host: string;
  port: number;
  user: string;
  pass: string;
  vhost: string;
  /** Heartbeat interval asked for in tune-ok, seconds (0: none). */
  heartbeat: number;
}

export function parseUri(uri: string): Omit<RawOptions, 'heartbeat'> {
  const u = new URL(uri);
  const vh = u.pathname === '' || u.pathname === '/' ? '/' : decodeURIComponent(u.pathname.slice(1));
  return {
    host: u.hostname === 'localhost' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 5672),
    user: decodeURIComponent(u.username || 'guest'),
    pass: decodeURIComponent(u.password || 'guest'),
    vhost: vh,
  };
}

const FRAME_END = 0xce;
const HEARTBEAT = Buffer.from([8, 0, 0, 0, 0, 0, 0, FRAME_END]);

/** Method ids as class << 16 | method. */
export const M = {
  ConnectionStart: 0x000a000a,
  ConnectionTune: 0x000a001e,
  ConnectionOpenOk: 0x000a0029,
  ConnectionClose: 0x000a0032,
  ConnectionCloseOk: 0x000a0033,
  ChannelOpenOk: 0x0014000b,
  ChannelClose: 0x00140028,
  QueueDeclareOk: 0x0032000b,
  QueueDeleteOk: 0x00320029,
  BasicGetOk: 0x003c0047,
  BasicGetEmpty: 0x003c0048,
} as const;

/** Encodes method arguments (big-endian, AMQP's short/long strings and an empty or string-only table). */
class Args {
  private readonly parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
    return this;
  }
  u64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  shortstr(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u8(b.length).raw(b);
  }
  longstr(b: Buffer): this {
    return this.u32(b.length).raw(b);
  }
  /** A field table of string values (type 'S'). */
  table(t: Record<string, string> = {}): this {
    const inner = new Args();
    for (const [k, v] of Object.entries(t)) inner.shortstr(k).u8(0x53).longstr(Buffer.from(v));
    return this.longstr(inner.build());
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function frame(type: number, channel: number, payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(8 + payload.length);
  f[0] = type;
  f.writeUInt16BE(channel, 1);
  f.writeUInt32BE(payload.length, 3);
  payload.copy(f, 7);
  f[7 + payload.length] = FRAME_END;
  return f;
}

function method(channel: number, id: number, args: Buffer): Buffer {
  const p = Buffer.allocUnsafe(4 + args.length);
  p.writeUInt32BE(id >>> 0, 0);
  args.copy(p, 4);
  return frame(1, channel, p);
}

export class AmqpReplyError extends Error {
  constructor(
    readonly code: number,
    text: string,
  ) {
    super(`${code} ${text}`);
  }
}

interface Waiter {
  ids: readonly number[];
  resolve(r: { id: number; payload: Buffer }): void;
  reject(e: Error): void;
}

export class RawConnection {
  /** Negotiated heartbeat, seconds. */
  heartbeat = 0;
  frameMax = 131072;
  /** Time heartbeat timing started (connection.open-ok) and of the last heartbeat frame received, ms. */
  private lastBeat = 0;
  /** Longest time between heartbeat frames (or from open-ok to the first), ms. */
  maxBeatGap = 0;
  beats = 0;
  /** The longest gap so far, counting the time since the last heartbeat (a broker gone silent shows). */
  gapNow(): number {
    return Math.max(this.maxBeatGap, Date.now() - this.lastBeat);
  }
  closed: Error | null = null;
  private pending: Buffer | null = null;
  private readonly waiters: Waiter[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('socket closed')));
  }

  /** Connect and open channel 1. */
  static async open(o: RawOptions): Promise<RawConnection> {
    const socket = net.connect({ host: o.host, port: o.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new RawConnection(socket);
    socket.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'));
    await c.expect([M.ConnectionStart]);
    c.send(
      method(
        0,
        0x000a000b,
        new Args()
          .table({ product: 'warren-bench', platform: 'Node.js' })
          .shortstr('PLAIN')
          .longstr(Buffer.from(`\u0000${o.user}\u0000${o.pass}`))
          .shortstr('en_US')
          .build(),
      ),
    );
    const tune = await c.expect([M.ConnectionTune]);
    const channelMax = tune.payload.readUInt16BE(4);
    const frameMax = tune.payload.readUInt32BE(6);
    c.frameMax = frameMax === 0 ? 131072 : frameMax;
    c.heartbeat = o.heartbeat;
    c.send(method(0, 0x000a001f, new Args().u16(channelMax).u32(c.frameMax).u16(o.heartbeat).build()));
    c.send(method(0, 0x000a0028, new Args().shortstr(o.vhost).shortstr('').u8(0).build()));
    await c.expect([M.ConnectionOpenOk]);
    c.send(method(1, 0x0014000a, new Args().shortstr('').build()));
    await c.expect([M.ChannelOpenOk]);
    c.lastBeat = Date.now();
    return c;
  }

  send(b: Buffer): void {
    if (this.closed === null) this.socket.write(b);
  }

  sendHeartbeat(): void {
    this.send(HEARTBEAT);
  }

  /** The next method on any channel must be one of `ids` (a close rejects instead). */
  expect(ids: readonly number[]): Promise<{ id: number; payload: Buffer }> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => this.waiters.push({ ids, resolve, reject }));
  }

  /** queue.declare; with `wait` false the reply is the caller's to expect (pipelining). */
  declareQueue(name: string, durable: boolean): void {
    const flags = durable ? 2 : 0;
    this.send(method(1, 0x0032000a, new Args().u16(0).shortstr(name).u8(flags).table().build()));
  }

  deleteQueue(name: string): void {
    this.send(method(1, 0x00320028, new Args().u16(0).shortstr(name).u8(0).build()));
  }

  publish(exchange: string, routingKey: string, body: Buffer): void {
    const m = method(1, 0x003c0028, new Args().u16(0).shortstr(exchange).shortstr(routingKey).u8(0).build());
    const h = frame(2, 1, new Args().u16(60).u16(0).u64(body.length).u16(0).build());
    this.send(Buffer.concat([m, h, frame(3, 1, body)]));
  }

  /** basic.get (no-ack): the body, or null on get-empty. */
  async get(queue: string): Promise<Buffer | null> {
    const body = new Promise<Buffer>((resolve, reject) => (this.bodyWaiter = { resolve, reject }));
    body.catch(() => {}); // a close rejects both; the expect below reports it
    this.send(method(1, 0x003c0046, new Args().u16(0).shortstr(queue).u8(1).build()));
    const r = await this.expect([M.BasicGetOk, M.BasicGetEmpty]);
    if (r.id === M.BasicGetEmpty) {
      this.bodyWaiter = null;
      return null;
    }
    return body;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.send(method(0, 0x000a0032, new Args().u16(200).shortstr('bye').u16(0).u16(0).build()));
    try {
      await this.expect([M.ConnectionCloseOk]);
    } catch {
      /* the socket closed first */
    }
    this.socket.destroy();
  }

  /** Destroy the socket without the close handshake (fast teardown of thousands). */
  destroy(): void {
    this.closed ??= new Error('destroyed');
    this.socket.destroy();
  }

  private bodyWaiter: { resolve(b: Buffer): void; reject(e: Error): void } | null = null;
  private bodyParts: Buffer[] = [];
  private bodyLeft = 0;

  private fail(e: Error): void {
    if (this.closed === null) this.closed = e;
    for (const w of this.waiters.splice(0)) w.reject(this.closed);
    this.bodyWaiter?.reject(this.closed);
    this.bodyWaiter = null;
  }

  private onData(d: Buffer): void {
    const buf = this.pending === null ? d : Buffer.concat([this.pending, d]);
    this.pending = null;
    let p = 0;
    while (buf.length - p >= 8) {
      const size = buf.readUInt32BE(p + 3);
      if (buf.length - p < 8 + size) break;
      const type = buf[p]!;
      const channel = buf.readUInt16BE(p + 1);
      const payload = buf.subarray(p + 7, p + 7 + size);
      p += 8 + size;
      this.onFrame(type, channel, payload);
    }
    if (p < buf.length) this.pending = Buffer.from(buf.subarray(p));
  }

  private onFrame(type: number, channel: number, payload: Buffer): void {
    if (type === 8) {
      const now = Date.now();
      this.maxBeatGap = Math.max(this.maxBeatGap, now - this.lastBeat);
      this.lastBeat = now;
      this.beats++;
      return;
    }
    if (type === 2) {
      this.bodyLeft = Number(payload.readBigUInt64BE(4));
      this.bodyParts = [];
      if (this.bodyLeft === 0) this.bodyDone();
      return;
    }
    if (type === 3) {
      this.bodyParts.push(Buffer.from(payload));
      this.bodyLeft -= payload.length;
      if (this.bodyLeft <= 0) this.bodyDone();
      return;
    }
    const id = payload.readUInt32BE(0);
    if (id === M.ConnectionClose || id === M.ChannelClose) {
      const code = payload.readUInt16BE(4);
      const text = payload.toString('utf8', 7, 7 + payload[6]!);
      if (id === M.ConnectionClose) this.send(method(0, M.ConnectionCloseOk, Buffer.alloc(0)));
      else this.send(method(channel, 0x00140029, Buffer.alloc(0)));
      const err = new AmqpReplyError(code, text);
      for (const w of this.waiters.splice(0)) w.reject(err);
      if (id === M.ConnectionClose) this.fail(err);
      return;
    }
    const w = this.waiters.shift();
    if (w === undefined) return;
    if (w.ids.includes(id)) w.resolve({ id, payload });
    else w.reject(new Error(`expected method ${w.ids.map((i) => i.toString(16))}, got ${id.toString(16)}`));
  }

  private bodyDone(): void {
    const w = this.bodyWaiter;
    this.bodyWaiter = null;
    w?.resolve(Buffer.concat(this.bodyParts));
    this.bodyParts = [];
  }
}

/**
 * One fresh connection's declare → publish → get → delete → close, ms from connect to the body back:
 * what a new client sees of the broker's responsiveness.
 */
export async function roundTrip(o: RawOptions, queue: string): Promise<number> {
  const t0 = performance.now();
  const c = await RawConnection.open({ ...o, heartbeat: 0 });
  try {
    c.declareQueue(queue, false);
    await c.expect([M.QueueDeclareOk]);
    const body = Buffer.from(`ping ${t0}`);
    c.publish('', queue, body);
    let got: Buffer | null = null;
    // the publish is asynchronous: a get right after it may find the queue still empty on some brokers
    for (let i = 0; i < 100 && got === null; i++) got = await c.get(queue);
    if (got === null || !got.equals(body)) throw new Error('round trip: message not returned');
    const ms = performance.now() - t0;
    c.deleteQueue(queue);
    await c.expect([M.QueueDeleteOk]);
    return ms;
  } finally {
    await c.close();
  }
}
