// frontend/net/read-gate.ts: reading resumes only once no reason to pause holds (budget, flow, alarm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ReadGate } from '../../../../src/frontend/net/read-gate.js';
import { READ_BUDGET } from '../../../../src/frontend/net/read-budget.js';
import type { Queue } from '../../../../src/core/queue/queue.js';

function gate(): { s: PassThrough; g: ReadGate; resumes: () => number } {
  const s = new PassThrough();
  s.resume();
  let n = 0;
  const g = new ReadGate(s, () => n++);
  return { s, g, resumes: () => n };
}

const q1 = {} as Queue;
const q2 = {} as Queue;

test('past the budget reading pauses for the rest of the turn, then resumes', async () => {
  const { s, g, resumes } = gate();
  g.read(READ_BUDGET - 1);
  assert.equal(s.isPaused(), false);
  g.read(1);
  assert.equal(s.isPaused(), true);
  await nextTurn();
  assert.equal(s.isPaused(), false);
  assert.equal(resumes(), 1);
});

test('flow control from two queues: reading resumes when both have caught up, not at the turn end', async () => {
  const { s, g } = gate();
  assert.equal(g.flowBlock(q1), true);
  assert.equal(g.flowBlock(q1), false, 'already blocked by it');
  g.flowBlock(q2);
  g.read(READ_BUDGET);
  await nextTurn();
  assert.equal(s.isPaused(), true);
  g.flowResume(q1);
  assert.equal(s.isPaused(), true);
  g.flowResume(q2);
  assert.equal(s.isPaused(), false);
});

test('an alarm block pauses after the chunk and holds until unblock, whatever else resumes', async () => {
  const { s, g } = gate();
  g.flowBlock(q1);
  g.blocked = true;
  g.read(10);
  assert.equal(s.isPaused(), true);
  assert.equal(g.held, true);
  g.flowResume(q1);
  await nextTurn();
  assert.equal(s.isPaused(), true);
  g.unblock();
  assert.equal(s.isPaused(), false);
  assert.equal(g.held, false);
});

test('a closed gate never resumes', () => {
  const { s, g } = gate();
  g.flowBlock(q1);
  g.close();
  g.flowResume(q1);
  assert.equal(s.isPaused(), true);
});
