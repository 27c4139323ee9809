// Server → client topic aliases as RabbitMQ assigns them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type mqttPacket from 'mqtt-packet';
import { OutboundTopicAliases } from '../../../../src/frontend/mqtt/topic-aliases.js';

const publish = (topic: string): mqttPacket.IPublishPacket => ({
  cmd: 'publish',
  topic,
  payload: '',
  qos: 0,
  dup: false,
  retain: false,
});

test('aliases are numbered in first-use order up to the maximum, then topics go by name', () => {
  const a = new OutboundTopicAliases(2);
  const shown = (t: string) => {
    const p = publish(t);
    const assigned = a.apply(p);
    return [p.topic, p.properties?.topicAlias, assigned];
  };
  assert.deepEqual(shown('x/1'), ['x/1', 1, 1]);
  assert.deepEqual(shown('x/1'), ['', 1, 0]);
  assert.deepEqual(shown('x/2'), ['x/2', 2, 2]);
  assert.deepEqual(shown('x/3'), ['x/3', undefined, 0]);
  assert.deepEqual(shown('x/2'), ['', 2, 0]);
  // a one-byte topic is not worth an alias
  assert.deepEqual(new OutboundTopicAliases(5).apply(publish('x')), 0);
});

test('an alias taken back (its PUBLISH not sent) is assigned again next time', () => {
  const a = new OutboundTopicAliases(4);
  const p = publish('big/topic');
  assert.equal(a.apply(p), 1);
  a.forget('big/topic');
  const q = publish('big/topic');
  assert.equal(a.apply(q), 1);
  assert.equal(q.topic, 'big/topic');
  // existing properties are kept
  const r = publish('other');
  r.properties = { contentType: 'text/plain' };
  a.apply(r);
  assert.deepEqual(r.properties, { contentType: 'text/plain', topicAlias: 2 });
});
