// An AMQP connection's once-a-second tick (the front-end server's ticker): heartbeats both ways (amqp0-9-1
// §4.2.7) and consumer timeouts.
import type { Socket } from 'node:net';
import { writeHeartbeat } from '../../codec/amqp/content.js';
import type { Writer } from '../../codec/buffer/writer.js';
import type { Logger } from '../../util/logger.js';
import type { ConnectionState } from './context.js';
import type { FrameOutput } from './output.js';

/** What the tick needs of its connection (connection.ts). */
export interface TickedConnection {
  state: ConnectionState;
  readonly heartbeat: number;
  readonly gate: { readonly lastRead: number; readonly flowing: boolean };
  readonly output: FrameOutput;
  readonly out: Writer;
  readonly log: Logger;
  readonly name: string;
  readonly socket: Socket;
  readonly channels: { closeTimedOut(now: number, brokerTimeout: number): boolean };
  readonly server: { readonly options: { readonly consumerTimeout: number } };
  teardown(): void;
}

export function tickConnection(c: TickedConnection, now: number): void {
  if (c.state !== 'opened') return;
  if (c.heartbeat > 0) {
    const hb = c.heartbeat * 1000;
    // amqp0-9-1 §4.2.7: a peer silent for more than two intervals is dead
    // (a connection paused by flow control is not read, so its silence proves nothing)
    if (now - c.gate.lastRead > hb * 2 && c.gate.flowing) {
      c.log.warn({ conn: c.name }, `missed heartbeats from client, timeout: ${c.heartbeat}s`);
      c.teardown();
      c.state = 'closed';
      c.socket.destroy();
      return;
    }
    if (now - c.output.lastWrite >= hb / 2) {
      writeHeartbeat(c.out);
      c.output.flush();
    }
  }
  if (c.channels.closeTimedOut(now, c.server.options.consumerTimeout)) c.output.flush();
}
