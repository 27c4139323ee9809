// A SEND's RECEIPT is the STOMP form of a publisher confirm: RabbitMQ's STOMP adapter sends it once the
// message is confirmed, so a receipted persistent message on a durable queue is on disk when the client
// hears of it. Found while building the soak (bench/soak/ counts a RECEIPT as a confirm): Warren sent it as
// soon as the message was routed, before the message store had even written it, so a kill -9 right after
// could lose a receipted message.
// Here the file store's fsync notifications are held back to see what waits for them.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningBroker } from '../../../src/index.js';
import { eventually, uniqueName } from '../../helpers/broker.js';
import { startMqttBroker } from '../mqtt/helpers.js';

let b: RunningBroker;
const dir = mkdtempSync(path.join(os.tmpdir(), 'warren-stomp-receipts-'));
before(async () => {
  b = await startMqttBroker({ storage: 'file', dataDir: dir });
});
after(async () => {
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Holds the store's "fsynced up to" notifications until release(). */
function holdFsyncs(): { release(): void } {
  const store = b.broker.store as unknown as { onSynced(t: number): void };
  const orig = store.onSynced;
  let last = 0;
  store.onSynced = (t: number) => void (last = Math.max(last, t));
  return {
    release() {
      store.onSynced = orig;
      if (last > 0) orig.call(store, last);
    },
  };
}

async function connect(): Promise<{ s: net.Socket; text: () => string }> {
  const s = net.connect(b.stompPort!, '127.0.0.1');
  let text = '';
  s.on('data', (d) => (text += d.toString()));
  s.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
  await eventually(() => text.includes('CONNECTED'), 3000);
  return { s, text: () => text };
}

/** connect(), then SUBSCRIBE to /queue/`q` (id s) and wait for its RECEIPT (sub). */
async function subscribed(q: string): Promise<{ s: net.Socket; text: () => string }> {
  const c = await connect();
  c.s.write(`SUBSCRIBE\nid:s\ndestination:/queue/${q}\nreceipt:sub\n\n\0`);
  await eventually(() => c.text().includes('receipt-id:sub'), 3000);
  return c;
}

test('the RECEIPT of a persistent SEND to a durable queue comes after the fsync; a transient one at once', async () => {
  const q = uniqueName('rq');
  const c = await connect();
  // declare the queue first (and let its definition reach the disk)
  c.s.write(`SEND\ndestination:/queue/${q}\nreceipt:warm\n\nx\0`);
  await eventually(() => c.text().includes('receipt-id:warm'), 3000);
  const hold = holdFsyncs();
  try {
    c.s.write(`SEND\ndestination:/queue/${q}\npersistent:true\nreceipt:p1\n\nkept\0`);
    await sleep(300);
    assert.ok(!c.text().includes('receipt-id:p1'), 'no RECEIPT before the message is on disk');
  } finally {
    hold.release();
  }
  await eventually(() => c.text().includes('receipt-id:p1'), 3000);
  // a transient message is not written: its RECEIPT does not wait
  const hold2 = holdFsyncs();
  try {
    c.s.write(`SEND\ndestination:/queue/${q}\nreceipt:t1\n\ntransient\0`);
    await eventually(() => c.text().includes('receipt-id:t1'), 3000);
  } finally {
    hold2.release();
  }
  c.s.destroy();
});

test("COMMIT's RECEIPT comes at once, as RabbitMQ's; its SENDs' after the fsync; DISCONNECT's after those", async () => {
  const q = uniqueName('rtx');
  const c = await connect();
  c.s.write(`SEND\ndestination:/queue/${q}\nreceipt:warm\n\nx\0`);
  await eventually(() => c.text().includes('receipt-id:warm'), 3000);
  c.s.write('BEGIN\ntransaction:t\n\n\0');
  c.s.write(`SEND\ndestination:/queue/${q}\ntransaction:t\npersistent:true\nreceipt:s1\n\nin tx\0`);
  await sleep(200);
  assert.ok(!c.text().includes('receipt-id:s1'), 'held in the transaction: not sent yet (as RabbitMQ)');
  const hold = holdFsyncs();
  try {
    c.s.write('COMMIT\ntransaction:t\nreceipt:commit\n\n\0');
    c.s.write('DISCONNECT\nreceipt:bye\n\n\0');
    await eventually(() => c.text().includes('receipt-id:commit'), 3000);
    await sleep(300);
    assert.ok(!/receipt-id:(s1|bye)/.test(c.text()), 'no SEND receipt before the fsync');
  } finally {
    hold.release();
  }
  await eventually(() => c.text().includes('receipt-id:bye'), 3000);
  const t = c.text();
  assert.ok(t.indexOf('receipt-id:commit') < t.indexOf('receipt-id:s1'));
  assert.ok(t.indexOf('receipt-id:s1') < t.indexOf('receipt-id:bye'));
  c.s.destroy();
});

test("COMMIT: its RECEIPT, then the MESSAGEs of its SENDs, then their RECEIPTs, as RabbitMQ 3.10's", async () => {
  const q = uniqueName('txo');
  const c = await subscribed(q);
  c.s.write('BEGIN\ntransaction:t\n\n\0');
  c.s.write(`SEND\ndestination:/queue/${q}\ntransaction:t\nreceipt:s1\n\none\0`);
  c.s.write(`SEND\ndestination:/queue/${q}\ntransaction:t\nreceipt:s2\n\ntwo\0`);
  c.s.write('COMMIT\ntransaction:t\nreceipt:cm\n\n\0');
  await eventually(() => c.text().includes('receipt-id:s2'), 3000);
  const order = [...c.text().matchAll(/receipt-id:(\w+)|\n\n(one|two)\0/g)].map((m) => m[1] ?? m[2]);
  assert.deepEqual(order, ['sub', 'cm', 'one', 'two', 's1', 's2']);
  c.s.destroy();
});

test('a transaction: a bad SEND or ACK is refused when it arrives; BEGIN again starts it afresh (RabbitMQ 3.10)', async () => {
  const q = uniqueName('txb');
  const c = await subscribed(q);
  c.s.write('BEGIN\ntransaction:t\n\n\0');
  c.s.write(`SEND\ndestination:/queue/${q}\ntransaction:t\n\ndropped\0`);
  c.s.write('BEGIN\ntransaction:t\nreceipt:b2\n\n\0');
  c.s.write('SEND\ndestination:/nope/x\ntransaction:t\n\nbad\0');
  c.s.write('ACK\nid:garbage\ntransaction:t\nreceipt:a\n\n\0');
  c.s.write(`SEND\ndestination:/queue/${q}\ntransaction:t\n\nkept\0`);
  await eventually(() => c.text().includes('"ACK" must include a valid "id" header'), 3000);
  assert.match(c.text(), /receipt-id:b2[^]*message:Unknown destination[^]*message:Invalid header/);
  assert.ok(!c.text().includes('receipt-id:a'), 'the refused ACK is not receipted');
  c.s.write('COMMIT\ntransaction:t\nreceipt:cm\n\n\0');
  await eventually(() => c.text().includes('kept\0'), 3000);
  await sleep(100);
  assert.ok(!c.text().includes('dropped'), 'the second BEGIN dropped what the first held');
  assert.ok(!c.text().includes('bad\0'));
  c.s.destroy();
});

test('a SEND a queue refuses (x-overflow reject-publish) gets no RECEIPT, as RabbitMQ 3.13; the next one does', async () => {
  const q = uniqueName('rq-reject');
  const c = await connect();
  // a queue of one message that refuses the rest
  c.s.write(
    `SEND\ndestination:/queue/${q}\nx-max-length:1\nx-overflow:reject-publish\ndurable:false\nreceipt:r1\n\none\0`,
  );
  await eventually(() => c.text().includes('receipt-id:r1'), 3000);
  c.s.write(
    `SEND\ndestination:/queue/${q}\nx-max-length:1\nx-overflow:reject-publish\ndurable:false\nreceipt:r2\n\ntwo\0`,
  );
  c.s.write(
    `SUBSCRIBE\ndestination:/queue/${q}\nx-max-length:1\nx-overflow:reject-publish\ndurable:false\nid:s1\nack:auto\nreceipt:sub\n\n\0`,
  );
  await eventually(() => c.text().includes('receipt-id:sub') && c.text().includes('\n\none\0'), 3000).catch(() =>
    assert.fail(c.text()),
  );
  // the queue has room again: this one is taken and receipted
  c.s.write(
    `SEND\ndestination:/queue/${q}\nx-max-length:1\nx-overflow:reject-publish\ndurable:false\nreceipt:r3\n\nthree\0`,
  );
  await eventually(() => c.text().includes('receipt-id:r3'), 3000);
  assert.ok(!c.text().includes('receipt-id:r2'), 'no RECEIPT for a refused SEND');
  assert.ok(!c.text().includes('\n\ntwo\0'), 'the refused message is not delivered');
  c.s.destroy();
});
