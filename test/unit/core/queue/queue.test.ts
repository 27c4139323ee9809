// Dispatch: round-robin, capacity, priorities, requeue to the original position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from '../../../../src/core/queue/queue.js';
import type { Consumer } from '../../../../src/core/queue/queue.js';
import type { QueuedMessage } from '../../../../src/core/message.js';
import { msg } from '../helpers.js';

class TestConsumer implements Consumer {
  readonly got: QueuedMessage[] = [];
  exclusive = false;
  noAck = false;
  constructor(
    readonly tag: string,
    public capacity = Infinity,
    readonly priority = 0,
  ) {}
  canTake(): boolean {
    return this.got.length < this.capacity;
  }
  deliver(e: QueuedMessage): void {
    this.got.push(e);
  }
  cancelByServer(): void {}
  excludes(): boolean {
    return false;
  }
  bodies(): string[] {
    return this.got.map((e) => e.msg.body.toString());
  }
}

function queue(): Queue {
  return new Queue('q', '/', false, null, false, {}, 'classic', { autoDelete: () => {}, deadLetter: () => {} });
}

test('round-robin between consumers', () => {
  const q = queue();
  const a = new TestConsumer('a');
  const b = new TestConsumer('b');
  q.addConsumer(a);
  q.addConsumer(b);
  for (let i = 0; i < 6; i++) q.enqueue(msg('k', null, String(i)));
  assert.deepEqual(a.bodies(), ['0', '2', '4']);
  assert.deepEqual(b.bodies(), ['1', '3', '5']);
  assert.equal(q.unackedCount, 6);
});

test('a consumer without capacity is skipped; messages wait when nobody can take them', () => {
  const q = queue();
  const a = new TestConsumer('a', 1);
  const b = new TestConsumer('b', 1);
  q.addConsumer(a);
  q.addConsumer(b);
  for (let i = 0; i < 4; i++) q.enqueue(msg('k', null, String(i)));
  assert.deepEqual(a.bodies(), ['0']);
  assert.deepEqual(b.bodies(), ['1']);
  assert.equal(q.messageCount, 2);
  a.capacity = 2;
  q.dispatch();
  assert.deepEqual(a.bodies(), ['0', '2']);
});

test('requeued messages return to their original position, marked redelivered', () => {
  const q = queue();
  const a = new TestConsumer('a', 3);
  q.addConsumer(a);
  for (let i = 0; i < 5; i++) q.enqueue(msg('k', null, String(i)));
  assert.deepEqual(a.bodies(), ['0', '1', '2']);
  q.removeConsumer(a);
  q.requeue([a.got[2]!, a.got[0]!]);
  assert.deepEqual(
    [...q.ready].map((e) => [e.msg.body.toString(), e.redelivered]),
    [
      ['0', true],
      ['2', true],
      ['3', false],
      ['4', false],
    ],
  );
});

test('higher-priority consumers are served first, lower ones when they are full', () => {
  const q = queue();
  const low = new TestConsumer('low', Infinity, 0);
  const high = new TestConsumer('high', 2, 10);
  q.addConsumer(low);
  q.addConsumer(high);
  for (let i = 0; i < 4; i++) q.enqueue(msg('k', null, String(i)));
  assert.deepEqual(high.bodies(), ['0', '1']);
  assert.deepEqual(low.bodies(), ['2', '3']);
});

test('purge drops ready messages only; get takes the head', () => {
  const q = queue();
  for (let i = 0; i < 3; i++) q.enqueue(msg('k', null, String(i)));
  assert.equal(q.get(false)!.msg.body.toString(), '0');
  assert.equal(q.purge(), 2);
  assert.equal(q.unackedCount, 1);
});
