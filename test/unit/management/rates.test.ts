// The rate sampler: per-second rates from Queue.stats differences between ticks, node totals that keep
// counting after a queue is deleted, and queue-depth rates; no timer needed (ticks driven by the test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Broker } from '../../../src/core/broker.js';
import { RateSampler } from '../../../src/management/rates.js';

test('rates and totals from queue counters', () => {
  const b = new Broker({ loopbackUsers: [] });
  const v = b.addVHost('/');
  const q = v.declareQueue('r', { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
  const s = new RateSampler(b);
  s.tick(1000);
  q.stats.publish += 50;
  v.stats.publish += 50; // what channels published (the node's publish rate)
  q.stats.deliver += 15;
  q.stats.getNoAck += 5;
  q.stats.getEmpty += 2;
  s.tick(3000);
  assert.deepEqual(s.queue(q)!.rates, {
    publish: 25,
    deliver: 7.5,
    deliver_no_ack: 0,
    get: 0,
    get_no_ack: 2.5,
    get_empty: 1,
    deliver_get: 10,
    ack: 0,
    redeliver: 0,
  });
  assert.equal(s.totals.publish, 50);
  assert.equal(s.rates.publish, 25);
  v.deleteQueueObject(q);
  s.tick(4000);
  assert.equal(s.currentTotals().publish, 50);
  assert.equal(s.rates.publish, 0);
  assert.equal(s.history.length, 3);
});

test('a queue deleted between two ticks still counts in its vhost and the node (VHost.retired)', () => {
  const b = new Broker({ loopbackUsers: [] });
  const v = b.addVHost('/');
  const s = new RateSampler(b);
  s.tick(1000);
  const q = v.declareQueue('short', { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
  q.stats.deliverNoAck += 8;
  q.stats.getEmpty += 2;
  v.deleteQueueObject(q);
  assert.equal(s.currentTotals().deliver_no_ack, 8);
  s.tick(3000);
  assert.equal(s.vhostQueueStats(v).last.deliver_get, 8);
  assert.equal(s.vhostQueueStats(v).rates.deliver_no_ack, 4);
  assert.equal(s.rates.get_empty, 1);
});
