// Stream queues in operations, as RabbitMQ shows them: GET /api/queues (type stream, messages = ready,
// 0 unacked, segments, readers, committed offset, consumers with their arguments, Stream protocol subscriptions
// among them), Prometheus's rabbitmq_stream_segments and
// rabbitmq_stream_consumer_max_offset_lag, definitions export/import keeping streams (with super streams),
// and policies changing retention and segment size of existing streams.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type ConfirmChannel } from 'amqplib';
import * as rs from 'rabbitmq-stream-js-client';
import { startApi, type Api } from './helpers.js';
import { eventually, sleep } from '../helpers/broker.js';

let api: Api;
before(async () => {
  api = await startApi();
});

type J = Record<string, unknown>;
const STREAM = { 'x-queue-type': 'stream' };

const conns: { close(): Promise<void> }[] = [];
after(async () => {
  for (const c of conns) await c.close().catch(() => {});
  await api.b.close();
});

async function channel(): Promise<ConfirmChannel> {
  const c = await connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort}/`);
  conns.push(c);
  return c.createConfirmChannel();
}

async function publish(ch: ConfirmChannel, q: string, n: number, size = 16): Promise<void> {
  const body = Buffer.alloc(size, 'x');
  for (let i = 0; i < n; i++) ch.sendToQueue(q, body);
  await ch.waitForConfirms();
}

test('GET /api/queues: type stream, messages, segments, readers; consumers leave messages counted once', async () => {
  const ch = await channel();
  await ch.assertQueue('ops.s', { durable: true, arguments: STREAM });
  await publish(ch, 'ops.s', 100);
  await ch.prefetch(10);
  await ch.consume('ops.s', () => {}, { arguments: { 'x-stream-offset': 'first' } }); // never acks: 10 unacked
  const q = (await eventually(async () => {
    const j = (await api.get('/api/queues/%2F/ops.s')) as J;
    return j['consumers'] === 1 && (j['readers'] as J)[String(j['node'])] === 1 ? j : null;
  }))!;
  assert.equal(q['type'], 'stream');
  assert.equal(q['messages'], 100);
  assert.equal(q['messages_ready'], 100);
  assert.equal(q['messages_unacknowledged'], 0, 'RabbitMQ reports no unacked messages for a stream');
  assert.equal(q['segments'], 1);
  assert.equal(q['committed_offset'], 99);
  assert.deepEqual(q['members'], [q['node']]);
  assert.equal(q['leader'], q['node']);
  // its consumer as RabbitMQ shows it: the consume arguments, and not active (rabbit_stream_queue:consume/3)
  const [k] = q['consumer_details'] as J[];
  assert.deepEqual(k!['arguments'], { 'x-stream-offset': 'first' });
  assert.equal(k!['active'], false);
  assert.equal(k!['prefetch_count'], 10);

  const prom = `http://127.0.0.1:${api.b.prometheusPort}`;
  const per = await (await fetch(prom + '/metrics/per-object')).text();
  assert.match(per, /# TYPE rabbitmq_stream_segments counter\n/);
  assert.match(per, /rabbitmq_stream_segments\{vhost="\/",queue="ops.s"\} 1\n/);
  // the consumer took 10 (offsets 0..9) of 100: lag 99 - 9
  assert.match(per, /rabbitmq_stream_consumer_max_offset_lag\{vhost="\/",queue="ops.s"\} 90\n/);
  assert.match(per, /rabbitmq_queue_messages_unacked\{vhost="\/",queue="ops.s"\} 0\n/);
  const det = await (await fetch(prom + '/metrics/detailed?family=stream_consumer_metrics')).text();
  assert.match(det, /rabbitmq_detailed_stream_consumer_max_offset_lag\{vhost="\/",queue="ops.s"\} 90\n/);
  const agg = await (await fetch(prom + '/metrics')).text();
  assert.match(agg, /\nrabbitmq_stream_segments 1\n/);
});

test('definitions export/import keeps stream queues and super streams', async () => {
  const ch = await channel();
  await ch.assertQueue('ops.def', {
    durable: true,
    arguments: { ...STREAM, 'x-max-length-bytes': 5_000_000, 'x-max-age': '7D' },
  });
  assert.equal((await api.req('PUT', '/api/stream/super-streams/%2F/ops.sup', { partitions: 2 })).status, 204);
  const defs = (await api.get('/api/definitions')) as { queues: J[]; exchanges: J[]; bindings: J[] };
  const q = defs.queues.find((x) => x['name'] === 'ops.def')!;
  assert.deepEqual(q['arguments'], { ...STREAM, 'x-max-length-bytes': 5_000_000, 'x-max-age': '7D' });
  assert.equal(defs.exchanges.find((x) => x['name'] === 'ops.sup')?.['type'], 'direct');

  const other = await (await import('./helpers.js')).startApi();
  try {
    assert.equal((await other.req('POST', '/api/definitions', defs)).status, 204);
    const j = (await other.get('/api/queues/%2F/ops.def')) as J;
    assert.equal(j['type'], 'stream');
    assert.equal(j['segments'], 1, 'the imported stream has its log');
    const sup = (await other.get('/api/stream/super-streams/%2F')) as J[];
    assert.deepEqual(
      sup.map((s) => [s['name'], s['partition_count']]),
      [['ops.sup', 2]],
    );
    // the imported stream takes messages
    const c = await connect(`amqp://guest:guest@127.0.0.1:${other.b.amqpPort}/`);
    const och = await c.createConfirmChannel();
    och.publish('ops.sup', '1', Buffer.from('x'));
    await och.waitForConfirms();
    await eventually(async () => ((await other.get('/api/queues/%2F/ops.sup-1')) as J)['messages'] === 1);
    await c.close();
  } finally {
    await other.b.close();
  }
});

test('a policy changing segment size, max-length-bytes and max-age applies to an existing stream', async () => {
  const ch = await channel();
  await ch.assertQueue('ops.pol', { durable: true, arguments: STREAM });
  await publish(ch, 'ops.pol', 50, 1000);
  const before = (await api.get('/api/queues/%2F/ops.pol')) as J;
  assert.equal(before['segments'], 1);
  // 20 KB segments: the next appends roll; keep at most 60 KB
  const pol = {
    pattern: '^ops\\.pol$',
    'apply-to': 'queues',
    definition: { 'stream-max-segment-size-bytes': 20_000, 'max-length-bytes': 60_000 },
  };
  assert.equal((await api.req('PUT', '/api/policies/%2F/ops-pol', pol)).status, 201);
  for (let i = 0; i < 10; i++) await publish(ch, 'ops.pol', 25, 1000);
  const after = (await api.get('/api/queues/%2F/ops.pol')) as J;
  assert.equal(after['policy'], 'ops-pol');
  assert.ok(Number(after['segments']) >= 3 && Number(after['segments']) <= 5, `segments ${String(after['segments'])}`);
  assert.ok(Number(after['stream_bytes']) <= 60_000 + 25_000, `bytes ${String(after['stream_bytes'])}`);
  assert.ok(Number(after['first_offset']) > 0, 'retention deleted the oldest segments');
  assert.equal(after['messages'], 300 - Number(after['first_offset']));

  // max-age: segments older than 1 s go at the next rollover
  const age = { ...pol, definition: { 'stream-max-segment-size-bytes': 20_000, 'max-age': '1s' } };
  assert.equal((await api.req('PUT', '/api/policies/%2F/ops-pol', age)).status, 204);
  await sleep(1200);
  await publish(ch, 'ops.pol', 25, 1000);
  const aged = (await api.get('/api/queues/%2F/ops.pol')) as J;
  assert.ok(Number(aged['segments']) <= 2, `segments ${String(aged['segments'])} after max-age`);
});

test("a Stream protocol subscription is one of the stream's readers and consumers, with its offset lag", async () => {
  const sapi = await (await import('./helpers.js')).startApi({ streamPort: 0 });
  const client = await rs.connect({
    hostname: 'localhost',
    port: sapi.b.streamPort!,
    username: 'guest',
    password: 'guest',
    vhost: '/',
  });
  try {
    await client.createStream({ stream: 'ops.sub', arguments: {} });
    const pub = await client.declarePublisher({ stream: 'ops.sub' });
    for (let i = 0; i < 20; i++) await pub.send(Buffer.from('m' + i));
    let got = 0;
    await client.declareConsumer({ stream: 'ops.sub', offset: rs.Offset.first(), consumerRef: 'c1' }, () => {
      got++;
    });
    await eventually(() => got === 20);
    const q = (await eventually(async () => {
      const j = (await sapi.get('/api/queues/%2F/ops.sub')) as J;
      return j['consumers'] === 1 ? j : null;
    }))!;
    assert.deepEqual(q['readers'], { [String(q['node'])]: 1 });
    // rabbit_stream_metrics:consumer_created/9: tag stream.subid-N, no ack, prefetch 0, properties as arguments
    const [k] = q['consumer_details'] as J[];
    assert.equal(k!['consumer_tag'], 'stream.subid-0');
    assert.equal(k!['ack_required'], false);
    assert.equal(k!['prefetch_count'], 0);
    assert.equal(k!['active'], true);
    assert.equal(k!['activity_status'], 'up');
    assert.deepEqual(k!['arguments'], {}, 'the client sent no subscription properties');
    const all = (await sapi.get('/api/consumers')) as J[];
    assert.deepEqual(
      all.map((x) => x['consumer_tag']),
      ['stream.subid-0'],
    );
    const det = await (
      await fetch(`http://127.0.0.1:${sapi.b.prometheusPort}/metrics/detailed?family=stream_consumer_metrics`)
    ).text();
    assert.match(det, /rabbitmq_detailed_stream_consumer_max_offset_lag\{vhost="\/",queue="ops.sub"\} 0\n/);
  } finally {
    await client.close();
    await sapi.b.close();
  }
});
