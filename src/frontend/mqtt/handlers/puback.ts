// PUBACK (§3.4) for a QoS 1 PUBLISH Warren sent: the message is settled in its queue and the consumer's
// in-flight window opens again.
import type mqttPacket from 'mqtt-packet';
import type { MqttSession } from '../session.js';

export function handlePuback(s: MqttSession, p: mqttPacket.IPubackPacket): void {
  const f = s.inFlight.get(p.messageId ?? 0);
  // RabbitMQ ignores a PUBACK for an unknown packet id (and one for a QoS 2 delivery, which PUBREC settles)
  if (f === undefined || f.qos !== 1) return;
  s.inFlight.delete(p.messageId ?? 0);
  // MQTT 5 [MQTT-4.4.0-2]: a PUBACK with a reason code of 0x80 or more still acknowledges the message,
  // which is not sent again; RabbitMQ settles it as `discard` (dead-lettered if the queue has a DLX)
  if (f.queue !== null && f.entry !== null) {
    if ((p.reasonCode ?? 0) >= 0x80) f.queue.discard(f.entry);
    else {
      f.queue.ack(f.entry);
      s.channelStats.ack++;
    }
  }
  if (f.consumer !== null) s.reopenWindow(f.consumer);
}
