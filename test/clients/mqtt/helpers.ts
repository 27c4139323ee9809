// MQTT test helpers: a Warren with MQTT (TCP and WebSocket) on ephemeral ports, and a message collector.
import { after, before } from 'node:test';
import mqtt from 'mqtt';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../../src/index.js';

/** The client options of a test connection: guest, and no reconnecting (a test sees a close as it is). */
export const MQTT_GUEST: mqtt.IClientOptions = { username: 'guest', password: 'guest', reconnectPeriod: 0 };

export async function startMqttBroker(o: BrokerOptions = {}): Promise<RunningBroker> {
  return startBroker({
    amqpPort: 0,
    mqttPort: 0,
    webMqttPort: 0,
    stompPort: 0,
    webStompPort: 0,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'warn',
    ...o,
  });
}

export interface MqttSuite {
  /** The file's broker, filled in by the `before` hook. */
  b: RunningBroker;
  /** Every client a test made: force-closed at the end, so a failing assertion cannot leave the file hanging. */
  clients: mqtt.MqttClient[];
  /** A client of `broker` (the file's by default) with the suite's options and then `o`, closed at the end. */
  connect(o?: mqtt.IClientOptions, broker?: RunningBroker): Promise<mqtt.MqttClient>;
}

/**
 * One MQTT broker for the tests of this file: started in a `before` hook, closed in `after` once the
 * clients are force-closed and `beforeClose` (the file's own clean-up) has run.
 */
export function useMqttBroker(options: mqtt.IClientOptions = MQTT_GUEST, beforeClose?: () => unknown): MqttSuite {
  const b = {} as RunningBroker;
  const clients: mqtt.MqttClient[] = [];
  before(async () => {
    Object.assign(b, await startMqttBroker());
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await beforeClose?.();
    await b.close();
  });
  return {
    b,
    clients,
    connect: async (o = {}, broker = b) => {
      const c = await mqtt.connectAsync(mqttUrl(broker), { ...options, ...o });
      clients.push(c);
      return c;
    },
  };
}

export interface Received {
  topic: string;
  payload: string;
  packet: mqtt.IPublishPacket;
}

/** Collects a client's messages; next() resolves with the next one (or rejects after a timeout). */
export class Inbox {
  readonly all: Received[] = [];
  private waiters: ((m: Received) => void)[] = [];
  constructor(client: mqtt.MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const m = { topic, payload: payload.toString(), packet };
      const w = this.waiters.shift();
      if (w) w(m);
      else this.all.push(m);
    });
  }
  next(timeoutMs = 3000): Promise<Received> {
    const m = this.all.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const w = (x: Received) => {
        clearTimeout(t);
        resolve(x);
      };
      // a waiter that timed out leaves, so the next message is not handed to it
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error('no MQTT message within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}

export function mqttUrl(b: RunningBroker): string {
  return `mqtt://127.0.0.1:${b.mqttPort}`;
}
