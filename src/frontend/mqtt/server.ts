// The MQTT front end: accepts TCP, TLS and WebSocket streams, keeps the client-id registry (a second
// connection with the same client id in a vhost takes the session over, MQTT 3.1.1 §3.1.4-2) and the retained
// message store and persistent sessions' QoS 2 state; the 1 s ticker (keep-alives), alarms and shutdown are the shared front-end server's
// (frontend/net/front-end-server.ts).
import type { Duplex } from 'node:stream';
import type { Broker } from '../../core/broker.js';
import type { ResolvedOptions } from '../../options.js';
import type { Logger } from '../../util/logger.js';
import { FrontEndServer, setNoDelay } from '../net/front-end-server.js';
import { MqttConnection } from './connection.js';
import type { MqttClient, MqttServerContext } from './context.js';
import type { Qos2Store } from './qos2-store.js';
import { RC5 } from './reason-codes.js';
import type { RetainedStore } from './retained.js';
import type { Queue } from '../../core/queue/queue.js';

export class MqttServer extends FrontEndServer<MqttConnection> implements MqttServerContext {
  private readonly byClientId = new Map<string, MqttClient>();
  /** MQTT 5 delayed wills by vhost + client id. */
  private readonly pendingWills = new Map<string, NodeJS.Timeout>();

  constructor(
    broker: Broker,
    options: ResolvedOptions,
    log: Logger,
    readonly retained: RetainedStore,
    readonly qos2: Qos2Store,
  ) {
    super(broker, options, log);
    broker.queueDeletedListeners.add(this.queueDeleted);
  }

  /** A session's (or a shared subscription's) queue went: its parked QoS 2 deliveries go too (qos2-store.ts). */
  private readonly queueDeleted = (q: Queue): void => {
    if (q.name.startsWith('mqtt-')) this.qos2.dropParked(q, (key) => this.byClientId.has(key));
  };

  handleStream(stream: Duplex, remoteAddress: string, transport: string): void {
    setNoDelay(stream);
    this.connections.add(new MqttConnection(this, stream, remoteAddress, transport));
  }

  sessionKey(vhost: string, clientId: string): string {
    return clientKey(vhost, clientId);
  }

  /** Close the connection holding `c`'s client id (in its vhost), then register `c` for it. */
  takeOver(c: MqttClient): void {
    const key = clientKey(c.vhost, c.clientId);
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
    const key = clientKey(vhost, clientId);
    const old = this.pendingWills.get(key);
    if (old !== undefined) clearTimeout(old);
    const t = setTimeout(() => {
      this.pendingWills.delete(key);
      publish();
    }, ms);
    t.unref();
    this.pendingWills.set(key, t);
  }

  override connectionClosed(c: MqttConnection): void {
    super.connectionClosed(c);
    const key = clientKey(c.vhost, c.clientId);
    if (this.byClientId.get(key) === c) this.byClientId.delete(key);
  }

  /** Shutdown: delayed wills still pending are dropped, connections closed, then the retained store. */
  override async close(): Promise<void> {
    this.broker.queueDeletedListeners.delete(this.queueDeleted);
    for (const t of this.pendingWills.values()) clearTimeout(t);
    this.pendingWills.clear();
    await super.close();
    await this.retained.close();
    await this.qos2.close();
  }
}

/** A client id is unique per vhost (RabbitMQ registers it with the vhost): the registries' key. */
function clientKey(vhost: string, clientId: string): string {
  return vhost + '\u0000' + clientId;
}
