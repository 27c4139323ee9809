// A new connection's reads once the event-loop turn has spent its budget (src/frontend/net/deferred-reads.ts,
// admission.ts): kept (a copy: the shared read buffer is reused), the socket paused, handled in order at the
// end of the turn, then reading resumes; an established connection's reads are never held back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { DeferredReads } from '../../../../src/frontend/net/deferred-reads.js';
import { admission, NEW_CONNECTION_MS, TURN_BUDGET_MS } from '../../../../src/frontend/net/admission.js';
import { releaseVirtualClock, useVirtualClock } from '../../../../src/util/clock.js';

/** The turn's budget spent (a turn's reads of other connections). */
function spendTurn(): void {
  admission.touch();
  const end = performance.now() + TURN_BUDGET_MS + 1;
  while (performance.now() < end);
}

test('a new connection: within the budget read at once; past it kept (copied), paused, handled in order at the end of the turn', async () => {
  const socket = new PassThrough();
  const got: string[] = [];
  let resumed = 0;
  const d = new DeferredReads(
    socket,
    (c) => got.push(c.toString()),
    () => resumed++,
    true,
  );
  await new Promise((r) => setImmediate(r));
  admission.touch();
  assert.equal(d.defer(Buffer.from('a')), false, 'the turn has time left: handled by the caller now');
  spendTurn();
  const shared = Buffer.from('b');
  assert.equal(d.defer(shared), true);
  shared[0] = 0x7a; // the shared read buffer's next read
  assert.equal(d.defer(Buffer.from('c')), true, 'after a kept chunk, the next is kept too (order)');
  assert.ok(socket.isPaused());
  assert.deepEqual(got, []);
  assert.equal(admission.backlog, 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, ['b', 'c'], 'the copies, in order');
  assert.equal(resumed, 1);
  assert.equal(admission.backlog, 0);
});

test('an established connection (older than NEW_CONNECTION_MS) is never held back', async () => {
  const clock = useVirtualClock();
  try {
    const d = new DeferredReads(
      new PassThrough(),
      () => {},
      () => {},
      true,
    );
    clock.advance(NEW_CONNECTION_MS);
    await new Promise((r) => setImmediate(r));
    spendTurn();
    assert.equal(d.defer(Buffer.from('x')), false);
  } finally {
    releaseVirtualClock();
  }
});
