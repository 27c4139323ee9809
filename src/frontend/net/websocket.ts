// WebSocket listeners (RabbitMQ's Web-MQTT and Web-STOMP plugins: port 15675 / 15674, path /ws) built on
// the `ws` package. Each accepted WebSocket is handed to a front end as a byte stream (ws's
// createWebSocketStream), so the MQTT and STOMP connections run unchanged over TCP, TLS and WebSocket: MQTT
// over WebSocket is a byte stream by definition (MQTT 3.1.1 §6), and STOMP frames may span messages.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import type { TlsOptions } from '../../options.js';
import { closeAll, listenAll } from './listener.js';

export interface WsListening {
  port: number;
  close(): Promise<void>;
}

export interface WsOptions {
  port: number;
  hosts: string[];
  path: string;
  /** Subprotocols accepted, in preference order (e.g. ['mqtt'] or ['v12.stomp', …]); others get the first offered. */
  protocols: string[];
  /**
   * Send text frames instead of binary ones (RabbitMQ Web-STOMP's default `web_stomp.ws_frame = text`;
   * browser STOMP clients expect text). MQTT over WebSocket is binary by definition.
   */
  textFrames?: boolean;
  tls?: TlsOptions | null;
  onStream(stream: Duplex, remoteAddress: string, protocol: string): void;
}

export async function listenWebSocket(o: WsOptions): Promise<WsListening> {
  const wss = new WebSocketServer({
    noServer: true,
    // text frames for STOMP, binary for MQTT: both arrive as Buffers on the stream
    perMessageDeflate: false,
    handleProtocols: (offered: Set<string>) => {
      for (const p of o.protocols) if (offered.has(p)) return p;
      return offered.size > 0 ? [...offered][0]! : false;
    },
  });
  const sockets = new Set<WebSocket>();
  wss.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const stream = createWebSocketStream(ws);
    if (o.textFrames) {
      stream._write = (chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void) =>
        ws.send(chunk, { binary: false }, cb);
    }
    stream.on('error', () => {});
    o.onStream(stream, req.socket.remoteAddress ?? '', ws.protocol);
  });
  const make = (): http.Server | https.Server => {
    const handler = (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found: this port serves WebSocket connections on ' + o.path + '\n');
    };
    const s = o.tls
      ? https.createServer({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca }, handler)
      : http.createServer(handler);
    s.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== o.path) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    s.on('error', () => {});
    return s;
  };
  const { port: bound, servers } = await listenAll(o.port, o.hosts, make);
  return {
    port: bound,
    close: async () => {
      const closed = closeAll(servers);
      for (const ws of sockets) ws.terminate();
      wss.close();
      for (const s of servers) s.closeAllConnections();
      await closed;
    },
  };
}
