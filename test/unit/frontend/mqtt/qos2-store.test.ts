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

test("a deleted queue's parked QoS 2 deliveries go with it, and a session left empty goes unless connected", async () => {
  // (found by the 1,000,000-case MQTT fuzz run: live memory grew 20 → 44 MiB; a heap snapshot after the cleanup
  // held every deleted mqtt-subscription-…qos2 queue, with its timers and messages, through Qos2State.parked)
  const { Broker } = await import('../../../../src/core/broker.js');
  const { MqttServer } = await import('../../../../src/frontend/mqtt/server.js');
  const { MemoryRetainedStore } = await import('../../../../src/frontend/mqtt/retained.js');
  const { resolveOptions } = await import('../../../../src/options.js');
  const { createLogger } = await import('../../../../src/util/logger.js');
  const broker = new Broker({ loopbackUsers: [] });
  const v = broker.addVHost('/');
  const store = new Qos2Store();
  const server = new MqttServer(broker, resolveOptions({}), createLogger('silent'), new MemoryRetainedStore(), store);
  const decl = { durable: true, exclusive: false, autoDelete: false, args: {} };
  const parked = (name: string) => {
    const queue = v.declareQueue(name, decl, null);
    return { id: 1, queue, entry: {} as never };
  };
  const key = (id: string) => server.sessionKey('/', id);
  // a session whose only state is a parked delivery of its qos2 queue
  const a = new Qos2State();
  a.expiresAt = Date.now() + 86_400_000;
  store.set(key('a'), a);
  store.park(a, parked('mqtt-subscription-aqos2'));
  // one with inbound ids too, and a delivery parked from a shared subscription's queue
  const b = new Qos2State();
  b.incoming.add(7);
  store.set(key('b'), b);
  store.park(b, parked('mqtt-subscription-bqos2'));
  store.park(b, parked('mqtt-shared-g-t'));
  // many stored sessions that parked nothing: a shared queue's deletion no longer tests each of them
  for (let i = 0; i < 1000; i++) store.set(key(`idle${i}`), Object.assign(new Qos2State(), { expiresAt: Infinity }));
  // an AMQP queue's deletion is none of MQTT's business
  v.declareQueue('other', decl, null);
  v.deleteQueue('other', false, false, null);
  assert.equal(store.get(key('a'), Date.now()), a);

  v.deleteQueue('mqtt-subscription-aqos2', false, false, null);
  assert.equal(store.get(key('a'), Date.now()), undefined, 'nothing left of the session: it goes');
  v.deleteQueue('mqtt-shared-g-t', false, false, null);
  assert.deepEqual(
    b.parked.map((p) => p.queue.name),
    ['mqtt-subscription-bqos2'],
  );
  v.deleteQueue('mqtt-subscription-bqos2', false, false, null);
  assert.equal(store.get(key('b'), Date.now()), b, 'its inbound ids stay with the session');
  assert.deepEqual(b.parked, []);
  await server.close();
  assert.equal(broker.queueDeletedListeners.size, 0);
});
