// The STOMP front end: accepts TCP, TLS and WebSocket streams and closes every connection on shutdown.
import type { Duplex } from 'node:stream';
import type { AlarmListener } from '../../core/alarms.js';
import type { Broker } from '../../core/broker.js';
import type { ResolvedOptions } from '../../options.js';
import type { Logger } from '../../util/logger.js';
import { roughNow } from '../../util/rough-clock.js';
import { StompConnection } from './connection.js';

export class StompServer implements AlarmListener {
  readonly connections = new Set<StompConnection>();
  private readonly ticker: NodeJS.Timeout;

  constructor(
    readonly broker: Broker,
    readonly options: ResolvedOptions,
    readonly log: Logger,
  ) {
    // consumer timeouts, as the AMQP front end's 1 s ticker
    this.ticker = setInterval(() => {
      const now = roughNow();
      for (const c of this.connections) c.tick(now);
    }, 1000);
    this.ticker.unref();
    broker.alarms.subscribe(this);
  }

  /** Resource alarms pause publishing connections (StompConnection.alarm). */
  alarmsChanged(blocked: boolean): void {
    for (const c of this.connections) c.alarm(blocked);
  }

  handleStream(stream: Duplex, remoteAddress: string, transport: string): void {
    if ('setNoDelay' in stream && typeof stream.setNoDelay === 'function') (stream.setNoDelay as () => void)();
    this.connections.add(new StompConnection(this, stream, remoteAddress, transport));
  }

  connectionClosed(c: StompConnection): void {
    this.connections.delete(c);
  }

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
        }),
      );
    }
    const timeout = new Promise<void>((r) => setTimeout(r, 2000).unref());
    await Promise.race([Promise.all(pending), timeout]);
    for (const c of this.connections) c.socket.destroy();
  }
}
