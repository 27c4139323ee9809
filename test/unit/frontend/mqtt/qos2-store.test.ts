// The store of persistent MQTT sessions' QoS 2 state drops sessions that expired even if their client never
// comes back (found by the fuzzer's memory check: thousands of random client ids' states stayed for good).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Qos2State, Qos2Store } from '../../../../src/frontend/mqtt/qos2-store.js';

test('expired sessions whose clients never return are dropped (swept at most once a minute)', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const store = new Qos2Store();
  const sessions = (store as unknown as { sessions: Map<string, Qos2State> }).sessions;
  const gone = new Qos2State();
  gone.incoming.add(1);
  gone.expiresAt = Date.now() + 10_000;
  store.set('/:gone', gone);
  const kept = new Qos2State();
  kept.incoming.add(2);
  kept.expiresAt = Date.now() + 3_600_000;
  store.set('/:kept', kept);
  t.mock.timers.tick(30_000);
  store.set('/:other', new Qos2State());
  assert.ok(sessions.has('/:gone'), 'not swept twice within a minute');
  t.mock.timers.tick(31_000);
  store.set('/:another', new Qos2State());
  assert.ok(!sessions.has('/:gone'), 'the expired session is gone');
  assert.equal(store.get('/:kept', Date.now()), kept, 'an unexpired one stays');
});
