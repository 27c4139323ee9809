// MQTT test helpers: a Warren with MQTT (TCP and WebSocket) on ephemeral ports, and a message collector.
import mqtt from 'mqtt';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../../src/index.js';

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
