// A resource attack (issue 15): a consumer with prefetch 0 (no limit) that never acks a backlog of 50,000
// persistent messages. Everything is delivered and stays unacknowledged; the broker keeps answering other
// channels; consumer_timeout (RabbitMQ's 30 minutes, made to pass on the virtual clock) closes the channel
// with 406 PRECONDITION_FAILED, as RabbitMQ does, and every message is back in the queue, ready, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { startBroker } from '../../src/index.js';
import { eventually } from '../helpers/broker.js';

const N = 50_000;

test(`a consumer that never acks ${N.toLocaleString('en')} messages: responsive, consumer_timeout closes it with 406, all requeued`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-unacked-'));
  const b = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    storage: 'file',
    dataDir: dir,
    logLevel: 'warn',
    clock: 'virtual',
  });
  // heartbeats off: 31 minutes of virtual time would otherwise be missed heartbeats on both connections
  const url = `amqp://guest:guest@127.0.0.1:${b.amqpPort}/?heartbeat=0`;
  const pubConn = await amqp.connect(url);
  const conConn = await amqp.connect(url);
  try {
    const pub = await pubConn.createConfirmChannel();
    await pub.assertQueue('uf', { durable: true });
    const body = Buffer.alloc(1024, 'x');
    for (let i = 0; i < N; i++)
      if (!pub.sendToQueue('uf', body, { persistent: true })) await new Promise((r) => pub.once('drain', r));
    await pub.waitForConfirms();

    const con = await conConn.createChannel();
    await con.prefetch(0);
    let delivered = 0;
    await con.consume('uf', () => void delivered++, { noAck: false });
    await eventually(() => delivered === N, 60000);
    // another channel is answered at once while the whole backlog is unacked
    const t0 = performance.now();
    const q = await pub.checkQueue('uf');
    const rtt = performance.now() - t0;
    t.diagnostic(`${N} delivered unacked; queue.declare passive round trip ${rtt.toFixed(1)} ms`);
    assert.equal(q.messageCount, 0);
    assert.equal(q.consumerCount, 1);

    // consumer_timeout (30 min by default, as RabbitMQ): the channel goes with 406, the messages come back
    const closed = new Promise<{ code?: number }>((resolve) => con.once('error', resolve));
    b.clock!.advance('31m');
    const err = await Promise.race([closed, new Promise<{ code?: number }>((r) => setTimeout(() => r({}), 10000))]);
    assert.equal(err.code, 406);
    await eventually(async () => (await pub.checkQueue('uf')).messageCount === N, 20000);
    assert.equal((await pub.checkQueue('uf')).consumerCount, 0);
  } finally {
    await pubConn.close().catch(() => {});
    await conConn.close().catch(() => {});
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
