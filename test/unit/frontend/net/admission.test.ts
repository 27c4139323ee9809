// Admission of new connections per event-loop turn (src/frontend/net/admission.ts): a socket accepted when
// the turn has spent its budget waits and starts at the end of the turn or a later one, in order, at least one
// a turn (none starved); a socket still waiting when its listener closes is destroyed, not started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { listen } from '../../../../src/frontend/net/listener.js';
import { admission, TURN_BUDGET_MS } from '../../../../src/frontend/net/admission.js';

/** A connection's start costing `ms` of CPU (a handshake, an error and a close under fuzzing). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('sockets accepted once the turn is spent start at the end of the turn, in order, at least one a turn', async () => {
  await new Promise((r) => setImmediate(r));
  // the turn's reads of other connections have spent its budget
  admission.touch();
  busy(TURN_BUDGET_MS + 1);
  const started: number[] = [];
  for (let i = 0; i < 3; i++) {
    admission.admit(new PassThrough() as unknown as Socket, () => {
      started.push(i);
      busy(TURN_BUDGET_MS + 1); // each start costs more than a turn's budget
    });
  }
  assert.deepEqual(started, [], 'none started in the spent turn');
  assert.equal(admission.backlog, 3);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0], 'one at the end of the turn (its budget spent by it)');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  assert.equal(admission.backlog, 0);
});

test('sockets still waiting when the listener closes are destroyed, not started', async () => {
  let started = 0;
  let closing: Promise<void> | null = null;
  const l = await listen(
    0,
    ['127.0.0.1'],
    (s) => {
      started++;
      s.destroy();
      busy(TURN_BUDGET_MS + 1);
      // after the first start the turn is spent: close the listener with the rest waiting
      closing ??= l.close();
    },
    null,
    true,
  );
  const ends = Array.from(
    { length: 50 },
    () =>
      new Promise<void>((resolve) => {
        const c = net.connect(l.port, '127.0.0.1');
        c.on('error', () => resolve());
        c.on('close', () => resolve());
      }),
  );
  await Promise.all(ends);
  await closing;
  assert.ok(started >= 1 && started < 50, `${started} of 50 started`);
  assert.equal(admission.backlog, 0);
});
