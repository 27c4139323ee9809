// message_stats as RabbitMQ 3.10 splits them, observed through the management API and Prometheus while
// amqplib clients do each kind of delivery: consume with manual ack, consume with no-ack, basic.get with
// and without ack, basic.get on an empty queue, a redelivery after a nack; exchange publish_in/publish_out,
// per-channel counters, vhost and overview sums, and rates (sampled every 200 ms here) that become
// non-zero while traffic flows, connection octet rates included. The expected figures are what the same
// scenario produces on RabbitMQ 3.10 (checked against it when this was written). Also /api/user-limits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import mqtt from 'mqtt';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, uniqueName } from '../helpers/broker.js';
import { startApi, type Api } from './helpers.js';

type J = Record<string, unknown>;

let api: Api;
let url: string;
before(async () => {
  api = await startApi({ statsInterval: 200, mqttPort: 0, stompPort: 0 });
  url = `amqp://guest:guest@127.0.0.1:${api.b.amqpPort}`;
});
after(() => api.b.close());

const enc = encodeURIComponent;
const stats = (o: J): J => (o['message_stats'] as J | undefined) ?? {};
const counts = (ms: J): J => Object.fromEntries(Object.entries(ms).filter(([k]) => !k.endsWith('_details')));
const rateOf = (ms: J, k: string): number => ((ms[`${k}_details`] as J | undefined)?.['rate'] as number) ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The channels of one amqplib connection, by channel number. */
async function channelsOf(c: ChannelModel): Promise<Map<number, J>> {
  const port = (c.connection as unknown as { stream: { localPort: number } }).stream.localPort;
  const all = (await api.get('/api/channels')) as J[];
  const out = new Map<number, J>();
  for (const ch of all) {
    if ((ch['connection_details'] as J)['peer_port'] === port) out.set(ch['number'] as number, ch);
  }
  return out;
}

describe('message_stats split as RabbitMQ splits them', () => {
  test('each kind of delivery is counted on its queue, channel, exchange, vhost and the overview', async () => {
    const q = uniqueName('ms');
    const q2 = `${q}.2`;
    const fx = `${q}.fx`;
    const overview0 = stats((await api.get('/api/overview')) as J);
    const c = await connect(url);
    const ch = await c.createChannel();
    await ch.assertQueue(q);
    await ch.assertQueue(q2);
    await ch.assertExchange(fx, 'fanout');
    await ch.bindQueue(q, fx, '');
    await ch.bindQueue(q2, fx, '');
    // a fresh queue and exchange have no message_stats, as in RabbitMQ
    assert.equal(((await api.get(`/api/queues/%2F/${enc(q)}`)) as J)['message_stats'], undefined);
    assert.equal(((await api.get(`/api/exchanges/%2F/${enc(fx)}`)) as J)['message_stats'], undefined);

    for (let i = 0; i < 6; i++) ch.publish(fx, '', Buffer.from('x'));
    ch.publish('amq.direct', 'nowhere', Buffer.from('dropped')); // unroutable, not mandatory
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 6);
    const m1 = await ch.get(q, { noAck: false }); // get
    assert.ok(m1);
    ch.ack(m1);
    assert.ok(await ch.get(q, { noAck: true })); // get_no_ack
    const m3 = await ch.get(q, { noAck: false }); // get, then back to the queue
    assert.ok(m3);
    ch.nack(m3, false, true);
    const m4 = await ch.get(q, { noAck: false }); // get of a redelivered message: redeliver
    assert.ok(m4 && m4.fields.redelivered);
    ch.ack(m4);
    const noAck = await c.createChannel();
    let got = 0;
    await noAck.consume(q2, () => got++, { noAck: true }); // deliver_no_ack
    const manual = await c.createChannel();
    await manual.consume(q, (m: ConsumeMessage | null) => m && manual.ack(m)); // deliver, ack
    await eventually(() => got === 6);
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 0);
    assert.equal(await ch.get(q, { noAck: false }), false); // get_empty

    const want = {
      publish: 6,
      deliver: 3,
      deliver_no_ack: 0,
      get: 3,
      get_no_ack: 1,
      get_empty: 1,
      deliver_get: 7,
      ack: 5,
      redeliver: 1,
    };
    await eventually(async () => {
      assert.deepEqual(counts(stats((await api.get(`/api/queues/%2F/${enc(q)}`)) as J)), want);
      return true;
    });
    const qj = (await api.get(`/api/queues/%2F/${enc(q)}`)) as J;
    for (const k of Object.keys(want)) assert.equal(typeof rateOf(stats(qj), k), 'number', k);
    assert.deepEqual(counts(stats((await api.get(`/api/queues/%2F/${enc(q2)}`)) as J)), {
      publish: 6,
      deliver: 0,
      deliver_no_ack: 6,
      get: 0,
      get_no_ack: 0,
      get_empty: 0,
      deliver_get: 6,
      ack: 0,
      redeliver: 0,
    });
    // fanout to two queues: 6 in, 12 out
    assert.deepEqual(counts(stats((await api.get(`/api/exchanges/%2F/${enc(fx)}`)) as J)), {
      publish_in: 6,
      publish_out: 12,
    });

    // per channel: the publish side only where it published, the delivery side where it consumed/fetched
    const chans = await channelsOf(c);
    const deliveryZero = {
      deliver: 0,
      deliver_no_ack: 0,
      get: 0,
      get_no_ack: 0,
      get_empty: 0,
      deliver_get: 0,
      ack: 0,
      redeliver: 0,
    };
    assert.deepEqual(counts(stats(chans.get(1)!)), {
      ...deliveryZero,
      publish: 7,
      confirm: 0,
      return_unroutable: 0,
      drop_unroutable: 1,
      get: 3,
      get_no_ack: 1,
      get_empty: 1,
      deliver_get: 4,
      ack: 2,
      redeliver: 1,
    });
    assert.deepEqual(counts(stats(chans.get(2)!)), { ...deliveryZero, deliver_no_ack: 6, deliver_get: 6 });
    assert.deepEqual(counts(stats(chans.get(3)!)), { ...deliveryZero, deliver: 3, deliver_get: 3, ack: 3 });

    // the vhost and the overview: publish is what channels published (7, not the 12 queue copies)
    const vh = counts(stats((await api.get('/api/vhosts/%2F')) as J));
    for (const [k, n] of Object.entries({ publish: 7, drop_unroutable: 1, deliver_no_ack: 6, get_empty: 1 })) {
      assert.ok((vh[k] as number) >= n, `vhost ${k}`);
    }
    const ov = counts(stats((await api.get('/api/overview')) as J));
    const diff = (k: string) => (ov[k] as number) - ((overview0[k] as number | undefined) ?? 0);
    assert.deepEqual(
      Object.fromEntries(
        ['publish', 'deliver', 'deliver_no_ack', 'get', 'get_no_ack', 'get_empty', 'deliver_get', 'ack'].map((k) => [
          k,
          diff(k),
        ]),
      ),
      { publish: 7, deliver: 3, deliver_no_ack: 6, get: 3, get_no_ack: 1, get_empty: 1, deliver_get: 13, ack: 5 },
    );
    assert.equal(diff('redeliver'), 1);
    assert.equal(diff('drop_unroutable'), 1);

    // Prometheus: RabbitMQ 3.10's rabbitmq_global_* counters for the same split
    const text = await (await fetch(`http://127.0.0.1:${api.b.prometheusPort}/metrics`)).text();
    // summed over queue_type where RabbitMQ splits a counter by it too (the delivered_* and get_empty series)
    const metric = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}\\{protocol="amqp091"(?:,queue_type="[a-z_]+")?\\} (\\d+)$`, 'gm'))].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    assert.ok(metric('rabbitmq_global_messages_delivered_consume_manual_ack_total') >= 3);
    assert.ok(metric('rabbitmq_global_messages_delivered_consume_auto_ack_total') >= 6);
    assert.ok(metric('rabbitmq_global_messages_delivered_get_manual_ack_total') >= 3);
    assert.ok(metric('rabbitmq_global_messages_delivered_get_auto_ack_total') >= 1);
    assert.ok(metric('rabbitmq_global_messages_get_empty_total') >= 1);
    assert.ok(metric('rabbitmq_global_messages_unroutable_dropped_total') >= 1);
    assert.ok(metric('rabbitmq_global_messages_received_total') >= 7);
    // rabbitmq_channel_* / rabbitmq_connection_*: sums over the open channels and connections
    const plain = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    assert.ok(plain('rabbitmq_channel_messages_published_total') >= 7);
    assert.ok(plain('rabbitmq_channel_messages_delivered_total') >= 6); // auto-ack, in RabbitMQ's naming
    assert.ok(plain('rabbitmq_channel_messages_delivered_ack_total') >= 3);
    assert.ok(plain('rabbitmq_channel_get_ack_total') >= 3);
    assert.ok(plain('rabbitmq_channel_get_total') >= 1);
    assert.ok(plain('rabbitmq_channel_get_empty_total') >= 1);
    assert.ok(plain('rabbitmq_channel_messages_acked_total') >= 5);
    assert.ok(plain('rabbitmq_channel_messages_unroutable_dropped_total') >= 1);
    assert.ok(plain('rabbitmq_connection_incoming_bytes_total') > 0);
    assert.ok(plain('rabbitmq_connection_outgoing_packets_total') > 0);
    const perObject = await (await fetch(`http://127.0.0.1:${api.b.prometheusPort}/metrics/per-object`)).text();
    assert.match(
      perObject,
      /^rabbitmq_channel_messages_published_total\{channel="127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \(1\)"\} 7$/m,
    );
    const confirms = await c.createConfirmChannel();
    const before = metric('rabbitmq_global_messages_received_confirm_total');
    confirms.publish(fx, '', Buffer.from('c'));
    await confirms.waitForConfirms();
    const after = await (await fetch(`http://127.0.0.1:${api.b.prometheusPort}/metrics`)).text();
    assert.match(
      after,
      new RegExp(`^rabbitmq_global_messages_received_confirm_total\\{protocol="amqp091"\\} ${before + 1}$`, 'm'),
    );

    // a vhost's and the node's figures outlive a deleted queue, as RabbitMQ's do
    const vBefore = counts(stats((await api.get('/api/vhosts/%2F')) as J));
    const oBefore = counts(stats((await api.get('/api/overview')) as J));
    await ch.deleteQueue(q2);
    assert.deepEqual(counts(stats((await api.get('/api/vhosts/%2F')) as J)), vBefore);
    assert.deepEqual(counts(stats((await api.get('/api/overview')) as J)), oBefore);
    await c.close();
  });

  test('rates become non-zero while traffic flows: queue, channel, exchange, vhost, overview, connection octets', async () => {
    const q = uniqueName('rate');
    const c = await connect(url);
    const pub = await c.createChannel();
    const cons = await c.createChannel();
    const getter = await c.createChannel();
    await pub.assertQueue(q);
    await cons.consume(q, (m: ConsumeMessage | null) => m && cons.ack(m));
    // a steady trickle of publishes, acked deliveries and empty gets for the length of the check
    const timer = setInterval(() => {
      for (let i = 0; i < 5; i++) pub.publish('', q, Buffer.from('tick'));
      void getter.get(`${q}.empty`, { noAck: true }).catch(() => undefined);
    }, 20);
    await getter.assertQueue(`${q}.empty`);
    try {
      await eventually(async () => {
        const ms = stats((await api.get(`/api/queues/%2F/${enc(q)}`)) as J);
        return rateOf(ms, 'publish') > 0 && rateOf(ms, 'deliver') > 0 && rateOf(ms, 'ack') > 0;
      });
      await eventually(
        async () => rateOf(stats((await api.get(`/api/queues/%2F/${enc(q)}.empty`)) as J), 'get_empty') > 0,
      );
      await eventually(async () => {
        const chans = await channelsOf(c);
        return (
          rateOf(stats(chans.get(1)!), 'publish') > 0 &&
          rateOf(stats(chans.get(2)!), 'deliver') > 0 &&
          rateOf(stats(chans.get(2)!), 'ack') > 0 &&
          rateOf(stats(chans.get(3)!), 'get_empty') > 0
        );
      });
      await eventually(async () => {
        const x = stats((await api.get('/api/exchanges/%2F/amq.default')) as J);
        return rateOf(x, 'publish_in') > 0 && rateOf(x, 'publish_out') > 0;
      });
      await eventually(async () => {
        const v = (await api.get('/api/vhosts/%2F')) as J;
        const o = (await api.get('/api/overview')) as J;
        return (
          rateOf(stats(v), 'publish') > 0 &&
          rateOf(stats(v), 'deliver_get') > 0 &&
          rateOf(v, 'recv_oct') > 0 &&
          rateOf(v, 'send_oct') > 0 &&
          rateOf(stats(o), 'publish') > 0 &&
          rateOf(stats(o), 'deliver') > 0
        );
      });
      await eventually(async () => {
        const port = (c.connection as unknown as { stream: { localPort: number } }).stream.localPort;
        const conn = ((await api.get('/api/connections')) as J[]).find((x) => x['peer_port'] === port)!;
        return rateOf(conn, 'recv_oct') > 0 && rateOf(conn, 'send_oct') > 0;
      });
    } finally {
      clearInterval(timer);
    }
    await sleep(50);
    await c.close();
  });

  test('an idle channel has no message_stats; a publisher-only channel only the publish side', async () => {
    const c = await connect(url);
    const idle: Channel = await c.createChannel();
    const pub = await c.createChannel();
    pub.publish('amq.direct', 'nowhere', Buffer.from('x'));
    await pub.checkExchange('amq.direct'); // a round trip: the publish was handled
    const chans = await channelsOf(c);
    assert.equal(chans.get(1)!['message_stats'], undefined);
    assert.deepEqual(counts(stats(chans.get(2)!)), {
      publish: 1,
      confirm: 0,
      return_unroutable: 0,
      drop_unroutable: 1,
    });
    void idle;
    await c.close();
  });
});

describe('overview disk_writes / disk_reads', () => {
  test('count messages written to the message store and paged back from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-ms-'));
    const file = await startApi({ storage: 'file', dataDir: dir, statsInterval: 200 });
    try {
      const c = await connect(`amqp://guest:guest@127.0.0.1:${file.b.amqpPort}`);
      const ch = await c.createConfirmChannel();
      await ch.assertQueue('paged', { durable: true });
      // past the queue's in-memory window (4,096 messages): the rest waits on disk and is read back
      const n = 5000;
      for (let i = 0; i < n; i++) ch.sendToQueue('paged', Buffer.from('m'), { persistent: true });
      await ch.waitForConfirms();
      let got = 0;
      await ch.consume('paged', () => got++, { noAck: true });
      await eventually(() => got === n, 10000);
      const ms = stats((await file.get('/api/overview')) as J);
      assert.ok((ms['disk_writes'] as number) >= n, `disk_writes ${String(ms['disk_writes'])}`);
      assert.ok((ms['disk_reads'] as number) > 0, `disk_reads ${String(ms['disk_reads'])}`);
      assert.equal(typeof (ms['disk_reads_details'] as J)['rate'], 'number');
      await c.close();
    } finally {
      await file.b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('are 0 with memory storage, present as in RabbitMQ', async () => {
    const ms = stats((await api.get('/api/overview')) as J);
    assert.deepEqual([ms['disk_reads'], ms['disk_writes']], [0, 0]);
  });
});

describe('MQTT connections', () => {
  test('one channel with message_stats (publish, deliver_no_ack) and real octet counts, as RabbitMQ 3.10', async () => {
    const topic = `ms/${uniqueName('t').replace(/\./g, '-')}`;
    const m = await mqtt.connectAsync(`mqtt://127.0.0.1:${api.b.mqttPort}`, { username: 'guest', password: 'guest' });
    try {
      let got = 0;
      m.on('message', () => got++);
      await m.subscribeAsync(topic, { qos: 0 });
      for (let i = 0; i < 5; i++) await m.publishAsync(topic, 'hello', { qos: 0 });
      await eventually(() => got === 5);
      const port = (m.stream as unknown as { localPort: number }).localPort;
      const conn = await eventually(async () => {
        const all = (await api.get('/api/connections')) as J[];
        return all.find((x) => x['peer_port'] === port)!;
      });
      assert.equal(conn['channels'], 1);
      assert.ok((conn['recv_oct'] as number) > 0 && (conn['send_oct'] as number) > 0);
      await eventually(async () => {
        const ch = ((await api.get('/api/channels')) as J[]).find(
          (x) => (x['connection_details'] as J)['peer_port'] === port,
        )!;
        const ms = counts(stats(ch));
        return ms['publish'] === 5 && ms['deliver_no_ack'] === 5 && ms['deliver_get'] === 5;
      });
    } finally {
      await m.endAsync();
    }
  });
});

describe('STOMP connections', () => {
  test('one channel with message_stats (publish, deliver, ack) and real octet counts, as RabbitMQ 3.10', async () => {
    const q = uniqueName('stomp');
    const s = net.connect(api.b.stompPort!, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    const send = (f: string) => s.write(f + '\0');
    try {
      send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\nhost:/\n\n');
      send(`SUBSCRIBE\nid:1\ndestination:/queue/${q}\nack:client-individual\n\n`);
      for (let i = 0; i < 5; i++) send(`SEND\ndestination:/queue/${q}\n\nhello`);
      await eventually(() => (text.match(/\nack:/g) ?? []).length === 5);
      for (const m of text.matchAll(/\nack:([^\n]+)/g)) send(`ACK\nid:${m[1]}\n\n`);
      const port = s.localPort;
      await eventually(async () => {
        const ch = ((await api.get('/api/channels')) as J[]).find(
          (x) => (x['connection_details'] as J)['peer_port'] === port,
        );
        const ms = ch ? counts(stats(ch)) : {};
        return ms['publish'] === 5 && ms['deliver'] === 5 && ms['ack'] === 5 && ms['deliver_no_ack'] === 0;
      });
      const conn = ((await api.get('/api/connections')) as J[]).find((x) => x['peer_port'] === port)!;
      assert.equal(conn['channels'], 1);
      assert.ok((conn['recv_oct'] as number) > 0 && (conn['send_oct'] as number) > 0);
    } finally {
      s.destroy();
    }
  });
});

describe('/api/user-limits', () => {
  test('limits set from code are listed; PUT and DELETE one limit as RabbitMQ 3.10 does', async () => {
    const u = uniqueName('limited');
    await api.req('PUT', `/api/users/${enc(u)}`, { password: 'pw', tags: '' });
    assert.deepEqual((await api.req('GET', `/api/user-limits/${enc(u)}`)).json, []);
    api.b.broker.setUserLimits(u, { 'max-connections': 10 });
    const mine = (l: J[]) => l.filter((x) => x['user'] === u);
    assert.deepEqual(mine((await api.get('/api/user-limits')) as J[]), [{ user: u, value: { 'max-connections': 10 } }]);
    assert.equal((await api.req('PUT', `/api/user-limits/${enc(u)}/max-channels`, { value: 5 })).status, 204);
    assert.deepEqual(await api.get(`/api/user-limits/${enc(u)}`), [
      { user: u, value: { 'max-channels': 5, 'max-connections': 10 } },
    ]);
    assert.deepEqual(((await api.get(`/api/users/${enc(u)}`)) as J)['limits'], {
      'max-channels': 5,
      'max-connections': 10,
    });
    // the limit is in force for AMQP clients
    await api.req('PUT', `/api/permissions/%2F/${enc(u)}`, { configure: '.*', write: '.*', read: '.*' });
    api.b.broker.setUserLimits(u, { 'max-connections': 10, 'max-channels': 1 });
    const c = await connect(`amqp://${enc(u)}:pw@127.0.0.1:${api.b.amqpPort}`);
    c.on('error', () => undefined);
    await c.createChannel();
    await assert.rejects(c.createChannel());
    await c.close().catch(() => undefined);

    // RabbitMQ's refusals
    const bad = async (path: string, body: unknown) => {
      const r = await api.req('PUT', path, body);
      return [r.status, r.json];
    };
    assert.deepEqual(await bad(`/api/user-limits/${enc(u)}/max-foo`, { value: 10 }), [
      400,
      { error: 'bad_request', reason: 'Unrecognised terms [{<<"max-foo">>,10}] in user-limits' },
    ]);
    assert.deepEqual(await bad(`/api/user-limits/${enc(u)}/max-channels`, { value: 'abc' }), [
      400,
      { error: 'bad_request', reason: 'max-channels should be a number, actually was <<"abc">>' },
    ]);
    assert.deepEqual(await bad(`/api/user-limits/${enc(u)}/max-channels`, {}), [
      400,
      { error: 'bad_request', reason: '[{key_missing,value}]' },
    ]);
    assert.deepEqual(await bad('/api/user-limits/no-such-user/max-channels', { value: 3 }), [
      400,
      { error: 'bad_request', reason: ['no_such_user', 'no-such-user'] },
    ]);
    assert.equal((await api.req('GET', '/api/user-limits/no-such-user')).status, 404);
    assert.equal((await api.req('GET', `/api/user-limits/${enc(u)}/max-channels`)).status, 405);
    // non-administrators may not read or change them
    await api.req('PUT', '/api/users/ms-mgr', { password: 'pw', tags: 'management' });
    assert.equal((await api.req('GET', '/api/user-limits', undefined, 'ms-mgr:pw')).status, 401);

    assert.equal((await api.req('DELETE', `/api/user-limits/${enc(u)}/max-channels`)).status, 204);
    assert.equal((await api.req('DELETE', `/api/user-limits/${enc(u)}/max-channels`)).status, 204);
    assert.deepEqual(await api.get(`/api/user-limits/${enc(u)}`), [{ user: u, value: { 'max-connections': 10 } }]);
    assert.equal((await api.req('DELETE', `/api/user-limits/${enc(u)}/max-connections`)).status, 204);
    assert.deepEqual(await api.get(`/api/user-limits/${enc(u)}`), []);
    assert.deepEqual(((await api.get(`/api/users/${enc(u)}`)) as J)['limits'], {});
  });
});
