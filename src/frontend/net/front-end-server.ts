// What every protocol front end's server does the same way (AMQP, MQTT, STOMP): it holds its live
// connections, ticks them once a second (heartbeats / keep-alives, consumer timeouts: one timer per front
// end, never one per connection), passes resource alarms on (core/alarms.ts), and on shutdown closes every
// connection and waits up to 2 s for their sockets to go. Each front end's server extends it with what is
// its own (AMQP direct reply-to, the MQTT client-id registry and retained store).
import type { Duplex } from 'node:stream';
import type { AlarmListener } from '../../core/alarms.js';
import type { Broker } from '../../core/broker.js';
import type { ResolvedOptions } from '../../options.js';
import type { Logger } from '../../util/logger.js';
import { clearTimer, roughNow, setRepeating, type Timer } from '../../util/clock.js';

/** What the server needs of one of its connections. */
export interface FrontEndConnection {
  readonly socket: Duplex;
  /** Once a second, with the rough clock's now (ms). */
  tick(now: number): void;
  /** A resource alarm was raised (true) or every alarm has cleared (false). */
  alarm(blocked: boolean): void;
  /** Close from the server side (shutdown, management, vhost or user deleted). */
  forceClose(reason: string): void;
}

/** What a connection needs of its server (FrontEndServer is one), so that it does not import the server. */
export interface FrontEndHost {
  readonly broker: Broker;
  readonly options: ResolvedOptions;
  readonly log: Logger;
  /** The connection's socket has closed: the server forgets it. */
  connectionClosed(c: FrontEndConnection): void;
}

/** RabbitMQ's reason on shutdown (AMQP connection.close 320 text, STOMP ERROR message). */
const SHUTDOWN_REASON = `broker forced connection closure with reason 'shutdown'`;

/** How long shutdown waits for connections to close before it destroys their sockets. */
const SHUTDOWN_WAIT_MS = 2000;

export abstract class FrontEndServer<C extends FrontEndConnection> implements AlarmListener, FrontEndHost {
  readonly connections = new Set<C>();
  private readonly ticker: Timer;

  constructor(
    readonly broker: Broker,
    readonly options: ResolvedOptions,
    readonly log: Logger,
  ) {
    // on the broker's clock (util/clock.ts): a virtual clock's advance() times out heartbeats too
    this.ticker = setRepeating(() => {
      const now = roughNow();
      for (const c of this.connections) c.tick(now);
    }, 1000);
    broker.alarms.subscribe(this);
  }

  /** Resource alarms pause publishing connections (each connection's `alarm`). */
  alarmsChanged(blocked: boolean): void {
    for (const c of this.connections) c.alarm(blocked);
  }

  /** A connection's socket has closed: it is no longer ticked, alarmed or closed at shutdown. */
  connectionClosed(c: C): void {
    this.connections.delete(c);
  }

  /** Shutdown: every connection is closed (`closeForShutdown`), then whatever socket is left is destroyed. */
  async close(): Promise<void> {
    clearTimer(this.ticker);
    this.broker.alarms.unsubscribe(this);
    const pending: Promise<void>[] = [];
    for (const c of this.connections) {
      pending.push(
        new Promise<void>((resolve) => {
          if (c.socket.destroyed) return resolve();
          c.socket.once('close', () => resolve());
          this.closeForShutdown(c);
        }),
      );
    }
    const timeout = new Promise<void>((r) => setTimeout(r, SHUTDOWN_WAIT_MS).unref());
    await Promise.race([Promise.all(pending), timeout]);
    for (const c of this.connections) c.socket.destroy();
  }

  /** Close one connection for shutdown; its socket's 'close' ends the wait. */
  protected closeForShutdown(c: C): void {
    c.forceClose(SHUTDOWN_REASON);
  }
}

/** Nagle off on a stream that is a socket (TCP, TLS); a WebSocket stream has no such switch. */
export function setNoDelay(stream: Duplex): void {
  if ('setNoDelay' in stream && typeof stream.setNoDelay === 'function') (stream.setNoDelay as () => void)();
}
