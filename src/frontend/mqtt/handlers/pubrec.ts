// PUBREC (§3.5) for a QoS 2 PUBLISH Warren sent: the client owns the message now, so it is settled in its
// queue (acked, as a PUBACK settles QoS 1), its packet id moves to the released set (kept with the session,
// qos2-store.ts) and PUBREL follows; the id stays in use until PUBCOMP. MQTT 5 [MQTT-4.3.3-4]: a PUBREC
// with a reason code of 0x80 or more ends the flow (no PUBREL; the message is discarded, as for PUBACK).
import type mqttPacket from 'mqtt-packet';
import { RC5 } from '../reason-codes.js';
import type { MqttSession } from '../session.js';

export function handlePubrec(s: MqttSession, p: mqttPacket.IPubrecPacket): void {
  const id = p.messageId ?? 0;
  const f = s.inFlight.get(id);
  if (f === undefined || f.qos !== 2) {
    // a PUBREC again after a reconnect (its PUBREL was lost): PUBREL again; an id never sent (or one
    // PUBACKed at QoS 1): MQTT 5 says "Packet Identifier not found" in the PUBREL (§3.6.2.1)
    if (s.qos2.released.has(id) || s.version !== 5) s.send({ cmd: 'pubrel', messageId: id });
    else s.send({ cmd: 'pubrel', messageId: id, reasonCode: RC5.PACKET_ID_NOT_FOUND });
    return;
  }
  s.inFlight.delete(id);
  const failed = (p.reasonCode ?? 0) >= 0x80;
  if (f.queue !== null && f.entry !== null) {
    if (failed) f.queue.discard(f.entry);
    else {
      f.queue.ack(f.entry);
      s.channelStats.ack++;
    }
  }
  const c = f.consumer;
  if (failed) {
    if (c !== null) s.reopenWindow(c);
    return;
  }
  s.qos2.released.add(id);
  s.qos2Changed();
  // Receive Maximum (§4.9): the id holds a place in the window until PUBCOMP
  if (c !== null) s.relConsumers.set(id, c);
  s.send({ cmd: 'pubrel', messageId: id });
}
