// DISCONNECT (§3.14) from the client: the will is discarded (MQTT 5: unless reason 0x04, Disconnect with
// Will Message), an MQTT 5 client may change its session expiry interval (the subscription queues' x-expires
// with it, as RabbitMQ 3.13), and the connection closes.
import type mqttPacket from 'mqtt-packet';
import { MAX_SESSION_EXPIRY } from '../limits.js';
import { RC5 } from '../reason-codes.js';
import type { MqttSession } from '../session.js';
import { applySessionExpiry } from '../session-expiry.js';

export function handleDisconnect(s: MqttSession, p: mqttPacket.IDisconnectPacket): void {
  // §3.14.4: a DISCONNECT discards the will (MQTT 5: unless reason 0x04)
  if (p.reasonCode !== RC5.DISCONNECT_WITH_WILL) s.will = null;
  const sei = s.version === 5 ? p.properties?.sessionExpiryInterval : undefined;
  if (sei !== undefined && sei !== s.sessionExpiry) {
    // [MQTT-3.14.2-2]: non-zero after 0 in CONNECT is a protocol error; RabbitMQ logs it and keeps 0 (the
    // client has closed already, so no DISCONNECT 0x82 goes back)
    if (s.sessionExpiry === 0) {
      s.server.log.warn({ client: s.clientId, sei }, 'MQTT DISCONNECT sets a session expiry after 0 in CONNECT');
    } else {
      s.sessionExpiry = Math.min(sei, MAX_SESSION_EXPIRY);
      // the subscription queues expire after the new interval (0: the session ends now, connection.ts)
      if (s.sessionExpiry > 0) applySessionExpiry(s);
    }
  }
  s.end();
}
