// Alarms as the management API and Prometheus show them: /api/nodes mem_* and disk_* fields, the alarm
// health checks' 503 body (rabbit_mgmt_wm_health_check_alarms), connection state blocking/blocked, and the
// rabbitmq_alarms_* gauges.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { startApi, type Api } from './helpers.js';
import { eventually } from '../helpers/broker.js';

let api: Api;
before(async () => {
  api = await startApi({ vmMemoryHighWatermarkAbsolute: '8GiB', totalMemoryAvailableOverrideValue: '64GiB' });
});
after(async () => {
  await api.b.close();
});

type Node = Record<string, unknown>;
const metrics = async () => (await fetch(`http://127.0.0.1:${api.b.prometheusPort}/metrics`)).text();
const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

test('/api/nodes: mem_used, mem_limit, mem_alarm and the disk fields are the monitors’ values', async () => {
  const [n] = (await api.get('/api/nodes')) as Node[];
  const m = api.b.memory;
  assert.equal(m.total, 64 * 1024 ** 3, 'total_memory_available_override_value');
  assert.equal(n!['mem_limit'], 8 * 1024 ** 3);
  assert.equal(n!['mem_alarm'], false);
  assert.equal(n!['mem_calculation_strategy'], 'allocated');
  assert.equal(typeof n!['mem_used'], 'number');
  assert.ok((n!['mem_used'] as number) > 10 * 1024 * 1024);
  assert.equal(n!['disk_free_limit'], 50000000);
  assert.equal(n!['disk_free_alarm'], false);
  assert.ok((n!['disk_free'] as number) > 0);
});

test('health checks answer 503 with the alarms in effect, as RabbitMQ; 200 again once cleared', async () => {
  assert.deepEqual(await api.get('/api/health/checks/alarms'), { status: 'ok' });
  assert.deepEqual(await api.get('/api/health/checks/local-alarms'), { status: 'ok' });
  const node = api.b.broker.nodeName;
  api.b.memory.setWatermark({ relative: 0 });
  try {
    const r = await api.req('GET', '/api/health/checks/alarms');
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, {
      alarms: [{ node, resource: 'memory' }],
      reason: 'There are alarms in effect in the cluster',
      status: 'failed',
    });
    api.b.broker.alarms.set('disk', true);
    const l = await api.req('GET', '/api/health/checks/local-alarms');
    assert.equal(l.status, 503);
    assert.deepEqual(l.json, {
      alarms: [
        { node, resource: 'disk space' },
        { node, resource: 'memory' },
      ],
      reason: 'There are alarms in effect on the node',
      status: 'failed',
    });
    const [n] = (await api.get('/api/nodes')) as Node[];
    assert.equal(n!['mem_alarm'], true);
    assert.equal(n!['mem_limit'], 0);
    assert.equal(n!['disk_free_alarm'], true);
    const text = await metrics();
    assert.equal(gauge(text, 'rabbitmq_alarms_memory_used_watermark'), 1);
    assert.equal(gauge(text, 'rabbitmq_alarms_free_disk_space_watermark'), 1);
    assert.equal(gauge(text, 'rabbitmq_alarms_file_descriptor_limit'), 0);
    assert.match(
      text,
      /# TYPE rabbitmq_alarms_memory_used_watermark untyped\n# HELP rabbitmq_alarms_memory_used_watermark is 1 if VM memory watermark alarm is in effect\n/,
    );
    assert.equal(gauge(text, 'rabbitmq_resident_memory_limit_bytes'), 0);
  } finally {
    api.b.broker.alarms.set('disk', false);
    api.b.memory.setWatermark({ absolute: 8 * 1024 ** 3 });
  }
  assert.deepEqual(await api.get('/api/health/checks/alarms'), { status: 'ok' });
  const text = await metrics();
  assert.equal(gauge(text, 'rabbitmq_alarms_memory_used_watermark'), 0);
  assert.equal(gauge(text, 'rabbitmq_resident_memory_limit_bytes'), api.b.memory.limit);
  assert.equal(gauge(text, 'rabbitmq_disk_space_available_limit_bytes'), 50000000);
  assert.ok(gauge(text, 'rabbitmq_process_resident_memory_bytes') > 0);
});

test('connection state: running, blocking during an alarm, blocked once it publishes', async () => {
  const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort}/`);
  try {
    const ch = await c.createChannel();
    const state = async () => ((await api.get('/api/connections')) as Node[]).map((x) => x['state']);
    await eventually(async () => (await state()).length === 1);
    assert.deepEqual(await state(), ['running']);
    api.b.memory.setWatermark({ relative: 0 });
    assert.deepEqual(await state(), ['blocking']);
    const q = (await ch.assertQueue('', { exclusive: true })).queue;
    ch.sendToQueue(q, Buffer.from('x'));
    await eventually(async () => (await state())[0] === 'blocked');
    api.b.memory.setWatermark({ absolute: 8 * 1024 ** 3 });
    await eventually(async () => (await state())[0] === 'running');
  } finally {
    api.b.memory.setWatermark({ absolute: 8 * 1024 ** 3 });
    await c.close();
  }
});
