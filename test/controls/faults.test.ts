// broker.faults.dropConnection beyond AMQP (amqplib's is in test/clients/amqplib/controls.test.ts): an MQTT
// client is found by its client identifier, the name an MQTT test knows it by, and a STOMP client by its
// management name, which gets RabbitMQ's ERROR "connection_forced" before the close.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { startMqttBroker, MQTT_GUEST, mqttUrl } from '../clients/mqtt/helpers.js';
import { connectionName } from '../../src/management/views.js';
import { eventually } from '../helpers/broker.js';

test('dropConnection: an MQTT client by its client identifier, a STOMP client by its management name', async (t) => {
  const b = await startMqttBroker();
  t.after(() => b.close());
  const m = mqtt.connect(mqttUrl(b), { ...MQTT_GUEST, clientId: 'sensor-7' });
  t.after(() => m.end(true));
  await new Promise<void>((r) => m.once('connect', () => r()));
  const gone = new Promise<void>((r) => m.once('close', () => r()));
  assert.equal(b.faults.dropConnection('sensor-7'), 1);
  await gone;
  await eventually(() => b.broker.connections.size === 0);

  const s = net.connect(b.stompPort!, '127.0.0.1');
  t.after(() => s.destroy());
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  s.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
  await eventually(() => got.startsWith('CONNECTED'));
  const [conn] = [...b.broker.connections.values()];
  const closed = new Promise((r) => s.once('close', r));
  assert.equal(b.faults.dropConnection(connectionName(conn!)), 1);
  await closed;
  assert.match(got, /\nERROR\nmessage:connection_forced\n[^\0]*\n\nClosed via management plugin\0/);
});
