// UNSUBSCRIBE (§3.10): each filter's binding goes; MQTT 5's UNSUBACK says which existed.
import type mqttPacket from 'mqtt-packet';
import { RC5 } from '../reason-codes.js';
import type { MqttSession } from '../session.js';

export function handleUnsubscribe(s: MqttSession, p: mqttPacket.IUnsubscribePacket): void {
  const codes: number[] = [];
  for (const filter of p.unsubscriptions) {
    const old = s.subs.delete(filter);
    if (old !== undefined) {
      if (old.shared !== null) s.leaveSharedSubscription(old);
      else s.unbind(old, null);
    }
    codes.push(old !== undefined ? RC5.SUCCESS : RC5.NO_SUBSCRIPTION_EXISTED);
  }
  s.send(
    s.version === 5
      ? { cmd: 'unsuback', messageId: p.messageId!, granted: codes }
      : { cmd: 'unsuback', messageId: p.messageId!, granted: [] },
  );
}
