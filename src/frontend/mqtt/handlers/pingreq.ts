// PINGREQ (§3.12): answered with PINGRESP; that it arrived at all is what keeps the connection alive
// (StreamConnection's read clock, checked by MqttConnection.tick).
import type { MqttSession } from '../session.js';

export function handlePingreq(s: MqttSession): void {
  s.send({ cmd: 'pingresp' });
}
