// frontend/net/windowed-consumer.ts through its two users: an MQTT subscription queue's consumer and a STOMP
// subscription take a message only while their connection is up, has output room, and their acked
// deliveries outstanding are under the window; a refusal for room or window marks them starved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Queue } from '../../../../src/core/queue/queue.js';
import type { QueuedMessage } from '../../../../src/core/message.js';
import { MqttConsumer } from '../../../../src/frontend/mqtt/consumer.js';
import type { MqttConnection } from '../../../../src/frontend/mqtt/connection.js';
import { StompSubscription, type AckMode } from '../../../../src/frontend/stomp/subscription.js';
import type { StompConnection } from '../../../../src/frontend/stomp/connection.js';

const q = {} as Queue;
const entry = {} as QueuedMessage;

interface FakeConn {
  open: boolean;
  connected: boolean;
  room: boolean;
  canWrite(): boolean;
}

function conn(): FakeConn {
  return {
    open: true,
    connected: true,
    room: true,
    canWrite() {
      return this.room;
    },
  };
}

const mqtt = (c: FakeConn, qos: 0 | 1, prefetch: number) =>
  new MqttConsumer('t', c as unknown as MqttConnection, q, qos, prefetch);
const stomp = (c: FakeConn, ack: AckMode, prefetch: number) =>
  new StompSubscription('t', c as unknown as StompConnection, 's', '/queue/x', q, ack, prefetch, false);

test('MQTT QoS 1: at most prefetch in flight; a full window starves the consumer', () => {
  const c = conn();
  const k = mqtt(c, 1, 2);
  assert.equal(k.noAck, false);
  k.unacked = 1;
  assert.equal(k.canTake(entry), true);
  k.unacked = 2;
  assert.equal(k.canTake(entry), false);
  assert.equal(k.starved, true);
});

test('MQTT QoS 0 is no-ack and has no window', () => {
  const k = mqtt(conn(), 0, 2);
  assert.equal(k.noAck, true);
  k.unacked = 1000;
  assert.equal(k.canTake(entry), true);
  assert.equal(k.starved, false);
});

test('no output room starves; a connection not yet (or no longer) up refuses without starving', () => {
  const c = conn();
  const k = mqtt(c, 1, 10);
  c.room = false;
  assert.equal(k.canTake(entry), false);
  assert.equal(k.starved, true);
  const s = stomp(c, 'client', 0);
  c.connected = false;
  assert.equal(s.canTake(entry), false);
  assert.equal(s.starved, false);
  c.open = false;
  const k2 = mqtt(c, 1, 10);
  assert.equal(k2.canTake(entry), false);
  assert.equal(k2.starved, false);
});

test('STOMP: prefetch-count limits client and client-individual acks; 0 and auto mean no limit', () => {
  for (const ack of ['client', 'client-individual'] as const) {
    const s = stomp(conn(), ack, 2);
    assert.equal(s.noAck, false);
    s.unacked = 1;
    assert.equal(s.canTake(entry), true);
    s.unacked = 2;
    assert.equal(s.canTake(entry), false);
    assert.equal(s.starved, true);
  }
  const unlimited = stomp(conn(), 'client', 0);
  unlimited.unacked = 1000;
  assert.equal(unlimited.canTake(entry), true);
  const auto = stomp(conn(), 'auto', 2);
  assert.equal(auto.noAck, true);
  auto.unacked = 1000;
  assert.equal(auto.canTake(entry), true);
});

test('neither excludes a message (no no_local outside AMQP)', () => {
  assert.equal(mqtt(conn(), 1, 1).excludes(entry), false);
  assert.equal(stomp(conn(), 'auto', 0).excludes(entry), false);
});
