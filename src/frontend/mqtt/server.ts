// The MQTT front end: accepts TCP, TLS and WebSocket streams, keeps the client-id registry (a second
// connection with the same client id in a vhost takes the session over, MQTT 3.1.1 §3.1.4-2), the retained
// message store, and the 1 s ticker for keep-alives.
import type { Duplex } from 'node:stream';
import type { AlarmListener } from '../../core/alarms.js';
import type { Broker } from '../../core/broker.js';
import type { ResolvedOptions } from '../../options.js';
import type { Logger } from '../../util/logger.js';
import { roughNow } from '../../util/rough-clock.js';
import { MqttConnection, RC5 } from './connection.js';
import type { RetainedStore } from './retained.js';

export class MqttServer implements AlarmListener {
  readonly connections = new Set<MqttConnection>();
  private readonly byClientId = new Map<string, MqttConnection>();
  private readonly ticker: NodeJS.Timeout;
  /** MQTT 5 delayed wills by vhost + client id. */
  private readonly pendingWills = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly broker: Broker,
    readonly options: ResolvedOptions,
    readonly log: Logger,
    readonly retained: RetainedStore,
  ) {
    this.ticker = setInterval(() => {
      const now = roughNow();
      for (const c of this.connections) c.tick(now);
    }, 1000);
    this.ticker.unref();
    broker.alarms.subscribe(this);
  }

  /** Resource alarms pause publishing connections (MqttConnection.alarm). */
  alarmsChanged(blocked: boolean): void {
    for (const c of this.connections) c.alarm(blocked);
  }

  handleStream(stream: Duplex, remoteAddress: string, transport: string): void {
    if ('setNoDelay' in stream && typeof stream.setNoDelay === 'function') (stream.setNoDelay as () => void)();
    this.connections.add(new MqttConnection(this, stream, remoteAddress, transport));
  }

  /** Close the connection holding `c`'s client id (in its vhost), then register `c` for it. */
  takeOver(c: MqttConnection): void {
    const key = c.vhost + '\u0000' + c.clientId;
    const old = this.byClientId.get(key);
    if (old !== undefined && old !== c) {
      this.log.info({ client: c.clientId, vhost: c.vhost }, 'MQTT client id taken over by a new connection');
      old.disconnect(RC5.SESSION_TAKEN_OVER, true);
    }
    // a delayed will is cancelled by the new connection (RabbitMQ clear_will_msg at every CONNECT), also
    // the one the connection just taken over has scheduled as it closed
    const will = this.pendingWills.get(key);
    if (will !== undefined) {
      clearTimeout(will);
      this.pendingWills.delete(key);
    }
    this.byClientId.set(key, c);
  }

  /** Publish a will after `ms` unless the client id connects again first. */
  delayWill(vhost: string, clientId: string, ms: number, publish: () => void): void {
    const key = vhost + '\u0000' + clientId;
    const old = this.pendingWills.get(key);
    if (old !== undefined) clearTimeout(old);
    const t = setTimeout(() => {
      this.pendingWills.delete(key);
      publish();
    }, ms);
    t.unref();
    this.pendingWills.set(key, t);
  }

  connectionClosed(c: MqttConnection): void {
    this.connections.delete(c);
    const key = c.vhost + '\u0000' + c.clientId;
    if (this.byClientId.get(key) === c) this.byClientId.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    this.broker.alarms.unsubscribe(this);
    for (const t of this.pendingWills.values()) clearTimeout(t);
    this.pendingWills.clear();
    const pending: Promise<void>[] = [];
    for (const c of this.connections) {
      pending.push(
        new Promise<void>((resolve) => {
          if (c.socket.destroyed) return resolve();
          c.socket.once('close', () => resolve());
          c.forceClose('shutdown');
        }),
      );
    }
    const timeout = new Promise<void>((r) => setTimeout(r, 2000).unref());
    await Promise.race([Promise.all(pending), timeout]);
    for (const c of this.connections) c.socket.destroy();
    await this.retained.close();
  }
}
