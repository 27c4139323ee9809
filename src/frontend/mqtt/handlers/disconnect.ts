// DISCONNECT (§3.14) from the client: the will is discarded (MQTT 5: unless reason 0x04, Disconnect with
// Will Message), an MQTT 5 client may change its session expiry interval, and the connection closes.
import type mqttPacket from 'mqtt-packet';
import { MAX_SESSION_EXPIRY } from '../limits.js';
import { RC5 } from '../reason-codes.js';
import type { MqttSession } from '../session.js';

export function handleDisconnect(s: MqttSession, p: mqttPacket.IDisconnectPacket): void {
  // §3.14.4: a DISCONNECT discards the will (MQTT 5: unless reason 0x04)
  if (p.reasonCode !== RC5.DISCONNECT_WITH_WILL) s.will = null;
  if (s.version === 5 && p.properties?.sessionExpiryInterval !== undefined) {
    s.sessionExpiry = Math.min(p.properties.sessionExpiryInterval, MAX_SESSION_EXPIRY);
  }
  s.end();
}
