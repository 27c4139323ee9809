// An AMQP connection's once-a-second tick (the front-end server's ticker): heartbeats both ways (amqp0-9-1
// §4.2.7) and consumer timeouts.
import type { Socket } from 'node:net';
import { writeHeartbeat } from '../../codec/amqp/content.js';
import type { Writer } from '../../codec/buffer/writer.js';
import { clearTimer, roughNow, setRepeating, type Timer } from '../../util/clock.js';
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

/** The front-end server's ticker period (front-end-server.ts). */
const TICK_MS = 1000;
const LOOK_SLACK_MS = 50;

/** What a heartbeat needs of its connection. */
type Beating = Pick<TickedConnection, 'state' | 'heartbeat' | 'output' | 'out'>;

function beat(c: Beating): void {
  writeHeartbeat(c.out);
  c.output.flush();
}

/**
 * A heartbeat interval under 2 s, which the once-a-second ticker cannot serve: RabbitMQ (rabbit_heartbeat)
 * looks every half interval from tune-ok on and sends when nothing went out since its last look, so an idle
 * connection hears from it every interval / 2. Clients rely on that: @cloudamqp/amqp-client times its socket
 * out after `heartbeat` s without traffic (it only echoes the server's heartbeats), and with one beat a second
 * its own suite's "can handle heartbeats" lost the connection now and then. So such a connection gets a timer
 * of its own doing RabbitMQ's looks; it stops when the connection closes. Called at open-ok (handshake.ts).
 */
export function startShortHeartbeat(c: Beating): void {
  const every = (c.heartbeat * 1000) / 2;
  if (every === 0 || every >= TICK_MS) return;
  const t: Timer = setRepeating(() => {
    if (c.state === 'closing' || c.state === 'closed') return clearTimer(t);
    // "nothing went out since the last look", on the rough clock: less a slack for its 10 ms steps and the
    // timer's jitter, so that the first look after open-ok (written just after tune-ok) is not skipped
    if (c.state === 'opened' && roughNow() - c.output.lastWrite >= every - LOOK_SLACK_MS) beat(c);
  }, every);
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
    // intervals under 2 s have their own timer (startShortHeartbeat)
    if (hb / 2 >= TICK_MS && now - c.output.lastWrite >= hb / 2) beat(c);
  }
  if (c.channels.closeTimedOut(now, c.server.options.consumerTimeout)) c.output.flush();
}
