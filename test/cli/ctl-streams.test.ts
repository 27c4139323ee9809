// `warrenctl add_super_stream` / `delete_super_stream` as `rabbitmq-streams` (options, validation texts,
// output, exit codes), through the management API's /api/stream/super-streams; a message published to the
// super stream's exchange over AMQP lands in the partition its routing key is bound to; and rabbitmq-streams'
// list_stream_connections, list_stream_publishers and list_stream_consumers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import * as rs from 'rabbitmq-stream-js-client';
import { startApi, type Api } from '../management/helpers.js';
import { eventually } from '../helpers/broker.js';
import { warrenctl, type CtlResult } from '../helpers/warrenctl.js';
import { parseDurationSeconds, parseInformationUnit, superStreamBody } from '../../src/cli/ctl-streams.js';
import { prettyTable } from '../../src/cli/pretty-table.js';

let api: Api;

before(async () => {
  api = await startApi();
});
after(async () => {
  await api.b.close();
});

const ctl = (...args: string[]): Promise<CtlResult> => warrenctl(api.base, ...args);

test('option parsing as AddSuperStreamCommand: information units, ISO 8601 durations, exclusive options', () => {
  assert.equal(parseInformationUnit('20gb'), 20e9);
  assert.equal(parseInformationUnit('500mb'), 500e6);
  assert.equal(parseInformationUnit('1GiB'), 1024 ** 3);
  assert.equal(parseInformationUnit('7'), 7);
  assert.equal(parseInformationUnit('7tb'), null);
  assert.equal(parseDurationSeconds('PT10M30S'), 630);
  assert.equal(parseDurationSeconds('P5DT8H'), 5 * 86400 + 8 * 3600);
  assert.equal(parseDurationSeconds('P1Y2M'), 365 * 86400 + 60 * 86400);
  assert.equal(parseDurationSeconds('10m'), null);
  assert.equal(parseDurationSeconds('P'), null);
  assert.deepEqual(superStreamBody({}), { partitions: 3, arguments: {} });
  assert.deepEqual(superStreamBody({ routingKeys: 'a,b', maxAge: 'PT1H', maxLengthBytes: '1kb' }), {
    'binding-keys': 'a,b',
    arguments: { 'max-age': '3600s', 'max-length-bytes': '1000' },
  });
  assert.throws(() => superStreamBody({ partitions: '2', bindingKeys: 'a' }), {
    message: 'Specify --partitions or --binding-keys, not both.',
  });
  assert.throws(() => superStreamBody({ partitions: '0' }), { message: 'The partition number must be greater than 0' });
  assert.throws(() => superStreamBody({ leaderLocator: 'x' }), {
    message: 'Invalid value for --leader-locator, valid values are client-local, balanced.',
  });
});

test('add_super_stream --partitions, route over AMQP, delete_super_stream', async () => {
  const add = await ctl('add_super_stream', 'orders', '--partitions', '2', '--max-length-bytes', '1mb');
  assert.deepEqual(add, {
    code: 0,
    out: 'Adding a super stream...\nSuper stream orders has been created\n',
    err: '',
  });
  const x = (await api.get('/api/exchanges/%2F/orders')) as Record<string, unknown>;
  assert.equal(x['type'], 'direct');
  assert.deepEqual(x['arguments'], { 'x-super-stream': true });
  const q = (await api.get('/api/queues/%2F/orders-1')) as Record<string, unknown>;
  assert.equal(q['type'], 'stream');
  assert.equal((q['arguments'] as Record<string, unknown>)['x-max-length-bytes'], 1_000_000);
  const bindings = (await api.get('/api/exchanges/%2F/orders/bindings/source')) as Record<string, unknown>[];
  assert.deepEqual(
    bindings.map((b) => [b['destination'], b['routing_key'], b['arguments']]),
    [
      ['orders-0', '0', { 'x-stream-partition-order': 0 }],
      ['orders-1', '1', { 'x-stream-partition-order': 1 }],
    ],
  );
  const list = (await api.get('/api/stream/super-streams/%2F')) as Record<string, unknown>[];
  assert.deepEqual(
    list.map((s) => [s['name'], s['partition_count']]),
    [['orders', 2]],
  );

  const conn = await connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort}`);
  const ch = await conn.createConfirmChannel();
  ch.publish('orders', '1', Buffer.from('to partition 1'));
  await ch.waitForConfirms();
  await conn.close();
  await eventually(async () => {
    const p1 = (await api.get('/api/queues/%2F/orders-1')) as Record<string, unknown>;
    const p0 = (await api.get('/api/queues/%2F/orders-0')) as Record<string, unknown>;
    assert.deepEqual([p0['messages'], p1['messages']], [0, 1]);
    return true;
  });

  const dup = await ctl('-q', 'add_super_stream', 'orders');
  assert.equal(dup.code, 70);
  assert.equal(dup.err, 'Error: {reference_already_exists,"there is already an exchange named orders"}\n');

  assert.deepEqual(await ctl('delete_super_stream', 'orders'), {
    code: 0,
    out: 'Deleting a super stream...\nSuper stream orders has been deleted\n',
    err: '',
  });
  assert.equal((await api.req('GET', '/api/exchanges/%2F/orders')).status, 404);
  assert.equal((await api.req('GET', '/api/queues/%2F/orders-0')).status, 404);
  const gone = await ctl('-q', 'delete_super_stream', 'orders');
  assert.deepEqual([gone.code, gone.err], [70, 'Error: stream_not_found\n']);
});

test('add_super_stream --binding-keys, -p vhost; usage errors exit 64', async () => {
  assert.equal((await api.req('PUT', '/api/vhosts/ss')).status, 201);
  const add = await ctl('-q', 'add_super_stream', 'cities', '-p', 'ss', '--binding-keys', 'paris, berlin');
  assert.deepEqual([add.code, add.out], [0, 'Super stream cities has been created\n']);
  const list = (await api.get('/api/stream/super-streams/ss')) as Record<string, unknown>[];
  assert.deepEqual(
    (list[0]!['partitions'] as Record<string, unknown>[]).map((p) => [p['name'], p['routing_key'], p['order']]),
    [
      ['cities-paris', 'paris', 0],
      ['cities-berlin', 'berlin', 1],
    ],
  );
  const both = await ctl('add_super_stream', 'x', '--partitions', '2', '--binding-keys', 'a');
  assert.deepEqual([both.code, both.err], [64, 'Error: Specify --partitions or --binding-keys, not both.\n']);
  const none = await ctl('add_super_stream');
  assert.equal(none.code, 64);
  const badAge = await ctl('add_super_stream', 'y', '--max-age', '1h');
  assert.equal(badAge.code, 64);
  assert.match(badAge.err, /Invalid value for --max-age/);
});

test('PUT /api/stream/super-streams: bad requests and permissions as rabbit_stream_super_stream_mgmt', async () => {
  const put = (body: unknown, auth?: string) => api.req('PUT', '/api/stream/super-streams/%2F/s', body, auth);
  assert.deepEqual((await put({})).json, { error: 'bad_request', reason: 'Must specify partitions or binding keys' });
  assert.equal(
    ((await put({ partitions: 2, 'binding-keys': 'a' })).json as Record<string, unknown>)['reason'],
    'Specify partitions or binding keys, not both',
  );
  assert.equal(
    ((await put({ partitions: 'many' })).json as Record<string, unknown>)['reason'],
    'The partitions must be a number',
  );
  assert.equal((await put({ partitions: 2, arguments: { 'max-age': 'bogus' } })).status, 400);
  assert.equal((await api.req('GET', '/api/exchanges/%2F/s')).status, 404, 'rolled back');
  // a user allowed to configure only "s" itself is refused for the partitions
  assert.equal((await api.req('PUT', '/api/users/ssu', { password: 'p', tags: 'management' })).status, 201);
  await api.req('PUT', '/api/permissions/%2F/ssu', { configure: '^s$', write: '.*', read: '.*' });
  const refused = await put({ partitions: 1 }, 'ssu:p');
  assert.equal(refused.status, 401);
  await api.req('PUT', '/api/permissions/%2F/ssu', { configure: '^s', write: '.*', read: '.*' });
  assert.equal((await put({ partitions: 1 }, 'ssu:p')).status, 204);
  assert.equal((await api.req('DELETE', '/api/stream/super-streams/%2F/s', undefined, 'ssu:p')).status, 204);
  assert.equal((await api.req('DELETE', '/api/stream/super-streams/%2F/s')).status, 404);
});

test('list_stream_connections, list_stream_publishers, list_stream_consumers as rabbitmq-streams lists them', async () => {
  const sapi = await startApi({ streamPort: 0 });
  const client = await rs.connect({
    hostname: 'localhost',
    port: sapi.b.streamPort!,
    username: 'guest',
    password: 'guest',
    vhost: '/',
  });
  const sctl = (...args: string[]): Promise<CtlResult> => warrenctl(sapi.base, ...args);
  const T = ['--formatter', 'table'];
  try {
    await client.createStream({ stream: 'ctl.s', arguments: {} });
    const pub = await client.declarePublisher({ stream: 'ctl.s', publisherRef: 'app-1' });
    for (let i = 0; i < 5; i++) await pub.send(Buffer.from('m' + i));
    let got = 0;
    await client.declareConsumer({ stream: 'ctl.s', offset: rs.Offset.first(), consumerRef: 'c1' }, () => {
      got++;
    });
    await eventually(() => got === 5);
    // the client opens a connection of its own for the publisher and for the consumer: three
    type J = Record<string, unknown>;
    const names = ((await sapi.get('/api/stream/connections')) as J[]).map((c) => String(c['name']));
    assert.equal(names.length, 3);
    // rabbitmq-streams prints these lists with its PrettyTable formatter by default (pretty-table.test.ts)
    const conns = await sctl('list_stream_connections');
    assert.deepEqual(conns, {
      code: 0,
      out: `Listing stream connections ...\n${prettyTable(
        ['conn_name'],
        names.map((n) => [n]),
      )}`,
      err: '',
    });
    const plain = await sctl('--formatter', 'table', 'list_stream_connections');
    assert.equal(plain.out, `Listing stream connections ...\nconn_name\n${names.map((n) => n + '\n').join('')}`);
    const cols = await sctl(...T, '-q', 'list_stream_connections', 'user', 'vhost', 'connection_state', 'port');
    const row = `guest\t/\trunning\t${sapi.b.streamPort}\n`;
    assert.equal(cols.out, `user\tvhost\tconnection_state\tport\n${row}${row}${row}`);
    // one of the three holds the subscription
    const subs = await sctl(...T, '-q', '--no-table-headers', 'list_stream_connections', 'subscriptions');
    assert.deepEqual(subs.out.trim().split('\n').sort(), ['0', '0', '1']);
    const [p] = (await sapi.get('/api/stream/publishers')) as J[];
    const name = String((p!['connection_details'] as J)['name']);
    const bad = await sctl('list_stream_connections', 'nope');
    assert.equal(bad.code, 64);

    const pubs = await eventually(async () => {
      const r = await sctl(...T, 'list_stream_publishers');
      return r.out.includes('\t5\t5\t0') ? r : null;
    });
    assert.deepEqual(pubs!.out.split('\n'), [
      'Listing stream publishers ...',
      'connection_pid\tpublisher_id\tstream\treference\tmessages_published\tmessages_confirmed\tmessages_errored',
      `${name}\t0\tctl.s\tapp-1\t5\t5\t0`,
      '',
    ]);
    const cons = await sctl(
      ...T,
      '-q',
      'list_stream_consumers',
      'subscription_id',
      'stream',
      'messages_consumed',
      'active',
    );
    assert.equal(cons.out, 'subscription_id\tstream\tmessages_consumed\tactive\n0\tctl.s\t5\ttrue\n');
    // another vhost's lists are empty (no header over an empty table)
    await sapi.req('PUT', '/api/vhosts/other', {});
    assert.equal((await sctl('-q', 'list_stream_consumers', '-p', 'other')).out, '');
  } finally {
    await client.close();
    await sapi.b.close();
  }
});

test('list_stream_consumer_groups and list_stream_group_consumers: single active consumer groups', async () => {
  const sapi = await startApi({ streamPort: 0 });
  const connectTo = (): Promise<rs.Client> =>
    rs.connect({ hostname: 'localhost', port: sapi.b.streamPort!, username: 'guest', password: 'guest', vhost: '/' });
  const clients: rs.Client[] = [];
  const sctl = (...args: string[]): Promise<CtlResult> => warrenctl(sapi.base, '--formatter', 'table', ...args);
  try {
    const c1 = await connectTo();
    clients.push(c1);
    await c1.createStream({ stream: 'sac.s', arguments: {} });
    await c1.createSuperStream({ streamName: 'sac.ss' }, undefined, 2);
    for (let i = 0; i < 2; i++) {
      const c = i === 0 ? c1 : await connectTo();
      if (i > 0) clients.push(c);
      await c.declareConsumer(
        { stream: 'sac.s', offset: rs.Offset.first(), singleActive: true, consumerRef: 'app' },
        () => {},
      );
      await c.declareSuperStreamConsumer(
        { superStream: 'sac.ss', consumerRef: 'ss-app', offset: rs.Offset.first() },
        () => {},
      );
    }
    // a plain consumer is in no group
    await c1.declareConsumer({ stream: 'sac.s', offset: rs.Offset.first() }, () => {});
    const groups = await eventually(async () => {
      const r = await sctl('-q', 'list_stream_consumer_groups');
      return r.out.split('\n').length === 5 ? r : null;
    });
    assert.deepEqual(groups!.out.split('\n').slice(1, -1).sort(), [
      'sac.s\tapp\t-1\t2',
      'sac.ss-0\tss-app\t0\t2',
      'sac.ss-1\tss-app\t1\t2',
    ]);
    assert.equal(groups!.out.split('\n')[0], 'stream\treference\tpartition_index\tconsumers');
    const members = await sctl('list_stream_group_consumers', '--stream', 'sac.s', '--reference', 'app');
    const lines = members.out.split('\n');
    assert.equal(lines[0], 'Listing group consumers ...');
    assert.equal(lines[1], 'subscription_id\tconnection_name\tstate');
    assert.deepEqual(
      lines
        .slice(2, -1)
        .map((l) => l.split('\t')[2])
        .sort(),
      ['active', 'inactive'],
    );
    const none = await sctl('list_stream_group_consumers', '--stream', 'sac.s', '--reference', 'nope');
    assert.deepEqual([none.code, none.err], [70, 'Error: The group does not exist\n']);
    const missing = await sctl('list_stream_group_consumers', '--stream', 'sac.s');
    assert.equal(missing.code, 64);
    // the default formatter: rabbitmq-streams' PrettyTable
    const pretty = await warrenctl(sapi.base, '-q', 'list_stream_consumer_groups', 'stream', 'consumers');
    assert.ok(pretty.out.startsWith('\u001b(0l'), JSON.stringify(pretty.out));
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await sapi.b.close();
  }
});

test('stream_status: a row per member as rabbitmq-streams shows it; not_found and other queue types refused', async () => {
  const conn = await connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort}/`);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('status.s', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    await ch.assertQueue('status.empty', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    await ch.assertQueue('status.classic', { durable: true });
    for (let i = 0; i < 10; i++) ch.sendToQueue('status.s', Buffer.alloc(100));
    await ch.waitForConfirms();
    const node = String(((await api.get('/api/overview')) as Record<string, unknown>)['node']);
    const t = await ctl('--formatter', 'table', 'stream_status', 'status.s');
    assert.deepEqual(t, {
      code: 0,
      out:
        `Status of stream status.s on node ${node} ...\n` +
        'role\tnode\toffset\tcommitted_offset\tfirst_offset\treaders\tsegments\n' +
        `writer\t${node}\t9\t9\t0\t0\t1\n`,
      err: '',
    });
    const empty = await ctl('-q', '--formatter', 'table', '--no-table-headers', 'stream_status', 'status.empty');
    assert.equal(empty.out, `writer\t${node}\t-1\t-1\t0\t0\t1\n`);
    const pretty = await ctl('-q', 'stream_status', 'status.s');
    assert.ok(pretty.out.startsWith('\u001b(0l'));
    assert.deepEqual(await ctl('stream_status', 'status.classic'), {
      code: 69,
      out: `Status of stream status.classic on node ${node} ...\n`,
      err: 'Error: Cannot get stream status of a classic queue\n',
    });
    const none = await ctl('stream_status', 'nosuch');
    assert.deepEqual([none.code, none.err], [69, 'Error: not_found\n']);
    assert.equal((await ctl('stream_status')).code, 64);
  } finally {
    await conn.close();
  }
});
