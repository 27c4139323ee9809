// The last will (§3.1.2.5): published when a connection ends without a DISCONNECT that discards it; MQTT 5
// §3.1.3.2.2: after min(Will Delay Interval, session expiry), cancelled by a reconnect of the client id
// within it (the server's delayed wills).
import { publishProps } from './properties.js';
import type { MqttSession } from './session.js';

export function publishWill(s: MqttSession): void {
  const w = s.will;
  if (!w || s.v === null) return;
  s.will = null;
  const publish = (): void => {
    try {
      const payload = typeof w.payload === 'string' ? Buffer.from(w.payload) : Buffer.from(w.payload);
      const v5 = s.version === 5 ? publishProps(w.properties) : null;
      // a QoS 2 will keeps its QoS unless QoS 2 is downgraded (--mqtt-qos2 downgrade, RabbitMQ)
      const qos = Math.min(w.qos ?? 0, s.exactlyOnce ? 2 : 1);
      s.publish(w.topic, qos, false, payload, v5, w.retain ?? false);
    } catch (e) {
      s.server.log.warn({ err: e, client: s.clientId }, 'could not publish the last will');
    }
  };
  const delay = s.version === 5 ? Math.min(w.properties?.willDelayInterval ?? 0, s.sessionExpiry) : 0;
  if (delay > 0) s.server.delayWill(s.vhost, s.clientId, delay * 1000, publish);
  else publish();
}
