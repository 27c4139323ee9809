// Prometheus endpoint with RabbitMQ's metric names (checked against RabbitMQ 3.10's rabbitmq_prometheus):
// aggregated /metrics, /metrics/per-object with {vhost,queue} labels, /metrics/detailed by family; and
// load_definitions at boot; the labelled rabbitmq_global_* counters (amqp091 and stream, by queue type).
import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import * as rs from 'rabbitmq-stream-js-client';
import { startApi, type Api } from './helpers.js';
import { connectClient, sleep, startStreamBroker, until } from '../frontend/stream/helpers.js';

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

test('rabbitmq_global_* carry {protocol} and {protocol,queue_type} labels; the Stream protocol has its own', async () => {
  const st = await startStreamBroker({ prometheusPort: 0, logLevel: 'silent' });
  const scrape = async () => {
    const r = await fetch(`http://127.0.0.1:${st.b.prometheusPort}/metrics`);
    const body = await r.text();
    const values = new Map<string, number>();
    for (const l of body.split('\n')) {
      if (!l.startsWith('rabbitmq_global_')) continue;
      const i = l.lastIndexOf(' ');
      values.set(l.slice(0, i), Number(l.slice(i + 1)));
    }
    return { body, values };
  };
  const c = await connect(`amqp://guest:guest@127.0.0.1:${st.b.amqpPort}/`);
  const sc = await connectClient(st);
  try {
    // AMQP 0-9-1: a classic queue (consume with acks, a get on empty) and a stream
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('g.cq');
    await ch.assertQueue('g.sq', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    for (let i = 0; i < 3; i++) ch.sendToQueue('g.cq', Buffer.from(`c${i}`));
    for (let i = 0; i < 2; i++) ch.sendToQueue('g.sq', Buffer.from(`s${i}`));
    ch.publish('amq.direct', 'nowhere', Buffer.from('x'));
    await ch.waitForConfirms();
    let classic = 0;
    await ch.consume('g.cq', (m) => {
      classic++;
      ch.ack(m!);
    });
    await ch.prefetch(10);
    let fromStream = 0;
    await ch.consume(
      'g.sq',
      (m) => {
        fromStream++;
        ch.ack(m!);
      },
      { arguments: { 'x-stream-offset': 'first' } },
    );
    await until(() => classic === 3 && fromStream === 2, 5000, 'amqp deliveries');
    const ch2 = await c.createChannel();
    await ch2.assertQueue('g.empty');
    assert.equal(await ch2.get('g.empty'), false);
    // dead-lettering: rejected without a DLX (classic and quorum: dropped, strategy "disabled"), expired
    // with one (at_most_once)
    await ch.assertQueue('g.rej');
    await ch.assertQueue('g.qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.assertQueue('g.dlq');
    await ch.bindQueue('g.dlq', 'amq.fanout', '');
    await ch.assertQueue('g.ttl', { arguments: { 'x-message-ttl': 1, 'x-dead-letter-exchange': 'amq.fanout' } });
    ch.sendToQueue('g.rej', Buffer.from('r'));
    ch.sendToQueue('g.qq', Buffer.from('q'));
    ch.sendToQueue('g.ttl', Buffer.from('t'));
    await ch.waitForConfirms();
    for (const q of ['g.rej', 'g.qq']) {
      const m = await ch2.get(q);
      assert.ok(m);
      ch2.nack(m, false, false);
    }
    for (let i = 0; (await ch2.checkQueue('g.dlq')).messageCount < 1 && i < 100; i++) await sleep(20);
    await ch2.checkQueue('g.rej');

    // the Stream protocol: publish with confirms, subscribe, and three refused commands
    await sc.createStream({ stream: 'g.s', arguments: {} });
    const pub = await sc.declarePublisher({ stream: 'g.s' });
    let confirmed = 0;
    pub.on('publish_confirm', (_e, ids) => {
      confirmed += ids.length;
    });
    for (let i = 0; i < 4; i++) await pub.send(Buffer.from(`m${i}`));
    await pub.flush();
    await until(() => confirmed === 4, 5000, 'stream confirms');
    let got = 0;
    await sc.declareConsumer({ stream: 'g.s', offset: rs.Offset.first() }, () => {
      got++;
    });
    await until(() => got === 4, 5000, 'stream deliveries');
    await sc.createStream({ stream: 'g.s', arguments: {} }); // stream_already_exists (the client takes it)
    await assert.rejects(sc.deletePublisher('99')); // publisher_does_not_exist
    await assert.rejects(sc.deleteStream({ stream: 'g.missing' })); // stream_does_not_exist
    await assert.rejects(sc.deleteStream({ stream: 'g.missing2' }));

    const { body, values } = await scrape();
    const expect: Record<string, number> = {
      'rabbitmq_global_messages_received_total{protocol="amqp091"}': 9,
      'rabbitmq_global_messages_received_total{protocol="stream"}': 4,
      'rabbitmq_global_messages_received_confirm_total{protocol="amqp091"}': 9,
      'rabbitmq_global_messages_received_confirm_total{protocol="stream"}': 4,
      'rabbitmq_global_messages_routed_total{protocol="amqp091"}': 8,
      'rabbitmq_global_messages_routed_total{protocol="stream"}': 0,
      'rabbitmq_global_messages_unroutable_dropped_total{protocol="amqp091"}': 1,
      'rabbitmq_global_messages_confirmed_total{protocol="amqp091"}': 9,
      'rabbitmq_global_messages_confirmed_total{protocol="stream"}': 4,
      'rabbitmq_global_consumers{protocol="amqp091"}': 2,
      'rabbitmq_global_consumers{protocol="stream"}': 1,
      'rabbitmq_global_publishers{protocol="amqp091"}': 1,
      'rabbitmq_global_publishers{protocol="stream"}': 1,
      'rabbitmq_global_messages_delivered_total{protocol="amqp091",queue_type="rabbit_classic_queue"}': 4,
      'rabbitmq_global_messages_delivered_get_manual_ack_total{protocol="amqp091",queue_type="rabbit_classic_queue"}': 1,
      'rabbitmq_global_messages_delivered_total{protocol="amqp091",queue_type="rabbit_quorum_queue"}': 1,
      'rabbitmq_global_messages_delivered_total{protocol="amqp091",queue_type="rabbit_stream_queue"}': 2,
      'rabbitmq_global_messages_delivered_total{protocol="stream",queue_type="rabbit_stream_queue"}': 4,
      'rabbitmq_global_messages_delivered_consume_manual_ack_total{protocol="amqp091",queue_type="rabbit_classic_queue"}': 3,
      'rabbitmq_global_messages_acknowledged_total{protocol="amqp091",queue_type="rabbit_classic_queue"}': 3,
      'rabbitmq_global_messages_acknowledged_total{protocol="amqp091",queue_type="rabbit_stream_queue"}': 2,
      'rabbitmq_global_messages_get_empty_total{protocol="amqp091",queue_type="rabbit_classic_queue"}': 1,
      'rabbitmq_global_messages_acknowledged_total{protocol="stream",queue_type="rabbit_stream_queue"}': 0,
      'rabbitmq_global_messages_delivered_get_manual_ack_total{protocol="amqp091",queue_type="rabbit_quorum_queue"}': 1,
      'rabbitmq_global_messages_dead_lettered_rejected_total{queue_type="rabbit_classic_queue",dead_letter_strategy="disabled"}': 1,
      'rabbitmq_global_messages_dead_lettered_rejected_total{queue_type="rabbit_quorum_queue",dead_letter_strategy="disabled"}': 1,
      'rabbitmq_global_messages_dead_lettered_rejected_total{queue_type="rabbit_classic_queue",dead_letter_strategy="at_most_once"}': 0,
      'rabbitmq_global_messages_dead_lettered_expired_total{queue_type="rabbit_classic_queue",dead_letter_strategy="at_most_once"}': 1,
      'rabbitmq_global_messages_dead_lettered_expired_total{queue_type="rabbit_quorum_queue",dead_letter_strategy="at_least_once"}': 0,
      'rabbitmq_global_messages_dead_lettered_confirmed_total{queue_type="rabbit_quorum_queue",dead_letter_strategy="at_least_once"}': 0,
      'rabbitmq_global_stream_error_stream_already_exists_total{protocol="stream"}': 1,
      'rabbitmq_global_stream_error_publisher_does_not_exist_total{protocol="stream"}': 1,
      'rabbitmq_global_stream_error_stream_does_not_exist_total{protocol="stream"}': 2,
      'rabbitmq_global_stream_error_access_refused_total{protocol="stream"}': 0,
    };
    for (const [k, v] of Object.entries(expect)) assert.equal(values.get(k), v, k);
    // RabbitMQ's 17 stream error counters, TYPE before HELP, as the anchor
    assert.equal(body.match(/^# TYPE rabbitmq_global_stream_error_\w+_total counter$/gm)?.length, 17);
    assert.ok(
      body.includes(
        '# TYPE rabbitmq_global_messages_delivered_total counter\n' +
          '# HELP rabbitmq_global_messages_delivered_total Total number of messages delivered to consumers\n',
      ),
    );
    assert.ok(!/^rabbitmq_global_\w+ \d/m.test(body), 'no unlabelled global series');
  } finally {
    await sc.close();
    await c.close();
    await st.close();
  }
});

test('a deleted vhost does not make rabbitmq_global_* counters go down (a drop reads as a counter reset)', async () => {
  const value = async (series: string) => {
    const t = await text('/metrics');
    const line = t.split('\n').find((l) => l.startsWith(series + ' '));
    return Number(line?.slice(series.length + 1) ?? NaN);
  };
  const received = 'rabbitmq_global_messages_received_total{protocol="amqp091"}';
  const routed = 'rabbitmq_global_messages_routed_total{protocol="amqp091"}';
  const acked = 'rabbitmq_global_messages_acknowledged_total{protocol="amqp091",queue_type="rabbit_classic_queue"}';
  // (the user creating a vhost gets full permissions on it, as in RabbitMQ)
  assert.equal((await api.req('PUT', '/api/vhosts/pm-gone')).status, 201);
  const c = await connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort}/pm-gone`);
  c.on('error', () => {}); // closed by the vhost's deletion (320)
  const ch = await c.createChannel();
  await ch.assertQueue('pm.gone');
  for (let i = 0; i < 3; i++) ch.sendToQueue('pm.gone', Buffer.from(`${i}`));
  for (let i = 0; i < 3; i++) {
    const m = await ch.get('pm.gone');
    assert.ok(m);
    ch.ack(m);
  }
  await ch.checkQueue('pm.gone');
  const before = [await value(received), await value(routed), await value(acked)];
  assert.ok(
    before.every((n) => n >= 3),
    before.join(),
  );
  assert.equal((await api.req('DELETE', '/api/vhosts/pm-gone')).status, 204);
  assert.deepEqual([await value(received), await value(routed), await value(acked)], before);
});
