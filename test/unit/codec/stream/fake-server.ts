// A minimal Stream protocol server for codec tests, built only from the codec: it answers a real client's
// handshake (peer properties, SASL PLAIN, tune, open, exchange command versions), metadata, subscribe, declare
// publisher and publish (confirming each), and lets the test send Deliver frames. Every client frame goes
// through StreamFrameDecoder and decodeFrame, so the client's own encoding is checked too.
import net from 'node:net';
import { Writer } from '../../../../src/codec/buffer/writer.js';
import {
  COMMAND_VERSIONS,
  Command,
  PublishReader,
  StreamFrameDecoder,
  decodeFrame,
  encodeFrame,
  writeDeliver,
  writePublishConfirm,
  type StreamFrame,
} from '../../../../src/codec/stream/index.js';

export interface Published {
  publisherId: number;
  publishingId: number;
  filterValue: string | undefined;
  message: Buffer;
}

export class FakeStreamServer {
  readonly server: net.Server;
  port = 0;
  /** Every decoded client frame, in order (Publish frames excepted: see published). */
  readonly frames: StreamFrame[] = [];
  readonly published: Published[] = [];
  /** Called when a client subscribes: the socket and subscription id to deliver to. */
  onSubscribe: (send: (parts: readonly [Buffer, Buffer], committed?: number) => void, subscriptionId: number) => void =
    () => undefined;

  constructor() {
    this.server = net.createServer((s) => this.serve(s));
  }

  async start(): Promise<void> {
    await new Promise<void>((res) => this.server.listen(0, '127.0.0.1', res));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    (this.server as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((res) => this.server.close(() => res()));
  }

  private serve(sock: net.Socket): void {
    const w = new Writer(4096);
    const flush = (): void => {
      const out = w.takeParts();
      if (out === null) return;
      for (const b of Array.isArray(out) ? out : [out]) sock.write(b);
    };
    const decoder = new StreamFrameDecoder({
      onFrame: (buf, start, end) => {
        if (buf.readUInt16BE(start) === Command.Publish) {
          const r = new PublishReader(buf, start, end);
          const ids: number[] = [];
          while (r.next()) {
            ids.push(r.publishingId);
            this.published.push({
              publisherId: r.publisherId,
              publishingId: r.publishingId,
              filterValue: r.filterValue?.toString(),
              message: Buffer.from(buf.subarray(r.messageStart, r.messageEnd)),
            });
          }
          writePublishConfirm(w, r.publisherId, ids);
          return;
        }
        const f = decodeFrame(buf, start, end);
        this.frames.push(f);
        this.answer(f, w, sock, flush);
      },
    });
    sock.on('data', (chunk) => {
      decoder.push(chunk);
      flush();
    });
    sock.on('error', () => undefined);
  }

  private answer(f: StreamFrame, w: Writer, sock: net.Socket, flush: () => void): void {
    const ok = { responseCode: 1 };
    switch (f.name) {
      case 'PeerPropertiesRequest':
        encodeFrame(w, 'PeerPropertiesResponse', {
          correlationId: f.correlationId,
          ...ok,
          properties: { product: 'RabbitMQ', version: '3.13.7', cluster_name: 'fake' },
        });
        return;
      case 'SaslHandshakeRequest':
        encodeFrame(w, 'SaslHandshakeResponse', { correlationId: f.correlationId, ...ok, mechanisms: ['PLAIN'] });
        return;
      case 'SaslAuthenticateRequest':
        encodeFrame(w, 'SaslAuthenticateResponse', {
          correlationId: f.correlationId,
          ...ok,
          saslOpaqueData: undefined,
        });
        encodeFrame(w, 'TuneRequest', { frameMax: 1048576, heartbeat: 0 });
        return;
      case 'OpenRequest':
        encodeFrame(w, 'OpenResponse', {
          correlationId: f.correlationId,
          ...ok,
          connectionProperties: { advertised_host: '127.0.0.1', advertised_port: String(this.port) },
        });
        return;
      case 'ExchangeCommandVersionsRequest':
        encodeFrame(w, 'ExchangeCommandVersionsResponse', {
          correlationId: f.correlationId,
          ...ok,
          commands: [...COMMAND_VERSIONS],
        });
        return;
      case 'MetadataRequest':
        encodeFrame(w, 'MetadataResponse', {
          correlationId: f.correlationId,
          brokers: [{ reference: 0, host: '127.0.0.1', port: this.port }],
          streamMetadata: f.streams.map((stream) => ({
            stream,
            responseCode: 1,
            leaderReference: 0,
            replicasReferences: [],
          })),
        });
        return;
      case 'DeclarePublisherRequest':
        encodeFrame(w, 'DeclarePublisherResponse', { correlationId: f.correlationId, ...ok });
        return;
      case 'QueryPublisherSequenceRequest':
        encodeFrame(w, 'QueryPublisherSequenceResponse', { correlationId: f.correlationId, ...ok, sequence: 0 });
        return;
      case 'DeletePublisherRequest':
        encodeFrame(w, 'DeletePublisherResponse', { correlationId: f.correlationId, ...ok });
        return;
      case 'SubscribeRequest': {
        encodeFrame(w, 'SubscribeResponse', { correlationId: f.correlationId, ...ok });
        flush();
        const id = f.subscriptionId;
        setImmediate(() =>
          this.onSubscribe((parts, committed) => {
            writeDeliver(w, id, parts, committed);
            flush();
          }, id),
        );
        return;
      }
      case 'UnsubscribeRequest':
        encodeFrame(w, 'UnsubscribeResponse', { correlationId: f.correlationId, ...ok });
        return;
      case 'CloseRequest':
        encodeFrame(w, 'CloseResponse', { correlationId: f.correlationId, ...ok });
        flush();
        sock.end();
        return;
      default:
        return;
    }
  }
}
