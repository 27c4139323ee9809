// PUBCOMP (§3.7) ends a QoS 2 delivery: its packet id is free again and its place in the consumer's window
// opens. A PUBCOMP for an id not awaiting one is ignored (nothing to complete; as a stray PUBACK).
import type mqttPacket from 'mqtt-packet';
import type { MqttSession } from '../session.js';

export function handlePubcomp(s: MqttSession, p: mqttPacket.IPubcompPacket): void {
  const id = p.messageId ?? 0;
  if (!s.qos2.released.delete(id)) return;
  s.qos2Changed();
  const c = s.relConsumers.get(id);
  if (c !== undefined) {
    s.relConsumers.delete(id);
    s.reopenWindow(c);
  }
}
