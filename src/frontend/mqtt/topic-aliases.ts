// Server → client topic aliases (MQTT 5 §3.3.2.3.4), as RabbitMQ assigns them
// (rabbit_mqtt_processor:process_topic_alias_outbound): up to min(the client's CONNECT Topic Alias Maximum,
// mqtt.topic_alias_maximum) aliases, numbered 1, 2, … in the order topics are first sent; the first PUBLISH
// of a topic carries its name and the new alias, later ones an empty name and the alias. When all are in
// use, further topics go by name (no alias is ever re-pointed). A one-byte topic gets none: its name costs
// no more than the alias. One Map lookup per PUBLISH.
import type mqttPacket from 'mqtt-packet';

export class OutboundTopicAliases {
  private readonly byTopic = new Map<string, number>();

  constructor(readonly max: number) {}

  /**
   * Puts the alias of `packet.topic` into `packet` (emptying the topic if the client already knows it).
   * Returns the alias it newly assigned (the caller calls `forget` if the packet is then not sent), else 0.
   */
  apply(packet: mqttPacket.IPublishPacket): number {
    const topic = packet.topic;
    const known = this.byTopic.get(topic);
    if (known !== undefined) {
      packet.topic = '';
      (packet.properties ??= {}).topicAlias = known;
      return 0;
    }
    const n = this.byTopic.size;
    if (n >= this.max || Buffer.byteLength(topic) <= 1) return 0;
    const alias = n + 1;
    this.byTopic.set(topic, alias);
    (packet.properties ??= {}).topicAlias = alias;
    return alias;
  }

  /** Takes back the alias `apply` just assigned to `topic` (its PUBLISH was not sent). */
  forget(topic: string): void {
    this.byTopic.delete(topic);
  }
}
