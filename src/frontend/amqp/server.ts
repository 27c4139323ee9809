// The AMQP front end: accepts sockets and creates connections; the 1 s ticker (heartbeats, consumer
// timeouts), alarms and shutdown are the shared front-end server's (frontend/net/front-end-server.ts).
import type { Socket } from 'node:net';
import { FrontEndServer } from '../net/front-end-server.js';
import { AmqpConnection } from './connection.js';
import { ReplyToRegistry } from './direct-reply-to.js';

export class AmqpServer extends FrontEndServer<AmqpConnection> {
  readonly replyTo = new ReplyToRegistry();

  handleSocket(socket: Socket): void {
    const c = new AmqpConnection(this, socket, this.log);
    this.connections.add(c);
  }

  /** Shutdown: every connection gets connection.close 320 CONNECTION_FORCED, then sockets close. */
  protected override closeForShutdown(c: AmqpConnection): void {
    super.closeForShutdown(c);
    // one still in its protocol header is closed (destroyed) at once: nothing to send connection.close on
    if (c.state === 'closed') c.socket.destroy();
  }
}
