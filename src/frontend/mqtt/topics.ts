// MQTT topics ⇄ AMQP routing keys, as RabbitMQ's MQTT plugin maps them (rabbit_mqtt_util:mqtt_to_amqp/1):
// the level separator `/` becomes `.`, the single-level wildcard `+` becomes `*`, `#` stays `#`. A `.` in an
// MQTT topic stays a `.` (RabbitMQ does the same), so "a.b/c" and "a/b/c" route alike.

export function topicToRoutingKey(topic: string): string {
  return topic.indexOf('/') < 0 ? topic : topic.replaceAll('/', '.');
}

/** A routing key as the MQTT topic a subscriber sees (rabbit_mqtt_util:amqp_to_mqtt/1). */
export function routingKeyToTopic(key: string): string {
  return key.indexOf('.') < 0 ? key : key.replaceAll('.', '/');
}

/** A topic filter as a topic-exchange binding key. */
export function filterToBindingKey(filter: string): string {
  return topicToRoutingKey(filter).replaceAll('+', '*');
}

/** A subscription queue's binding key as the topic filter it stands for (rabbit_mqtt_util:amqp_to_mqtt/1). */
export function bindingKeyToFilter(key: string): string {
  return routingKeyToTopic(key).replaceAll('*', '+');
}

/**
 * Does the topic-exchange binding key (as words) match the routing key (as words)? The exchange's own rule
 * (`*` one word, `#` zero or more), so a subscription matches exactly the messages its binding routed.
 */
export function bindingKeyMatches(key: readonly string[], rk: readonly string[], i = 0, j = 0): boolean {
  for (;;) {
    if (i === key.length) return j === rk.length;
    const w = key[i]!;
    if (w === '#') {
      if (i === key.length - 1) return true;
      for (let x = j; x <= rk.length; x++) if (bindingKeyMatches(key, rk, i + 1, x)) return true;
      return false;
    }
    if (j === rk.length || (w !== '*' && w !== rk[j])) return false;
    i++;
    j++;
  }
}

/** MQTT 3.1.1 §4.7.3 / 5.0 §4.7.3: a topic name is non-empty and has no wildcards (and no NUL, §1.5.3). */
export function validTopicName(t: string): boolean {
  return t.length > 0 && !t.includes('+') && !t.includes('#') && !t.includes('\u0000');
}

/** §4.7.1: `#` only as the last level, `+` only as a whole level. */
export function validTopicFilter(f: string): boolean {
  if (f.length === 0 || f.includes('\u0000')) return false;
  const levels = f.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return false;
    if (l.includes('+') && l !== '+') return false;
  }
  return true;
}

/** Whether a filter holds a wildcard (else it names one topic: a retained message is one lookup). */
export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** RabbitMQ's subscription queue names (rabbit_mqtt_util:subcription_queue_name/1). */
export function subscriptionQueueName(clientId: string, qos: 0 | 1 | 2): string {
  return `mqtt-subscription-${clientId}qos${qos}`;
}

/** The client id a session's own (QoS 1 or 2) subscription queue is named for; null for any other name. */
export function subscriptionQueueClient(name: string): string | null {
  const m = /^mqtt-subscription-(.*)qos[12]$/s.exec(name);
  return m === null ? null : m[1]!;
}
