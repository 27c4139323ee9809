// Prometheus endpoint with RabbitMQ's metric names (checked against RabbitMQ 3.10's rabbitmq_prometheus):
// aggregated /metrics, /metrics/per-object with {vhost,queue} labels, /metrics/detailed by family; and
// load_definitions at boot.
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import { startApi, type Api } from './helpers.js';

let api: Api;
let prom: string;
before(async () => {
  api = await startApi();
  prom = `http://127.0.0.1:${api.b.prometheusPort}`;
});
after(() => api.b.close());

const text = async (path: string) => {
  const r = await fetch(prom + path);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
  return r.text();
};

test('/metrics has RabbitMQ names, types and aggregated values', async () => {
  const c = await connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort}/`);
  const ch = await c.createChannel();
  await ch.assertQueue('pm.q');
  ch.sendToQueue('pm.q', Buffer.from('1'));
  ch.sendToQueue('pm.q', Buffer.from('2'));
  await ch.checkQueue('pm.q');
  const t = await text('/metrics');
  for (const line of [
    '# TYPE rabbitmq_queue_messages_ready gauge',
    'rabbitmq_queue_messages_ready 2',
    'rabbitmq_queue_messages_unacked 0',
    'rabbitmq_connections 1',
    'rabbitmq_channels 1',
    'rabbitmq_queues 1',
    'rabbitmq_consumers 0',
    'rabbitmq_global_messages_received_total{protocol="amqp091"} 2',
    '# TYPE rabbitmq_global_messages_delivered_total counter',
  ]) {
    assert.ok(t.includes(line + '\n'), line);
  }
  assert.match(t, /^rabbitmq_identity_info\{rabbitmq_node="warren@[^"]+",rabbitmq_cluster="[^"]+"/m);
  const po = await text('/metrics/per-object');
  assert.ok(po.includes('rabbitmq_queue_messages_ready{vhost="/",queue="pm.q"} 2\n'));
  const d = await text('/metrics/detailed?family=queue_coarse_metrics');
  assert.ok(d.includes('rabbitmq_detailed_queue_messages_ready{vhost="/",queue="pm.q"} 2\n'));
  assert.ok(!d.includes('rabbitmq_connections'));
  assert.equal((await fetch(prom + '/nope')).status, 404);
  await c.close();
});

test('loadDefinitions imports a RabbitMQ definitions file at boot', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'warren-load-'));
  try {
    const file = join(dir, 'definitions.json');
    // as exported by RabbitMQ 3.10 (guest's hash from the anchor)
    await writeFile(
      file,
      JSON.stringify({
        rabbit_version: '3.10.8',
        users: [
          {
            name: 'imported',
            password_hash: 'U67VkBRwS1lmuIAl89ALY7WnVqtTj4jVQzzaZaTKNoHQElAt',
            hashing_algorithm: 'rabbit_password_hashing_sha256',
            tags: ['administrator'],
            limits: {},
          },
        ],
        vhosts: [{ name: 'loaded' }],
        permissions: [{ user: 'imported', vhost: 'loaded', configure: '.*', write: '.*', read: '.*' }],
        queues: [{ name: 'lq', vhost: 'loaded', durable: true, auto_delete: false, arguments: {} }],
        exchanges: [],
        bindings: [],
      }),
    );
    const other = await startApi({ loadDefinitions: file });
    try {
      // the hash is guest's, so the password is "guest"
      const c = await connect(`amqp://imported:guest@127.0.0.1:${other.b.amqpPort}/loaded`);
      const ch = await c.createChannel();
      await ch.checkQueue('lq');
      await c.close();
    } finally {
      await other.b.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
