// Admission of new connections per event-loop turn (src/frontend/net/admission.ts): a burst of connects is
// started a few per turn, each within the turn's budget, all of them in the end (none starved), and a socket
// still waiting when its listener closes is destroyed, not started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { listen } from '../../../../src/frontend/net/listener.js';
import { admission, TURN_BUDGET_MS } from '../../../../src/frontend/net/admission.js';

/** A connection's start costing `ms` of CPU (a handshake, an error and a close under fuzzing). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

function connectAndEcho(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write('x'));
    c.once('data', () => {
      c.destroy();
      resolve();
    });
    c.on('error', reject);
  });
}

test("past the turn's budget, new connections wait for a later turn; every one is served", async () => {
  // each read costs 1 ms (a handshake, an error, a close under fuzzing): once a turn's reads have spent the
  // budget, connections accepted in it wait, and start a few a turn
  const COST_MS = 1;
  let startedThisTurn = 0;
  let maxPerTurn = 0;
  let running = true;
  // the turn boundary: an immediate that re-arms itself runs once per loop iteration
  const tick = (): void => {
    maxPerTurn = Math.max(maxPerTurn, startedThisTurn);
    startedThisTurn = 0;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  let maxBacklog = 0;
  const l = await listen(
    0,
    ['127.0.0.1'],
    (s) => {
      startedThisTurn++;
      s.on('data', (d) => {
        admission.touch();
        busy(COST_MS);
        maxBacklog = Math.max(maxBacklog, admission.backlog);
        s.end(d);
      });
    },
    null,
    true,
  );
  try {
    await Promise.all(Array.from({ length: 300 }, () => connectAndEcho(l.port)));
  } finally {
    running = false;
    await l.close();
  }
  assert.ok(maxBacklog > 0, 'some connections waited for a later turn');
  assert.equal(admission.backlog, 0, 'none left waiting');
  assert.ok(maxPerTurn < 300, `${maxPerTurn} started in one turn`);
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
