// PUBLISH (§3.3) from the client: topic aliases (MQTT 5), topic name validation, routing, PUBACK for QoS 1
// and PUBREC for QoS 2, each once what it acknowledges is on disk (ack-gate.ts). A publish a queue refused
// (x-overflow reject-publish) gets PUBACK 0x83 on MQTT 5 and no PUBACK on 3.1.1, as RabbitMQ answers it. QoS 2 (§4.3.3, method B):
// the message is routed once and its packet id kept until PUBREL; a PUBLISH with that id before then
// (the client re-sending after a lost PUBREC) is not routed again, only PUBRECed. With --mqtt-qos2
// downgrade (RabbitMQ's behaviour) QoS 2 is refused on MQTT 5 (CONNACK said Maximum QoS 1) and handled
// as QoS 1 on 3.1.1.
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
  const id = p.messageId ?? 0;
  if (qos === 2) {
    if (!s.exactlyOnce) {
      // CONNACK told MQTT 5 clients Maximum QoS 1 (§3.3.4: a higher QoS is a protocol error, 0x9B).
      // RabbitMQ downgrades an MQTT 3.1.1 QoS 2 publish to QoS 1 and answers with PUBACK.
      if (s.version === 5) throw new ProtocolError(RC5.QOS_NOT_SUPPORTED, 'QoS 2 publish');
      qos = 1;
    } else if (s.qos2.incoming.has(id)) {
      // [MQTT-4.3.3-9] method B: already routed, its PUBREL not yet here: PUBREC again, route nothing
      s.acks.send({ cmd: 'pubrec', messageId: id }, 0, 0);
      return;
    }
  }
  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : Buffer.from(p.payload);
  const v5 = s.version === 5 ? publishProps(props) : null;
  s.blockIfAlarmed();
  const store = s.server.broker.store;
  const before = store === null ? 0 : store.appended;
  const routed = s.publish(topic, qos, p.dup, payload, v5, p.retain);
  if (qos === 0) return;
  // a persistent message reached a durable queue: acknowledged after the store's fsync
  const ticket = store !== null && store.appended !== before ? store.appended : 0;
  const rc = s.version === 5 && routed === 0 ? RC5.NO_MATCHING_SUBSCRIBERS : -1;
  if (qos === 1) {
    // refused by a queue (reject-publish): MQTT 5 PUBACK 0x83, 3.1.1 none, as rabbit_mqtt_processor answers it
    if (routed < 0) {
      if (s.version === 5) s.acks.send({ cmd: 'puback', messageId: id, reasonCode: RC5.IMPLEMENTATION_SPECIFIC }, 0, 0);
      return;
    }
    s.acks.send(
      rc < 0 ? { cmd: 'puback', messageId: id } : { cmd: 'puback', messageId: id, reasonCode: rc },
      ticket,
      0,
    );
    return;
  }
  s.qos2.incoming.add(id);
  s.acks.send(
    rc < 0 ? { cmd: 'pubrec', messageId: id } : { cmd: 'pubrec', messageId: id, reasonCode: rc },
    ticket,
    s.qos2Changed(),
  );
}
