// The management HTTP API as RabbitMQ clients use it (fetch standing in for rabbitmqadmin/monitoring
// scripts; amqplib for the AMQP side): statuses and JSON shapes as RabbitMQ 3.10's, auth and tags,
// queues/exchanges/bindings, publish and get, connections (DELETE closes with 320), users/vhosts/
// permissions reaching AMQP, policies, definitions round trip, pagination, and 10,000 queues in < 1 s.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from 'amqplib';
import { eventually } from '../helpers/broker.js';
import { startApi, type Api } from './helpers.js';

let api: Api;
let amqpUrl: (u?: string, p?: string, v?: string) => string;
before(async () => {
  api = await startApi({ statsInterval: 200 });
  amqpUrl = (u = 'guest', p = 'guest', v = '/') =>
    `amqp://${u}:${p}@127.0.0.1:${api.b.amqpPort}/${encodeURIComponent(v)}`;
});
after(() => api.b.close());

type J = Record<string, unknown>;

describe('authentication and errors', () => {
  test('401 Login failed with a Basic challenge; 404 and 405 as RabbitMQ', async () => {
    const r = await api.req('GET', '/api/overview', undefined, 'guest:wrong');
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { error: 'not_authorized', reason: 'Login failed' });
    assert.match(r.headers.get('www-authenticate') ?? '', /Basic realm="RabbitMQ Management"/);
    assert.deepEqual((await api.req('GET', '/api/nosuch')).json, { error: 'Object Not Found', reason: 'Not Found' });
    assert.equal((await api.req('GET', '/api/queues/%2F/missing')).status, 404);
    assert.equal((await api.req('POST', '/api/overview')).status, 405);
    const bad = await api.req('PUT', '/api/queues/%2F/x', '{bad');
    assert.deepEqual([bad.status, bad.json], [400, { error: 'bad_request', reason: 'not_json' }]);
  });

  test('tags: no tag → Not management user; management → not administrator', async () => {
    await api.req('PUT', '/api/users/plain', { password: 'pw', tags: '' });
    await api.req('PUT', '/api/users/mgr', { password: 'pw', tags: 'management' });
    const a = await api.req('GET', '/api/overview', undefined, 'plain:pw');
    assert.deepEqual([a.status, a.json], [401, { error: 'not_authorised', reason: 'Not management user' }]);
    const b = await api.req('GET', '/api/users', undefined, 'mgr:pw');
    assert.deepEqual([b.status, b.json], [401, { error: 'not_authorised', reason: 'Not administrator user' }]);
    const c = await api.req('PUT', '/api/queues/%2F/mgrq', {}, 'mgr:pw');
    assert.deepEqual(
      [c.status, c.json],
      [401, { error: 'not_authorised', reason: 'User not authorised to access virtual host' }],
    );
    assert.deepEqual(await api.get('/api/queues', 'mgr:pw'), []);
  });
});

describe('queues, exchanges, bindings', () => {
  test('declare (201, then 204), inequivalent 400 with the AMQP text, delete 204', async () => {
    assert.equal(
      (await api.req('PUT', '/api/queues/%2F/mq1', { durable: true, arguments: { 'x-max-length': 10 } })).status,
      201,
    );
    assert.equal(
      (await api.req('PUT', '/api/queues/%2F/mq1', { durable: true, arguments: { 'x-max-length': 10 } })).status,
      204,
    );
    const r = await api.req('PUT', '/api/queues/%2F/mq1', { durable: false });
    assert.deepEqual(r.json, {
      error: 'bad_request',
      reason: "inequivalent arg 'durable' for queue 'mq1' in vhost '/': received 'false' but current is 'true'",
    });
    const q = (await api.get('/api/queues/%2F/mq1')) as J;
    for (const k of [
      'name',
      'vhost',
      'durable',
      'auto_delete',
      'exclusive',
      'arguments',
      'messages',
      'messages_ready',
      'messages_unacknowledged',
      'consumers',
      'type',
      'state',
      'node',
      'policy',
      'messages_details',
    ]) {
      assert.ok(k in q, k);
    }
    assert.deepEqual(q['arguments'], { 'x-max-length': 10 });
    const x = await api.req('PUT', '/api/exchanges/%2F/amq.nope', { type: 'direct' });
    assert.deepEqual([x.status, x.json], [401, { error: 'not_authorised', reason: 'Access refused.' }]);
    const t = await api.req('PUT', '/api/exchanges/%2F/mx', { type: 'bogus' });
    assert.deepEqual(t.json, { error: 'bad_request', reason: "unknown exchange type 'bogus'" });
    assert.equal((await api.req('PUT', '/api/exchanges/%2F/mx', { type: 'topic' })).status, 201);
    assert.equal((await api.req('DELETE', '/api/exchanges/%2F/mx')).status, 204);
    assert.equal((await api.req('DELETE', '/api/queues/%2F/mq1')).status, 204);
    assert.equal((await api.req('DELETE', '/api/queues/%2F/mq1')).status, 404);
  });

  test('bind with Location, list, show by properties key, unbind', async () => {
    await api.req('PUT', '/api/queues/%2F/bq', {});
    const r = await api.req('POST', '/api/bindings/%2F/e/amq.direct/q/bq', { routing_key: 'rk', arguments: {} });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('location'), 'bq/rk');
    const list = (await api.get('/api/queues/%2F/bq/bindings')) as J[];
    assert.deepEqual(
      list.map((b) => [b['source'], b['routing_key'], b['properties_key']]),
      [
        ['', 'bq', 'bq'],
        ['amq.direct', 'rk', 'rk'],
      ],
    );
    assert.equal(((await api.get('/api/exchanges/%2F/amq.direct/bindings/source')) as J[]).length, 1);
    assert.equal((await api.req('DELETE', '/api/bindings/%2F/e/amq.direct/q/bq/rk')).status, 204);
    assert.equal((await api.req('GET', '/api/bindings/%2F/e/amq.direct/q/bq/rk')).status, 404);
  });

  test('publish through an exchange, get back (requeue and ack modes), purge', async () => {
    await api.req('PUT', '/api/queues/%2F/pq', {});
    const p = await api.req('POST', '/api/exchanges/%2F/amq.default/publish', {
      properties: { headers: { h: 'v' }, content_type: 'text/plain', delivery_mode: 2 },
      routing_key: 'pq',
      payload: 'hello',
      payload_encoding: 'string',
    });
    assert.deepEqual(p.json, { routed: true });
    const none = await api.req('POST', '/api/exchanges/%2F/amq.direct/publish', {
      routing_key: 'nowhere',
      payload: 'x',
    });
    assert.deepEqual(none.json, { routed: false });
    const get = async (ackmode: string) =>
      (await api.req('POST', '/api/queues/%2F/pq/get', { count: 5, ackmode, encoding: 'auto' })).json as J[];
    const first = await get('ack_requeue_true');
    assert.equal(first.length, 1);
    assert.equal(first[0]!['payload'], 'hello');
    assert.deepEqual(first[0]!['properties'], { content_type: 'text/plain', headers: { h: 'v' }, delivery_mode: 2 });
    const again = await get('ack_requeue_false');
    assert.equal(again[0]!['redelivered'], true);
    assert.deepEqual(await get('ack_requeue_false'), []);
    // the AMQP side sees what the API published
    const c = await connect(amqpUrl());
    const ch = await c.createChannel();
    await api.req('POST', '/api/exchanges/%2F/amq.default/publish', {
      routing_key: 'pq',
      payload: 'aGk=',
      payload_encoding: 'base64',
    });
    const m = await ch.get('pq', { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), 'hi');
    ch.sendToQueue('pq', Buffer.from('x'));
    await eventually(async () => ((await api.get('/api/queues/%2F/pq')) as J)['messages'] === 1);
    assert.equal((await api.req('DELETE', '/api/queues/%2F/pq/contents')).status, 204);
    assert.equal(((await api.get('/api/queues/%2F/pq')) as J)['messages'], 0);
    await c.close();
  });

  test('message rates are sampled on the timer', async () => {
    await api.req('PUT', '/api/queues/%2F/rq', {});
    const c = await connect(amqpUrl());
    const ch = await c.createChannel();
    for (let i = 0; i < 50; i++) ch.sendToQueue('rq', Buffer.from('x'));
    await eventually(async () => {
      const q = (await api.get('/api/queues/%2F/rq')) as J;
      const ms = q['message_stats'] as J | undefined;
      return ms && ms['publish'] === 50 && (ms['publish_details'] as J)['rate'] !== undefined;
    });
    const o = (await api.get('/api/overview')) as J;
    assert.ok(((o['message_stats'] as J)['publish'] as number) >= 50);
    await c.close();
  });

  test('overview counts publisher confirms and unroutable returns (message_stats.confirm, return_unroutable)', async () => {
    const before = (await api.get('/api/overview')) as J;
    const ms0 = before['message_stats'] as J;
    await api.req('PUT', '/api/queues/%2F/confirmq', {});
    const c = await connect(amqpUrl());
    const ch = await c.createConfirmChannel();
    for (let i = 0; i < 20; i++) ch.sendToQueue('confirmq', Buffer.from('x'));
    await ch.waitForConfirms();
    ch.publish('amq.direct', 'no-such-binding', Buffer.from('lost'), { mandatory: true });
    await ch.waitForConfirms();
    const o = (await api.get('/api/overview')) as J;
    const ms = o['message_stats'] as J;
    assert.equal((ms['confirm'] as number) - ((ms0['confirm'] as number) ?? 0), 21);
    assert.equal((ms['return_unroutable'] as number) - ((ms0['return_unroutable'] as number) ?? 0), 1);
    assert.equal(typeof (ms['confirm_details'] as J)['rate'], 'number');
    await c.close();
  });
});

describe('connections, channels, consumers', () => {
  test('listed with RabbitMQ fields; DELETE closes the connection with 320 and the X-Reason', async () => {
    await api.req('PUT', '/api/queues/%2F/cq', {});
    const c = await connect(amqpUrl(), { clientProperties: { connection_name: 'my-app' } });
    const ch = await c.createChannel();
    await ch.prefetch(7);
    await ch.consume('cq', () => {}, { consumerTag: 'ctag-1' });
    const conns = (await eventually(async () => {
      const l = (await api.get('/api/connections')) as J[];
      return l.length === 1 && l[0]!['channels'] === 1 ? l : null;
    })) as J[];
    const conn = conns[0]!;
    assert.equal(conn['user_provided_name'], 'my-app');
    assert.equal(conn['user'], 'guest');
    assert.equal(conn['protocol'], 'AMQP 0-9-1');
    assert.match(conn['name'] as string, /^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
    const chans = (await api.get('/api/channels')) as J[];
    assert.equal(chans[0]!['prefetch_count'], 7);
    assert.equal(chans[0]!['consumer_count'], 1);
    assert.equal(chans[0]!['name'], `${conn['name'] as string} (1)`);
    const cons = (await api.get('/api/consumers')) as J[];
    assert.deepEqual(
      [cons[0]!['consumer_tag'], cons[0]!['queue'], (cons[0]!['channel_details'] as J)['connection_name']],
      ['ctag-1', { name: 'cq', vhost: '/' }, conn['name']],
    );
    c.on('error', () => {});
    const closed = new Promise<Error>((r) => c.on('close', r));
    const r = await fetch(`${api.base}/api/connections/${encodeURIComponent(conn['name'] as string)}`, {
      method: 'DELETE',
      headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64'), 'x-reason': 'bye now' },
    });
    assert.equal(r.status, 204);
    const e = await closed;
    assert.match(e.message, /320 \(CONNECTION-FORCED\) with message "CONNECTION_FORCED - bye now"/);
  });
});

describe('users, vhosts, permissions', () => {
  test('a user created over the API logs in over AMQP with the permissions set over the API', async () => {
    assert.equal((await api.req('PUT', '/api/vhosts/apivh', { description: 'from the API', tags: 'a,b' })).status, 201);
    const vh = (await api.get('/api/vhosts/apivh')) as J;
    assert.deepEqual([vh['description'], vh['tags']], ['from the API', ['a', 'b']]);
    assert.equal((await api.req('PUT', '/api/users/alice', { password: 's3cret', tags: 'monitoring' })).status, 201);
    assert.equal((await api.req('PUT', '/api/users/alice', { password: 's3cret', tags: ['monitoring'] })).status, 204);
    await assert.rejects(connect(amqpUrl('alice', 's3cret', 'apivh')));
    const put = await api.req('PUT', '/api/permissions/apivh/alice', { configure: '^a-', write: '.*', read: '.*' });
    assert.equal(put.status, 201);
    assert.deepEqual(await api.get('/api/permissions/apivh/alice'), {
      user: 'alice',
      vhost: 'apivh',
      configure: '^a-',
      write: '.*',
      read: '.*',
    });
    const c = await connect(amqpUrl('alice', 's3cret', 'apivh'));
    const ch = await c.createChannel();
    await ch.assertQueue('a-ok');
    ch.on('error', () => {});
    await assert.rejects(ch.assertQueue('b-no'), /access to queue 'b-no' in vhost 'apivh' refused for user 'alice'/);
    await c.close().catch(() => {});
    const u = (await api.get('/api/users/alice')) as J;
    assert.deepEqual(Object.keys(u).sort(), ['hashing_algorithm', 'limits', 'name', 'password_hash', 'tags']);
    assert.equal(
      (await api.req('PUT', '/api/topic-permissions/apivh/alice', { exchange: 'amq.topic', write: '^x', read: '.*' }))
        .status,
      201,
    );
    assert.deepEqual(await api.get('/api/topic-permissions/apivh/alice'), [
      { user: 'alice', vhost: 'apivh', exchange: 'amq.topic', write: '^x', read: '.*' },
    ]);
    assert.equal((await api.req('DELETE', '/api/permissions/apivh/alice')).status, 204);
    assert.equal((await api.req('DELETE', '/api/vhosts/apivh')).status, 204);
    assert.equal((await api.req('DELETE', '/api/users/alice')).status, 204);
    assert.equal((await api.req('DELETE', '/api/users/alice')).status, 404);
  });

  test('whoami, nodes, health checks, aliveness', async () => {
    assert.deepEqual(await api.get('/api/whoami'), { name: 'guest', tags: ['administrator'] });
    const nodes = (await api.get('/api/nodes')) as J[];
    assert.equal(nodes[0]!['running'], true);
    assert.deepEqual(await api.get('/api/health/checks/alarms'), { status: 'ok' });
    assert.deepEqual(await api.get('/api/aliveness-test/%2F'), { status: 'ok' });
    const port = await api.req('GET', '/api/health/checks/port-listener/1');
    assert.equal(port.status, 503);
    assert.equal((await api.req('GET', `/api/health/checks/port-listener/${api.b.amqpPort}`)).status, 200);
  });
});

describe('policies and definitions', () => {
  test('policies: PUT 201/204, list, bad pattern 400, DELETE 404 when missing', async () => {
    const body = { pattern: '^p\\.', definition: { 'max-length': 5 }, priority: 1, 'apply-to': 'queues' };
    assert.equal((await api.req('PUT', '/api/policies/%2F/pol', body)).status, 201);
    assert.equal((await api.req('PUT', '/api/policies/%2F/pol', body)).status, 204);
    assert.deepEqual(await api.get('/api/policies/%2F'), [{ vhost: '/', name: 'pol', ...body }]);
    await api.req('PUT', '/api/queues/%2F/p.q', {});
    assert.equal(((await api.get('/api/queues/%2F/p.q')) as J)['policy'], 'pol');
    assert.equal((await api.req('PUT', '/api/policies/%2F/bad', { pattern: '(', definition: { a: 1 } })).status, 400);
    assert.equal((await api.req('DELETE', '/api/policies/%2F/pol')).status, 204);
    assert.equal((await api.req('DELETE', '/api/policies/%2F/pol')).status, 404);
    assert.equal((await api.req('PUT', '/api/operator-policies/%2F/op', body)).status, 201);
    assert.equal(((await api.get('/api/operator-policies')) as J[]).length, 1);
  });

  test('definitions export → import into a fresh broker reproduces them', async () => {
    await api.req('PUT', '/api/exchanges/%2F/defx', { type: 'fanout', durable: true });
    await api.req('PUT', '/api/queues/%2F/defq', { durable: true });
    await api.req('POST', '/api/bindings/%2F/e/defx/q/defq', { routing_key: '' });
    await api.req('PUT', '/api/users/bob', { password: 'pw', tags: 'management' });
    const defs = (await api.get('/api/definitions')) as J;
    for (const k of [
      'rabbit_version',
      'users',
      'vhosts',
      'permissions',
      'topic_permissions',
      'parameters',
      'global_parameters',
      'policies',
      'queues',
      'exchanges',
      'bindings',
    ]) {
      assert.ok(k in defs, k);
    }
    const other = await startApi();
    try {
      assert.equal((await other.req('POST', '/api/definitions', defs)).status, 204);
      assert.deepEqual(await other.get('/api/exchanges/%2F/defx').then((x) => (x as J)['type']), 'fanout');
      assert.equal(((await other.get('/api/queues/%2F/defq/bindings')) as J[]).length, 2);
      // bob's hash came along: he logs in with his password
      assert.deepEqual(await other.get('/api/whoami', 'bob:pw'), { name: 'bob', tags: ['management'] });
      const vdefs = (await other.get('/api/definitions/%2F')) as J;
      assert.ok(!('users' in vdefs));
      assert.ok((vdefs['queues'] as J[]).some((q) => q['name'] === 'defq' && !('vhost' in q)));
    } finally {
      await other.b.close();
    }
  });
});

describe('lists at scale', () => {
  test('pagination, sorting and columns as RabbitMQ', async () => {
    for (const n of ['pg.c', 'pg.a', 'pg.b']) await api.req('PUT', `/api/queues/%2F/${n}`, {});
    const r = (await api.get('/api/queues?page=1&page_size=2&name=pg.&sort=name&sort_reverse=true&columns=name')) as J;
    assert.deepEqual(r, {
      filtered_count: 3,
      item_count: 2,
      items: [{ name: 'pg.c' }, { name: 'pg.b' }],
      page: 2 - 1,
      page_count: 2,
      page_size: 2,
      total_count: r['total_count'],
    });
    const bad = await api.req('GET', '/api/queues?page=9&page_size=2&name=pg.');
    assert.deepEqual(bad.json, {
      error: 'page_out_of_range',
      reason: 'Page out of range, page: 9 page size: 2, len: 3',
    });
    const big = await api.req('GET', '/api/queues?page=1&page_size=1000');
    assert.equal((big.json as J)['error'], 'invalid_pagination_parameters');
  });

  test('10,000 queues: /api/queues answers in under a second', async () => {
    const other = await startApi();
    try {
      const v = other.b.broker.vhosts.get('/')!;
      for (let i = 0; i < 10000; i++)
        v.declareQueue(`load.${i}`, { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
      // the first request also compiles the code paths (JIT); the bound is for a running broker
      const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };
      await (await fetch(`${other.base}/api/queues?page=1&page_size=10`, { headers: auth })).text();
      const t0 = performance.now();
      const text = await (await fetch(`${other.base}/api/queues`, { headers: auth })).text();
      const ms = performance.now() - t0;
      const all = JSON.parse(text) as J[];
      assert.equal(all.length, 10000);
      assert.ok(ms < 1000, `took ${ms} ms`);
    } finally {
      await other.b.close();
    }
  });
});
