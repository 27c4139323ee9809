// MQTT topic rules and RabbitMQ's mapping to routing keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  filterToBindingKey,
  routingKeyToTopic,
  subscriptionQueueName,
  topicToRoutingKey,
  validTopicFilter,
  validTopicName,
} from '../../../../src/frontend/mqtt/topics.js';
import { encodeMqttProps, mqttFormat, propsQos, propsV5 } from '../../../../src/frontend/mqtt/format.js';

test('topics and filters map as rabbit_mqtt_util does', () => {
  assert.equal(topicToRoutingKey('a/b/c'), 'a.b.c');
  assert.equal(topicToRoutingKey('a.b/c'), 'a.b.c');
  assert.equal(routingKeyToTopic('a.b.c'), 'a/b/c');
  assert.equal(filterToBindingKey('a/+/c/#'), 'a.*.c.#');
  assert.equal(subscriptionQueueName('client-1', 1), 'mqtt-subscription-client-1qos1');
});

test('topic names and filters are validated as MQTT §4.7 says', () => {
  assert.ok(validTopicName('a/b'));
  assert.ok(!validTopicName(''));
  assert.ok(!validTopicName('a/+'));
  assert.ok(!validTopicName('a/#'));
  assert.ok(validTopicFilter('a/+/#'));
  assert.ok(validTopicFilter('#'));
  assert.ok(!validTopicFilter('a/#/b'));
  assert.ok(!validTopicFilter('a/b+'));
  assert.ok(!validTopicFilter('a#'));
});

test('MQTT → AMQP properties as RabbitMQ 3.10: delivery mode and x-mqtt-* headers', () => {
  assert.deepEqual(mqttFormat.toCommon(encodeMqttProps(1, false, null)), {
    deliveryMode: 2,
    headers: { 'x-mqtt-publish-qos': 1, 'x-mqtt-dup': false },
  });
  const c = mqttFormat.toCommon(
    encodeMqttProps(0, false, { contentType: 'a/b', responseTopic: 'r/t', userProperties: { k: 'v' } }),
  );
  assert.equal(c.contentType, 'a/b');
  // mc_mqtt: the response topic is header x-reply-to-topic (as a routing key), not reply_to
  assert.equal(c.replyTo, undefined);
  assert.equal(c.headers?.['x-reply-to-topic'], 'r.t');
  assert.equal(c.headers?.k, 'v');
  const back = propsV5(mqttFormat.fromCommon({ replyTo: 'q', headers: { 'x-reply-to-topic': 'a.b', k: 'v' } }));
  assert.deepEqual(back, { userProperties: { k: 'v' }, responseTopic: 'a/b' });
  // an AMQP message without x-mqtt-publish-qos is delivered at the subscription's QoS
  assert.equal(propsQos(mqttFormat.fromCommon({ deliveryMode: 2 })), 3);
});
