// Message TTL: RabbitMQ's expiration parsing, expiry at the head, one timer per queue whatever the count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from '../../../../src/core/queue/queue.js';
import { OneTimer, parseExpiration } from '../../../../src/core/queue/ttl.js';
import { BrokerError } from '../../../../src/core/errors.js';
import { Message } from '../../../../src/core/message.js';
import { testFormat } from '../helpers.js';

test('expiration strings as rabbit_basic:parse_expiration reads them', () => {
  assert.equal(parseExpiration('0'), 0);
  assert.equal(parseExpiration('60000'), 60000);
  assert.equal(parseExpiration('+5'), 5);
  const text = (s: string): string => {
    try {
      parseExpiration(s);
      return 'ok';
    } catch (e) {
      assert.ok(e instanceof BrokerError);
      assert.equal(e.kind, 'PRECONDITION_FAILED');
      return e.message;
    }
  };
  assert.equal(text(''), "invalid expiration '': no_integer");
  assert.equal(text('x1'), "invalid expiration 'x1': no_integer");
  assert.equal(text('-3'), "invalid expiration '-3': {value_negative,-3}");
  assert.equal(text('10ms'), 'invalid expiration \'10ms\': {leftover_string,"ms"}');
});

// (the timers are unref'd, so Node's active-resource list does not show them: OneTimer counts its own)
const timers = (): number => OneTimer.armedCount;

test('100,000 messages with TTLs in 10 queues cost one timer per queue, not one per message', () => {
  const before = timers();
  const qs: Queue[] = [];
  for (let i = 0; i < 10; i++) {
    const args = { 'x-message-ttl': 60000 };
    qs.push(new Queue(`q${i}`, '/', false, null, false, args, 'classic', { autoDelete() {}, deadLetter() {} }));
  }
  const now = Date.now();
  for (let n = 0; n < 100000; n++) {
    const exp = n % 2 === 0 ? null : String(30000 + (n % 1000));
    qs[n % 10]!.enqueue(new Message(testFormat, '', 'k', Buffer.alloc(2), Buffer.alloc(0), false, 0, exp, now, 0));
  }
  assert.equal(timers() - before, 10, 'one head timer per queue');
  for (const q of qs) q.markDeleted();
});

test('expired messages leave at the head, dead-lettered with reason expired', async () => {
  const dead: [string, string][] = [];
  const args = { 'x-message-ttl': 30, 'x-dead-letter-exchange': 'dlx' };
  const q = new Queue('q', '/', false, null, false, args, 'classic', {
    autoDelete() {},
    deadLetter: (_q, m, reason) => dead.push([m.body.toString(), reason]),
  });
  const mk = (b: string, exp: string | null): Message =>
    new Message(testFormat, '', 'k', Buffer.alloc(2), Buffer.from(b), false, 0, exp, Date.now(), 0);
  q.enqueue(mk('a', null));
  q.enqueue(mk('b', '5')); // shorter, but behind 'a': expires when it reaches the head, as in RabbitMQ
  q.enqueue(mk('c', '100000'));
  assert.equal(q.messageCount, 3);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(dead, [
    ['a', 'expired'],
    ['b', 'expired'],
    ['c', 'expired'],
  ]);
  assert.equal(q.messageCount, 0);
});

test('dead-lettering a message whose headers cannot be decoded drops it without throwing', async () => {
  const { VHost } = await import('../../../../src/core/vhost.js');
  const { amqpFormat } = await import('../../../../src/frontend/amqp/format.js');
  const v = new VHost('/');
  v.declareExchange('dlx', { type: 'fanout', durable: false, autoDelete: false, internal: false, args: {} });
  const dlq = v.declareQueue('dlq', { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
  v.bindQueue('dlq', 'dlx', '', {}, null);
  const q = v.declareQueue(
    'q',
    {
      durable: false,
      exclusive: false,
      autoDelete: false,
      args: { 'x-message-ttl': 5, 'x-dead-letter-exchange': 'dlx' },
    },
    null,
  );
  const bad = Buffer.from([0x20, 0x00, 0, 0, 0, 4, 1, 0x61, 0x5a, 0]);
  q.enqueue(new Message(amqpFormat, '', 'q', bad, Buffer.from('x'), false, 0, null, Date.now(), 0));
  q.enqueue(new Message(amqpFormat, '', 'q', Buffer.from([0, 0]), Buffer.from('y'), false, 0, null, Date.now(), 0));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(q.messageCount, 0);
  assert.equal(dlq.messageCount, 1);
  assert.equal(dlq.get(true)!.msg.body.toString(), 'y');
});
