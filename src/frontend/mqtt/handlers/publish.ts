// PUBLISH (§3.3) from the client: topic aliases (MQTT 5), topic name validation, QoS 2 (not granted:
// MQTT 5 refuses it, 3.1.1 is downgraded to QoS 1 as RabbitMQ 3.10 does), routing, PUBACK for QoS 1.
import type mqttPacket from 'mqtt-packet';
import { publishProps } from '../properties.js';
import { ProtocolError, RC5 } from '../reason-codes.js';
import type { MqttSession } from '../session.js';
import { validTopicName } from '../topics.js';

export function handlePublish(s: MqttSession, p: mqttPacket.IPublishPacket): void {
  let topic = p.topic;
  let qos: number = p.qos;
  const props = p.properties;
  if (s.version === 5 && props?.topicAlias !== undefined) {
    const a = props.topicAlias;
    if (a === 0 || a > s.server.options.mqttTopicAliasMaximum)
      throw new ProtocolError(RC5.TOPIC_ALIAS_INVALID, `topic alias ${a}`);
    if (topic === '') {
      const t = s.aliases.get(a);
      if (t === undefined) throw new ProtocolError(RC5.PROTOCOL_ERROR, `unknown topic alias ${a}`);
      topic = t;
    } else s.aliases.set(a, topic);
  }
  if (!validTopicName(topic)) throw new ProtocolError(RC5.TOPIC_NAME_INVALID, `invalid topic name '${topic}'`);
  if (qos === 2) {
    // CONNACK told MQTT 5 clients Maximum QoS 1 (§3.3.4: a higher QoS is a protocol error, 0x9B).
    // RabbitMQ 3.10 downgrades an MQTT 3.1.1 QoS 2 publish to QoS 1 and answers with PUBACK.
    if (s.version === 5) throw new ProtocolError(RC5.QOS_NOT_SUPPORTED, 'QoS 2 publish');
    qos = 1;
  }
  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : Buffer.from(p.payload);
  const v5 = s.version === 5 ? publishProps(props) : null;
  s.blockIfAlarmed();
  const routed = s.publish(topic, qos, p.dup, payload, v5, p.retain);
  if (qos === 1) {
    s.send(
      s.version === 5 && routed === 0
        ? { cmd: 'puback', messageId: p.messageId!, reasonCode: RC5.NO_MATCHING_SUBSCRIBERS }
        : { cmd: 'puback', messageId: p.messageId! },
    );
  }
}
