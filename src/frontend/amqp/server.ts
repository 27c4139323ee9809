// The AMQP front end: accepts sockets, creates connections, runs the 1 s ticker for heartbeats and
// consumer timeouts, and closes everything on shutdown.
import type { Socket } from 'node:net';
import type { Broker } from '../../core/broker.js';
import type { ResolvedOptions } from '../../options.js';
import type { Logger } from '../../util/logger.js';
import { roughNow } from '../../util/rough-clock.js';
import { AmqpConnection } from './connection.js';
import { ReplyToRegistry } from './direct-reply-to.js';
import type { AlarmListener } from '../../core/alarms.js';

export class AmqpServer implements AlarmListener {
  readonly connections = new Set<AmqpConnection>();
  readonly replyTo = new ReplyToRegistry();
  private readonly ticker: NodeJS.Timeout;

  constructor(
    readonly broker: Broker,
    readonly options: ResolvedOptions,
    readonly log: Logger,
  ) {
    this.ticker = setInterval(() => {
      const now = roughNow();
      for (const c of this.connections) c.tick(now);
    }, 1000);
    this.ticker.unref();
    broker.alarms.subscribe(this);
  }

  alarmsChanged(blocked: boolean): void {
    for (const c of this.connections) c.alarm(blocked);
  }

  handleSocket(socket: Socket): void {
    const c = new AmqpConnection(this, socket, this.log);
    this.connections.add(c);
  }

  connectionClosed(c: AmqpConnection): void {
    this.connections.delete(c);
  }

  /** Shutdown: every connection gets connection.close 320 CONNECTION_FORCED, then sockets close. */
  async close(): Promise<void> {
    clearInterval(this.ticker);
    this.broker.alarms.unsubscribe(this);
    const pending: Promise<void>[] = [];
    for (const c of this.connections) {
      pending.push(
        new Promise<void>((resolve) => {
          if (c.socket.destroyed) return resolve();
          c.socket.once('close', () => resolve());
          c.forceClose(`broker forced connection closure with reason 'shutdown'`);
          if (c.state === 'closed') c.socket.destroy();
        }),
      );
    }
    const timeout = new Promise<void>((r) => setTimeout(r, 2000).unref());
    await Promise.race([Promise.all(pending), timeout]);
    for (const c of this.connections) c.socket.destroy();
  }
}
