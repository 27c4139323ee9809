// `warrenctl` / `warren ctl` against a running Warren, every command, run as a user would (a child
// process), with rabbitmqctl's output: banner, tab-separated header and rows, -q, --formatter json, -p,
// and one-line errors with rabbitmqctl's exit codes (64 usage, 67 no user, 69 unreachable, 77 refused).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import { fileURLToPath } from 'node:url';
import { startApi, type Api } from '../management/helpers.js';
import { eventually } from '../helpers/broker.js';
import { warrenctl, type CtlResult } from '../helpers/warrenctl.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let api: Api;
let dir: string;

before(async () => {
  api = await startApi();
  dir = await mkdtemp(join(tmpdir(), 'warren-ctl-'));
});
after(async () => {
  await api.b.close();
  await rm(dir, { recursive: true, force: true });
});

const ctl = (...args: string[]): Promise<CtlResult> => warrenctl(api.base, ...args);

test('users, vhosts, permissions: add, list, tags, password, delete', async () => {
  assert.deepEqual(await ctl('add_user', 'carol', 'pw1'), { code: 0, out: 'Adding user "carol" ...\n', err: '' });
  const dup = await ctl('add_user', 'carol', 'pw1');
  assert.deepEqual([dup.code, dup.err], [70, 'Error: User "carol" already exists\n']);
  assert.equal((await ctl('set_user_tags', 'carol', 'management', 'monitoring')).code, 0);
  assert.equal((await ctl('add_vhost', 'cvh', '--description', 'for carol')).code, 0);
  assert.equal((await ctl('set_permissions', '-p', 'cvh', 'carol', '.*', '.*', '.*')).code, 0);
  assert.equal((await ctl('set_topic_permissions', '-p', 'cvh', 'carol', 'amq.topic', '^a', '^b')).code, 0);
  assert.equal((await ctl('change_password', 'carol', 'pw2')).code, 0);
  const c = await connect(`amqp://carol:pw2@127.0.0.1:${api.b.amqpPort}/cvh`);
  await c.close();
  const users = await ctl('list_users');
  assert.match(users.out, /^Listing users \.\.\.\nuser\ttags\n/);
  assert.match(users.out, /\ncarol\t\[management, monitoring\]\n/);
  assert.equal((await ctl('-q', 'list_vhosts')).out, 'name\n/\ncvh\n');
  assert.equal(
    (await ctl('list_permissions', '-p', 'cvh', '-q')).out,
    'user\tconfigure\twrite\tread\nguest\t.*\t.*\t.*\ncarol\t.*\t.*\t.*\n',
  );
  assert.equal(
    (await ctl('list_topic_permissions', '-p', 'cvh', '-q')).out,
    'user\texchange\twrite\tread\ncarol\tamq.topic\t^a\t^b\n',
  );
  assert.equal((await ctl('clear_topic_permissions', '-p', 'cvh', 'carol')).code, 0);
  assert.equal((await ctl('clear_permissions', '-p', 'cvh', 'carol')).code, 0);
  assert.equal(
    (await ctl('-q', 'list_permissions', '-p', 'cvh')).out,
    'user\tconfigure\twrite\tread\nguest\t.*\t.*\t.*\n',
  );
  assert.equal((await ctl('delete_vhost', 'cvh')).code, 0);
  assert.equal((await ctl('delete_user', 'carol')).code, 0);
  const gone = await ctl('delete_user', 'carol');
  assert.deepEqual([gone.code, gone.err], [67, 'Error: User "carol" does not exist\n']);
});

test('queues, exchanges, bindings, connections, channels, consumers; purge, delete, close', async () => {
  const c = await connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort}/`);
  const ch = await c.createChannel();
  await ch.assertQueue('ctl.q');
  await ch.assertExchange('ctl.x', 'fanout');
  await ch.bindQueue('ctl.q', 'ctl.x', '');
  ch.sendToQueue('ctl.q', Buffer.from('a'));
  ch.sendToQueue('ctl.q', Buffer.from('b'));
  await ch.assertQueue('ctl.c');
  await ch.consume('ctl.c', () => {}, { consumerTag: 'ctl-tag' });
  await eventually(async () => (await ctl('-q', 'list_queues', 'name', 'messages_ready')).out.includes('ctl.q\t2\n'));
  const q = await ctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged');
  assert.match(q.out, /^Listing queues for vhost \/ \.\.\.\nname\tmessages_ready\tmessages_unacknowledged\n/);
  assert.match(q.out, /\nctl\.q\t2\t0\n/);
  const j = JSON.parse((await ctl('list_queues', '--formatter', 'json', 'name', 'messages')).out) as { name: string }[];
  assert.ok(j.some((r) => r.name === 'ctl.q'));
  assert.match((await ctl('-q', 'list_exchanges')).out, /\nctl\.x\tfanout\n/);
  assert.match((await ctl('-q', 'list_bindings')).out, /\nctl\.x\texchange\tctl\.q\tqueue\t\t\[\]\n/);
  assert.match(
    (await ctl('-q', 'list_connections')).out,
    /^user\tpeer_host\tpeer_port\tstate\nguest\t127\.0\.0\.1\t\d+\trunning\n/,
  );
  assert.match(
    (await ctl('-q', 'list_channels')).out,
    /^pid\tuser\tconsumer_count\tmessages_unacknowledged\n.* \(1\)\tguest\t1\t0\n/,
  );
  assert.match((await ctl('-q', 'list_consumers')).out, /\nctl\.c\t.* \(1\)\tctl-tag\ttrue\t0\ttrue\t\[\]\n/);
  assert.equal((await ctl('purge_queue', 'ctl.q')).code, 0);
  assert.match((await ctl('-q', 'list_queues', 'name', 'messages')).out, /\nctl\.q\t0\n/);
  const del = await ctl('delete_queue', 'ctl.q');
  assert.match(del.out, /Queue was successfully deleted with 0 messages/);
  const missing = await ctl('delete_queue', 'ctl.q');
  assert.equal(missing.code, 65);
  const name = ((await api.get('/api/connections')) as { name: string }[])[0]!.name;
  const closed = new Promise<Error>((r) => c.on('close', r));
  c.on('error', () => {});
  assert.equal((await ctl('close_connection', name, 'maintenance')).code, 0);
  assert.match((await closed).message, /CONNECTION_FORCED - maintenance|320/);
});

test('vhost limits; lists of a missing vhost print nothing, as rabbitmqctl', async () => {
  assert.equal((await ctl('set_vhost_limits', '{"max-queues": 5}')).code, 0);
  assert.equal((await ctl('-q', 'list_vhost_limits')).out, '{"max-queues":5}\n');
  assert.equal((await ctl('clear_vhost_limits')).code, 0);
  assert.equal((await ctl('-q', 'list_vhost_limits')).out, '');
  assert.deepEqual(await ctl('list_queues', '-p', 'nosuchvh'), {
    code: 0,
    out: 'Listing queues for vhost nosuchvh ...\n',
    err: '',
  });
});

test('user limits: set_user_limits, clear_user_limits, list_user_limits as rabbitmqctl 3.10', async () => {
  await api.req('PUT', '/api/users/ctl-limited', { password: 'pw', tags: '' });
  assert.deepEqual(await ctl('set_user_limits', 'ctl-limited', '{"max-connections": 10, "max-channels": 3}'), {
    code: 0,
    out: 'Setting user limits to "{"max-connections": 10, "max-channels": 3}" for user "ctl-limited" ...\n',
    err: '',
  });
  assert.deepEqual(api.b.broker.users.users.get('ctl-limited')!.limits, { 'max-connections': 10, 'max-channels': 3 });
  assert.equal(
    (await ctl('list_user_limits', '--user', 'ctl-limited')).out,
    'Listing limits for user "ctl-limited" ...\n{"max-channels":3,"max-connections":10}\n',
  );
  assert.equal((await ctl('-q', 'list_user_limits')).out, '{}\n'); // guest, rabbitmqctl's default
  assert.equal((await ctl('clear_user_limits', 'ctl-limited', 'max-channels')).code, 0);
  assert.equal((await ctl('-q', 'list_user_limits', '--user', 'ctl-limited')).out, '{"max-connections":10}\n');
  assert.equal((await ctl('clear_user_limits', 'ctl-limited', 'all')).code, 0);
  assert.equal((await ctl('-q', 'list_user_limits', '--user', 'ctl-limited')).out, '{}\n');
  const missing = await ctl('set_user_limits', 'nouser-zz', '{"max-connections": 1}');
  assert.equal(missing.code, 69);
  assert.match(missing.err, /no_such_user, "nouser-zz"/);
  assert.equal((await ctl('set_user_limits', 'ctl-limited', '{bad')).code, 69);
});

test('browse_queue and redrive_queue (Warren only)', async () => {
  await api.req('PUT', '/api/queues/%2F/ctl.dlq', {});
  await api.req('PUT', '/api/queues/%2F/ctl.to', {});
  await api.req('POST', '/api/exchanges/%2F/amq.default/publish', { routing_key: 'ctl.dlq', payload: 'dead' });
  const b = await ctl('-q', 'browse_queue', 'ctl.dlq');
  assert.equal(b.out, 'position\trouting_key\tredelivered\tpayload\n0\tctl.dlq\tfalse\tdead\n');
  const r = await ctl('redrive_queue', 'ctl.dlq', '--to-exchange', 'amq.default', '--routing-key', 'ctl.to');
  assert.match(r.out, /Redriven: 1, unroutable: 0, remaining: 0/);
  assert.equal(((await api.get('/api/queues/%2F/ctl.to')) as { messages: number }).messages, 1);
});

test('policies, definitions, status', async () => {
  assert.equal(
    (await ctl('set_policy', 'lim', '^lim\\.', '{"max-length":3}', '--priority', '2', '--apply-to', 'queues')).code,
    0,
  );
  assert.equal(
    (await ctl('-q', 'list_policies')).out,
    'vhost\tname\tpattern\tapply-to\tdefinition\tpriority\n/\tlim\t^lim\\.\tqueues\t{"max-length":3}\t2\n',
  );
  assert.equal((await ctl('clear_policy', 'lim')).code, 0);
  assert.equal((await ctl('clear_policy', 'lim')).code, 65);
  const bad = await ctl('set_policy', 'x', '.*', '{nope');
  assert.equal(bad.code, 65);
  const file = join(dir, 'defs.json');
  await api.req('PUT', '/api/queues/%2F/ctl.durable', { durable: true });
  assert.equal((await ctl('export_definitions', file)).code, 0);
  const defs = JSON.parse(await readFile(file, 'utf8')) as { queues: { name: string }[] };
  assert.ok(defs.queues.some((q) => q.name === 'ctl.durable'));
  await api.req('DELETE', '/api/queues/%2F/ctl.durable');
  assert.equal((await ctl('import_definitions', file)).code, 0);
  assert.equal((await api.req('GET', '/api/queues/%2F/ctl.durable')).status, 200);
  const st = await ctl('status');
  assert.match(st.out, /^Status of node warren@/);
  assert.match(st.out, /protocol: amqp/);
  assert.match(st.out, /\nAlarms\n\n\(none\)\n/);
  assert.match(st.out, /\nMemory high watermark setting: 0\.4 of available memory, computed to: \d+ bytes\n/);
});

test('set_vm_memory_high_watermark: a fraction or absolute, status shows the alarm', async () => {
  const node = api.b.broker.nodeName;
  try {
    assert.deepEqual(await ctl('set_vm_memory_high_watermark', '0'), {
      code: 0,
      out: `Setting memory threshold on ${node} to 0 ...\n`,
      err: '',
    });
    assert.equal(api.b.broker.alarms.isRaised('memory'), true);
    const st = await ctl('status');
    assert.match(st.out, new RegExp(`\nAlarms\n\nMemory alarm on node ${node}\n`));
    const json = JSON.parse((await ctl('status', '--formatter', 'json')).out) as Record<string, unknown>;
    assert.deepEqual(json['alarms'], [`Memory alarm on node ${node}`]);
    assert.deepEqual(json['vm_memory_high_watermark_setting'], { relative: 0 });
    const abs = await ctl('set_vm_memory_high_watermark', 'absolute', '4GiB');
    assert.equal(abs.out, `Setting memory threshold on ${node} to 4GiB bytes ...\n`);
    assert.equal(api.b.memory.limit, Math.min(4 * 1024 ** 3, api.b.memory.total));
    assert.equal(api.b.broker.alarms.isRaised('memory'), false);
    assert.match((await ctl('status')).out, /Memory high watermark setting: 4294967296 bytes, computed to: \d+ bytes/);
    const bad = await ctl('set_vm_memory_high_watermark', 'lots');
    assert.deepEqual([bad.code, bad.err], [65, 'Error: Bad argument: lots\n']);
    assert.equal((await ctl('set_vm_memory_high_watermark', 'absolute', 'huge')).code, 65);
  } finally {
    api.b.memory.setWatermark({ relative: 0.4 });
  }
});

test('bad input: unknown command, missing arguments, bad column, wrong password, broker down', async () => {
  const unknown = await ctl('frobnicate');
  assert.deepEqual([unknown.code, unknown.err], [64, "Error: Command 'frobnicate' not found.\n"]);
  const missing = await ctl('add_user', 'x');
  assert.deepEqual([missing.code, missing.err], [64, 'Error: not enough arguments.\n']);
  const col = await ctl('list_queues', 'nosuchcol');
  assert.deepEqual([col.code, col.err], [64, 'Error: Info key(s) nosuchcol are not supported\n']);
  const pw = await ctl('--password', 'wrong', 'list_users');
  assert.deepEqual([pw.code, pw.err], [77, "Error: access refused for user 'guest': Login failed\n"]);
  // a port nothing listens on
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const url = `http://127.0.0.1:${port}`;
  const down = await new Promise<{ code: number; err: string }>((resolve) =>
    execFile(process.execPath, [join(ROOT, 'bin/warren'), 'ctl', '--url', url, 'list_users'], (e, _o, err) =>
      resolve({ code: Number((e as { code?: number } | null)?.code ?? 0), err }),
    ),
  );
  assert.equal(down.code, 69);
  assert.equal(down.err, `Error: unable to connect to Warren's management API at ${url} (ECONNREFUSED)\n`);
});
