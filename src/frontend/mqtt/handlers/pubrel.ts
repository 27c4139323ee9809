// PUBREL (§3.6) for a QoS 2 PUBLISH the client sent: the packet id is released (a PUBLISH with it is a new
// message from now on, §4.3.3 method B) and PUBCOMP answers. An id Warren does not hold gets PUBCOMP too
// ([MQTT-4.3.3-11]: the client may be re-sending a PUBREL whose PUBCOMP was lost), with MQTT 5's 0x92
// "Packet Identifier not found".
import type mqttPacket from 'mqtt-packet';
import { RC5 } from '../reason-codes.js';
import type { MqttSession } from '../session.js';

export function handlePubrel(s: MqttSession, p: mqttPacket.IPubrelPacket): void {
  const id = p.messageId ?? 0;
  if (s.qos2.incoming.delete(id)) {
    // PUBCOMP once the id's release is on disk: after it the client may use the id for a new message,
    // which a restarted broker still holding the id would take for a duplicate and drop
    s.acks.send({ cmd: 'pubcomp', messageId: id }, 0, s.qos2Changed());
  } else if (s.version === 5) s.send({ cmd: 'pubcomp', messageId: id, reasonCode: RC5.PACKET_ID_NOT_FOUND });
  else s.send({ cmd: 'pubcomp', messageId: id });
}
