// Stream protocol test helpers: a Warren broker with its Stream listener on an ephemeral port (file storage in
// a temporary directory, so restarts keep streams), rabbitmq-stream-js-client connections to it, and a raw
// frame client built from the codec for what the client library does not let a test send.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as rs from 'rabbitmq-stream-js-client';
import { Writer } from '../../../src/codec/buffer/writer.js';
import {
  decodeFrame,
  encodeFrame,
  StreamFrameDecoder,
  type FrameFields,
  type FrameName,
  type StreamFrame,
} from '../../../src/codec/stream/index.js';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../../src/index.js';

export const silent = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: () => undefined };

export interface StreamTestBroker {
  b: RunningBroker;
  port: number;
  dir: string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startStreamBroker(options: BrokerOptions = {}): Promise<StreamTestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-stream-'));
  const opts: BrokerOptions = {
    amqpPort: 0,
    streamPort: 0,
    bind: '127.0.0.1',
    storage: 'file',
    dataDir: dir,
    logLevel: 'error',
    ...options,
  };
  const t: StreamTestBroker = {
    b: await startBroker(opts),
    port: 0,
    dir,
    async restart() {
      await t.b.close();
      t.b = await startBroker({ ...opts, streamPort: t.port, amqpPort: t.b.amqpPort });
    },
    async close() {
      await t.b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  t.port = t.b.streamPort!;
  return t;
}

export function connectClient(t: StreamTestBroker, extra: Partial<rs.ClientParams> = {}): Promise<rs.Client> {
  return rs.connect(
    {
      hostname: '127.0.0.1',
      port: t.port,
      username: 'guest',
      password: 'guest',
      vhost: '/',
      heartbeat: 0,
      ...extra,
    } as rs.ClientParams,
    silent as never,
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A raw Stream protocol client: frames from the codec, every frame received kept in order. */
export class RawClient {
  readonly frames: StreamFrame[] = [];
  private readonly w = new Writer(4096);
  private readonly decoder: StreamFrameDecoder;
  private corr = 1;
  closed = false;

  private constructor(readonly socket: Socket) {
    this.decoder = new StreamFrameDecoder({
      onFrame: (b, s, e) => this.frames.push(decodeFrame(Buffer.from(b.subarray(s, e)))),
    });
    socket.on('data', (c) => this.decoder.push(c));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((res, rej) => {
      const s = netConnect(port, '127.0.0.1', () => res(new RawClient(s)));
      s.once('error', rej);
    });
  }

  send<N extends FrameName>(name: N, fields: FrameFields<N>): void {
    encodeFrame(this.w, name, fields);
    this.socket.write(this.w.take()!);
  }

  sendBytes(b: Buffer): void {
    this.socket.write(b);
  }

  nextCorrelation(): number {
    return this.corr++;
  }

  async waitFor<N extends StreamFrame['name']>(
    name: N,
    pred: (f: Extract<StreamFrame, { name: N }>) => boolean = () => true,
    ms = 5000,
  ): Promise<Extract<StreamFrame, { name: N }>> {
    let found: Extract<StreamFrame, { name: N }> | undefined;
    await until(
      () => {
        found = this.frames.find((f) => f.name === name && pred(f as Extract<StreamFrame, { name: N }>)) as
          Extract<StreamFrame, { name: N }> | undefined;
        return found !== undefined;
      },
      ms,
      name,
    );
    return found!;
  }

  /** A request and its response (by correlation id). */
  async request<N extends FrameName, R extends StreamFrame['name']>(
    name: N,
    fields: Omit<FrameFields<N>, 'correlationId'>,
    response: R,
  ): Promise<Extract<StreamFrame, { name: R }>> {
    const correlationId = this.nextCorrelation();
    this.send(name, { ...fields, correlationId } as unknown as FrameFields<N>);
    return this.waitFor(response, (f) => (f as { correlationId?: number }).correlationId === correlationId);
  }

  /** PeerProperties, SASL PLAIN, Tune, Open: the handshake as a client does it. */
  async open(user = 'guest', pass = 'guest', vhost = '/'): Promise<void> {
    await this.request('PeerPropertiesRequest', { properties: { product: 'raw' } }, 'PeerPropertiesResponse');
    await this.request('SaslHandshakeRequest', {}, 'SaslHandshakeResponse');
    const auth = await this.request(
      'SaslAuthenticateRequest',
      { mechanism: 'PLAIN', saslOpaqueData: Buffer.from(`\u0000${user}\u0000${pass}`) },
      'SaslAuthenticateResponse',
    );
    if (auth.responseCode !== 1) throw new Error(`authentication failed: ${auth.responseCode}`);
    const tune = await this.waitFor('TuneRequest');
    this.send('TuneResponse', { frameMax: tune.frameMax, heartbeat: 0 });
    const open = await this.request('OpenRequest', { virtualHost: vhost }, 'OpenResponse');
    if (open.responseCode !== 1) throw new Error(`open failed: ${open.responseCode}`);
  }

  close(): void {
    this.socket.destroy();
  }
}
