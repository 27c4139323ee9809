// What an MQTT connection needs of its server (MqttServer implements it), so that the connection and its
// handlers do not import the server that creates them.
import type { FrontEndHost } from '../net/front-end-server.js';
import type { Qos2Store } from './qos2-store.js';
import type { RetainedStore } from './retained.js';

/** A connection as the server's client-id registry sees it. */
export interface MqttClient {
  readonly vhost: string;
  readonly clientId: string;
  /** Close from the server (MQTT 5: DISCONNECT with `reason`); `publishWill` keeps the will. */
  disconnect(reason: number, publishWill: boolean): void;
}

export interface MqttServerContext extends FrontEndHost {
  readonly retained: RetainedStore;
  /** Persistent sessions' QoS 2 state. */
  readonly qos2: Qos2Store;
  /** A session's key in the client-id registry and the QoS 2 store (a client id is unique per vhost). */
  sessionKey(vhost: string, clientId: string): string;
  /** Close the connection holding `c`'s client id (in its vhost), then register `c` for it. */
  takeOver(c: MqttClient): void;
  /** Publish a will after `ms` unless the client id connects again first. */
  delayWill(vhost: string, clientId: string, ms: number, publish: () => void): void;
}
