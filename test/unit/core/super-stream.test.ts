// Super streams as rabbit_stream_manager builds them: an x-super-stream direct exchange, partition streams
// bound with x-stream-partition-order; partitions, route, partition index, delete and the error reasons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VHost } from '../../../src/core/vhost.js';
import { StreamQueue } from '../../../src/core/queue/stream/stream-queue.js';
import {
  createStream,
  createSuperStream,
  deleteStream,
  deleteSuperStream,
  layoutFromBindingKeys,
  layoutFromPartitions,
  partitionIndex,
  routeSuperStream,
  streamQueueArguments,
  superStreamPartitions,
  superStreamPermissions,
} from '../../../src/core/super-stream.js';

function create(v: VHost, name: string, l = layoutFromPartitions(name, 3), args = {}): void {
  createSuperStream(v, name, l.partitions, args, l.bindingKeys);
}

test('--partitions 3: exchange x-super-stream, streams NAME-0..2 bound with keys 0..2 in order', () => {
  const v = new VHost('/');
  create(v, 'invoices');
  const x = v.getExchange('invoices');
  assert.equal(x.type, 'direct');
  assert.equal(x.durable, true);
  assert.deepEqual(x.args, { 'x-super-stream': true });
  for (let i = 0; i < 3; i++) {
    const q = v.getQueue(`invoices-${i}`);
    assert.ok(q instanceof StreamQueue);
    assert.equal(q.durable, true);
    assert.equal(q.args['x-queue-type'], 'stream');
    assert.equal(q.args['x-queue-leader-locator'], 'balanced', 'default leader locator, as RabbitMQ');
  }
  const keys = [...x.bindings.values()].map((b) => [b.destination.name, b.routingKey, b.args]);
  assert.deepEqual(keys, [
    ['invoices-0', '0', { 'x-stream-partition-order': 0 }],
    ['invoices-1', '1', { 'x-stream-partition-order': 1 }],
    ['invoices-2', '2', { 'x-stream-partition-order': 2 }],
  ]);
  assert.deepEqual(superStreamPartitions(v, 'invoices'), ['invoices-0', 'invoices-1', 'invoices-2']);
  assert.deepEqual(routeSuperStream(v, 'invoices', '1'), ['invoices-1']);
  assert.deepEqual(routeSuperStream(v, 'invoices', 'nope'), [], 'no_route');
  assert.equal(partitionIndex(v, 'invoices', 'invoices-2'), 2);
});

test('--binding-keys: streams NAME-KEY, keys trimmed, blanks dropped; partitions by order not by name', () => {
  const v = new VHost('/');
  const l = layoutFromBindingKeys('cities', ' paris , ,amsterdam,berlin');
  assert.deepEqual(l, {
    partitions: ['cities-paris', 'cities-amsterdam', 'cities-berlin'],
    bindingKeys: ['paris', 'amsterdam', 'berlin'],
  });
  create(v, 'cities', l);
  assert.deepEqual(superStreamPartitions(v, 'cities'), ['cities-paris', 'cities-amsterdam', 'cities-berlin']);
  assert.deepEqual(routeSuperStream(v, 'cities', 'berlin'), ['cities-berlin']);
  assert.equal(partitionIndex(v, 'cities', 'cities-amsterdam'), 1);
  assert.throws(() => partitionIndex(v, 'cities', 'other'), { reason: 'stream_not_found' });
});

test('stream arguments become queue arguments (rabbit_stream_manager:stream_queue_arguments)', () => {
  const v = new VHost('/');
  create(v, 's', layoutFromPartitions('s', 2), {
    'max-length-bytes': '1000000',
    'max-age': '3600s',
    'stream-max-segment-size-bytes': 50000,
    ignored: 'x',
  });
  const q = v.getQueue('s-1');
  assert.equal(q.args['x-max-length-bytes'], 1000000);
  assert.equal(q.args['x-max-age'], '3600s');
  assert.equal(q.args['x-stream-max-segment-size-bytes'], 50000);
  assert.equal(q.args['ignored'], undefined);
  assert.equal(q.settings.maxAge, 3_600_000);
  assert.throws(() => streamQueueArguments({ 'max-length-bytes': 'lots' }), { reason: 'validation_failed' });
  assert.throws(() => streamQueueArguments({ 'stream-filter-size-bytes': '300' }), { reason: 'validation_failed' });
  assert.throws(() => streamQueueArguments({ 'queue-leader-locator': 'nearest' }), { reason: 'validation_failed' });
});

test('creation errors in rabbit_stream_manager order, nothing left behind', () => {
  const v = new VHost('/');
  assert.throws(() => createSuperStream(v, 's', ['s-0', 's-1'], {}, ['0']), {
    reason: 'validation_failed',
    message: 'There must be the same number of partitions and binding keys',
  });
  assert.throws(() => createSuperStream(v, 's', ['s-0', 's-0'], {}, ['0', '1']), {
    reason: 'validation_failed',
    message: 'Duplicate partition names found s-0s-0',
  });
  assert.throws(() => createSuperStream(v, 's', ['amq.s'], {}, ['0']), { reason: 'validation_failed' });
  assert.throws(() => createSuperStream(v, 'amq.s', ['s-0'], {}, ['0']), {
    reason: 'validation_failed',
    message: 'amq.s is not a correct name for a super stream',
  });
  v.declareExchange('taken', { type: 'fanout', durable: true, autoDelete: false, internal: false, args: {} });
  assert.throws(() => create(v, 'taken'), {
    reason: 'reference_already_exists',
    message: 'there is already an exchange named taken',
  });
  v.declareQueue('q-1', { durable: true, exclusive: false, autoDelete: false, args: {} }, null);
  assert.throws(() => create(v, 'q'), {
    reason: 'reference_already_exists',
    message: 'there is already a queue named q-1',
  });
  assert.equal(v.exchanges.has('q'), false);
  assert.equal(v.queues.has('q-0'), false);
  // a refused stream argument rolls back the exchange and the partitions already created
  assert.throws(() => create(v, 'r', layoutFromPartitions('r', 2), { 'max-age': 'forever' }), {
    reason: 'validation_failed',
  });
  assert.equal(v.exchanges.has('r'), false);
  assert.equal(v.queues.has('r-0'), false);
  // the vhost's queue limit counts every partition
  v.maxQueues = 3;
  assert.throws(() => create(v, 'lim'), {
    reason: 'validation_failed',
    message: `Cannot declare super stream <<"lim">> with 3 partition(s) because queue limit 3 in vhost '<<"/">>' is reached`,
  });
});

test('delete: exchange and partitions go; a missing super stream is stream_not_found', () => {
  const v = new VHost('/');
  create(v, 'd');
  v.declareQueue('other', { durable: true, exclusive: false, autoDelete: false, args: {} }, null);
  v.bindQueue('other', 'd', 'x', {}, null); // a classic queue bound too is no partition and stays
  assert.deepEqual(superStreamPartitions(v, 'd'), ['d-0', 'd-1', 'd-2']);
  deleteStream(v, 'd-1'); // a partition already gone is skipped
  deleteSuperStream(v, 'd');
  assert.equal(v.exchanges.has('d'), false);
  for (const q of ['d-0', 'd-1', 'd-2']) assert.equal(v.queues.has(q), false);
  assert.equal(v.queues.has('other'), true);
  assert.throws(() => deleteSuperStream(v, 'd'), { reason: 'stream_not_found' });
  assert.throws(() => superStreamPartitions(v, 'd'), { reason: 'stream_not_found' });
  assert.throws(() => routeSuperStream(v, 'd', '0'), { reason: 'stream_not_found' });
  assert.throws(() => deleteStream(v, 'other'), { reason: 'reference_not_found' });
});

test('createStream: existing name is reference_already_exists, refused arguments validation_failed', () => {
  const v = new VHost('/');
  const q = createStream(v, 'st', { 'max-length-bytes': '10' });
  assert.ok(q instanceof StreamQueue);
  assert.throws(() => createStream(v, 'st', {}), { reason: 'reference_already_exists' });
  assert.throws(() => createStream(v, '', {}), { reason: 'validation_failed' });
  assert.throws(() => createStream(v, 'amq.x', {}), { reason: 'validation_failed' });
  assert.equal(createStream(v, 'a\r\nb', {}).name, 'ab', 'CR and LF removed, as rabbit_stream_utils');
});

test('permissions a super stream takes, in RabbitMQ order', () => {
  assert.deepEqual(
    superStreamPermissions('s', ['s-0']).map((p) => `${p.perm}:${p.kind}:${p.name}`),
    ['configure:exchange:s', 'configure:queue:s-0', 'read:exchange:s', 'write:queue:s-0'],
  );
});
