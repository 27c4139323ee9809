// Beyond RabbitMQ: browse without consuming (filters on routing key and headers; delivery state unchanged)
// and redrive of dead-lettered messages to their origin (x-death) or to a chosen exchange, with amqplib
// producing the dead letters the way applications do (nack without requeue into a DLX).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type ChannelModel } from 'amqplib';
import { eventually } from '../helpers/broker.js';
import { startApi, type Api } from './helpers.js';

let api: Api;
let c: ChannelModel;
type J = Record<string, unknown>;
before(async () => {
  api = await startApi();
  c = await connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort}/`);
});
after(async () => {
  await c.close();
  await api.b.close();
});

test('browse by position with routing-key and header filters leaves messages untouched', async () => {
  const ch = await c.createChannel();
  await ch.assertQueue('br.q');
  for (let i = 0; i < 5; i++) {
    ch.publish('', 'br.q', Buffer.from(`m${i}`), { headers: { kind: i % 2 === 0 ? 'even' : 'odd' } });
  }
  await eventually(async () => ((await api.get('/api/queues/%2F/br.q')) as J)['messages'] === 5);
  const all = (await api.req('POST', '/api/queues/%2F/br.q/browse', { offset: 1, count: 2 })).json as J[];
  assert.deepEqual(
    all.map((m) => [m['position'], m['payload']]),
    [
      [1, 'm1'],
      [2, 'm2'],
    ],
  );
  const even = (await api.req('POST', '/api/queues/%2F/br.q/browse', { count: 10, headers: { kind: 'even' } }))
    .json as J[];
  assert.deepEqual(
    even.map((m) => m['payload']),
    ['m0', 'm2', 'm4'],
  );
  const none = (await api.req('POST', '/api/queues/%2F/br.q/browse', { routing_key: '^nope$' })).json as J[];
  assert.deepEqual(none, []);
  // nothing was delivered or redelivered: a consumer gets m0 first, not redelivered
  const m = await ch.get('br.q', { noAck: true });
  assert.ok(m);
  assert.equal(m.content.toString(), 'm0');
  assert.equal(m.fields.redelivered, false);
  assert.equal(((await api.get('/api/queues/%2F/br.q')) as J)['messages'], 4);
});

test('redrive dead-lettered messages to their origin, then to a chosen exchange', async () => {
  const ch = await c.createChannel();
  await ch.assertQueue('rd.dlq');
  await ch.assertQueue('rd.work', { deadLetterExchange: '', deadLetterRoutingKey: 'rd.dlq' });
  for (let i = 0; i < 3; i++) ch.sendToQueue('rd.work', Buffer.from(`job${i}`));
  // a consumer rejects them all: they go to rd.dlq with an x-death naming rd.work's exchange and key
  let seen = 0;
  const { consumerTag } = await ch.consume('rd.work', (msg) => {
    if (msg) {
      seen++;
      ch.nack(msg, false, false);
    }
  });
  await eventually(async () => ((await api.get('/api/queues/%2F/rd.dlq')) as J)['messages'] === 3);
  await ch.cancel(consumerTag);
  assert.equal(seen, 3);
  const browsed = (await api.req('POST', '/api/queues/%2F/rd.dlq/browse', { count: 1 })).json as J[];
  const xdeath = ((browsed[0]!['properties'] as J)['headers'] as J)['x-death'] as J[];
  assert.equal(xdeath[0]!['queue'], 'rd.work');

  const r = await api.req('POST', '/api/queues/%2F/rd.dlq/redrive', { count: 2 });
  assert.deepEqual(r.json, { redriven: 2, unroutable: 0, remaining: 1 });
  assert.equal(((await api.get('/api/queues/%2F/rd.work')) as J)['messages'], 2);
  const back = await ch.get('rd.work', { noAck: true });
  assert.ok(back);
  assert.equal(back.content.toString(), 'job0');

  await ch.assertQueue('rd.other');
  await ch.bindQueue('rd.other', 'amq.direct', 'k');
  const to = await api.req('POST', '/api/queues/%2F/rd.dlq/redrive', { exchange: 'amq.direct', routing_key: 'k' });
  assert.deepEqual(to.json, { redriven: 1, unroutable: 0, remaining: 0 });
  assert.equal(((await api.get('/api/queues/%2F/rd.other')) as J)['messages'], 1);
  assert.equal((await api.req('POST', '/api/queues/%2F/rd.dlq/redrive', { exchange: 'missing' })).status, 404);
});
