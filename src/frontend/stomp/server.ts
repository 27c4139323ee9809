// The STOMP front end: accepts TCP, TLS and WebSocket streams; the 1 s ticker (consumer timeouts, as the
// AMQP front end's), alarms and shutdown are the shared front-end server's (frontend/net/front-end-server.ts).
import type { Duplex } from 'node:stream';
import { FrontEndServer, setNoDelay } from '../net/front-end-server.js';
import { StompConnection } from './connection.js';

export class StompServer extends FrontEndServer<StompConnection> {
  handleStream(stream: Duplex, remoteAddress: string, transport: string): void {
    setNoDelay(stream);
    this.connections.add(new StompConnection(this, stream, remoteAddress, transport));
  }
}
