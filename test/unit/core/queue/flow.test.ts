// A queue's flow control (src/core/queue/flow.ts): publishers pause while consumers catch up with a backlog
// over the high-water mark, and are let go once it is under the low-water marks, or as soon as a check finds
// the consumers are not catching up (stuck at their prefetch, or slow): RabbitMQ never holds a publisher back
// for its consumers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FLOW_CHECK_MS, QueueFlow } from '../../../../src/core/queue/flow.js';
import type { ReadyList } from '../../../../src/core/queue/ready.js';

function setup(): { flow: QueueFlow<string>; ready: { length: number; bytes: number }; resumed: string[] } {
  const ready = { length: 0, bytes: 0 };
  const flow = new QueueFlow<string>('q', () => ready as unknown as ReadyList);
  return { flow, ready, resumed: [] };
}

test('no consumers, or a backlog under the high-water marks: not overloaded', () => {
  const { flow, ready } = setup();
  ready.length = 50_000;
  assert.equal(flow.overloaded(false), false);
  ready.length = 20_000;
  assert.equal(flow.overloaded(true), false);
  ready.length = 20_001;
  assert.equal(flow.overloaded(true), true);
  ready.length = 10;
  ready.bytes = 16 * 1024 * 1024 + 1;
  assert.equal(flow.overloaded(true), true, 'by bytes too');
});

test('consumers catching up: the publisher waits until the backlog is under both low-water marks', async () => {
  const { flow, ready, resumed } = setup();
  ready.length = 20_001;
  flow.block({ flowResume: (q) => resumed.push(q) });
  // a quarter of the excess or more is taken per check: still held
  await sleep(FLOW_CHECK_MS / 2);
  ready.length = 12_000;
  await sleep(FLOW_CHECK_MS);
  assert.deepEqual(resumed, []);
  ready.length = 6_000;
  flow.caughtUpCheck();
  assert.deepEqual(resumed, [], 'over the low-water mark still');
  ready.length = 4_999;
  flow.caughtUpCheck();
  assert.deepEqual(resumed, ['q']);
});

test('consumers not catching up: the publisher is let go at the next check and not held again until caught up', async () => {
  const { flow, ready, resumed } = setup();
  ready.length = 20_001;
  flow.block({ flowResume: (q) => resumed.push(q) });
  ready.length = 19_990; // a consumer acking a few a second
  await sleep(FLOW_CHECK_MS * 1.5);
  assert.deepEqual(resumed, ['q']);
  ready.length = 60_000;
  assert.equal(flow.overloaded(true), false, 'its publishers go on while the consumers are this slow');
  // once the queue has caught up, a new backlog is throttled again
  ready.length = 100;
  flow.caughtUpCheck();
  ready.length = 20_001;
  assert.equal(flow.overloaded(true), true);
});

test('releaseAll lets every paused publisher go at once (consumers gone, queue deleted)', () => {
  const { flow, ready, resumed } = setup();
  ready.length = 30_000;
  flow.block({ flowResume: () => resumed.push('a') });
  flow.block({ flowResume: () => resumed.push('b') });
  flow.releaseAll();
  assert.deepEqual(resumed.sort(), ['a', 'b']);
});
