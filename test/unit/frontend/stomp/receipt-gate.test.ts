// SEND receipts wait for the message store's fsync (as RabbitMQ's STOMP adapter waits for the publisher
// confirm) and leave in the order of their frames; DISCONNECT's receipt comes after them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageStore, SyncWaiter } from '../../../../src/core/queue/backing.js';
import { ReceiptGate } from '../../../../src/frontend/stomp/receipt-gate.js';

/** A message store whose fsyncs the test performs. */
class FakeStore implements MessageStore {
  appended = 0;
  synced = 0;
  diskWrites = 0;
  diskReads = 0;
  waiters = new Set<SyncWaiter>();
  addSyncWaiter(w: SyncWaiter): void {
    this.waiters.add(w);
  }
  fsync(upTo: number): void {
    this.synced = upTo;
    for (const w of this.waiters) if (!w.synced(upTo)) this.waiters.delete(w);
  }
}

test('a receipt for a stored message waits for the fsync; the ones after it wait in order', () => {
  const store = new FakeStore();
  const sent: string[] = [];
  const g = new ReceiptGate(
    store,
    (id) => sent.push(id),
    () => false,
  );
  g.send('a', 0); // nothing stored (transient, or no durable queue): at once
  assert.deepEqual(sent, ['a']);
  g.send('b', ++store.appended);
  g.send('c', 0); // behind b
  g.send('d', ++store.appended);
  assert.deepEqual(sent, ['a']);
  assert.equal(store.waiters.size, 1, 'one waiter, however many receipts');
  store.fsync(1);
  assert.deepEqual(sent, ['a', 'b', 'c']);
  assert.equal(store.waiters.size, 1, 'still waiting for d');
  let closed = false;
  g.whenDrained(() => (closed = true));
  assert.equal(closed, false);
  store.fsync(2);
  assert.deepEqual(sent, ['a', 'b', 'c', 'd']);
  assert.equal(closed, true, "DISCONNECT's receipt after the SEND receipts");
  assert.equal(store.waiters.size, 0);
  g.send('e', store.appended); // already fsynced
  assert.deepEqual(sent, ['a', 'b', 'c', 'd', 'e']);
});

test('without a file store nothing waits; a closed connection drops what waits', () => {
  const sent: string[] = [];
  const g = new ReceiptGate(
    null,
    (id) => sent.push(id),
    () => false,
  );
  g.send('a', 5);
  assert.deepEqual(sent, ['a']);
  const store = new FakeStore();
  let ended = false;
  const g2 = new ReceiptGate(
    store,
    (id) => sent.push(id),
    () => ended,
  );
  g2.send('b', ++store.appended);
  ended = true;
  store.fsync(1);
  assert.deepEqual(sent, ['a']);
  assert.equal(store.waiters.size, 0);
});
