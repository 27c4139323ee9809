// A resource attack (issue 15): 100,000 bindings on one direct exchange across 100 queues, declared as fast as
// a client can pipeline them (queue.bind nowait), while an amqplib probe keeps doing publish → confirm round
// trips: Warren stays responsive (no probe round trip near a stall), routes by every key to exactly its
// queue, and deleting the exchange removes every binding from the queues too. The 1,000,000-binding version,
// with memory, rates and a restart with them durable, is bench/limits/bindings.ts (figures in BENCHMARKS.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { startBroker } from '../../src/index.js';
import { bindingKey, flood, floodClient, queueName } from '../helpers/bindings-flood.js';

const TOTAL = 100_000;
const QUEUES = 100;

test(`${TOTAL.toLocaleString('en')} bindings on one exchange: declared, routed, responsive, deleted with the exchange`, async (t) => {
  const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'warn' });
  const url = `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`;
  const probeConn = await amqp.connect(url);
  const c = await floodClient(b.amqpPort!);
  try {
    const probe = await probeConn.createConfirmChannel();
    await probe.assertQueue('bf.probe', { durable: false });
    const rtts: number[] = [];
    let probing = true;
    const probeLoop = (async () => {
      while (probing) {
        const t0 = performance.now();
        await new Promise<void>((resolve, reject) =>
          probe.sendToQueue('bf.probe', Buffer.from('p'), {}, (err) => (err ? reject(err) : resolve())),
        );
        rtts.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const r = await flood(c, { exchange: 'bf.x', type: 'direct', queues: QUEUES, total: TOTAL, durable: false });
    probing = false;
    await probeLoop;
    rtts.sort((x, y) => x - y);
    const max = rtts[rtts.length - 1]!;
    t.diagnostic(
      `${TOTAL} bindings in ${r.ms} ms (${Math.round((TOTAL * 1000) / r.ms)}/s); probe ${rtts.length} round trips, p99 ${rtts[Math.floor(rtts.length * 0.99)]!.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    );
    // a stall, not latency: the flood must not hold the event loop (a shared CI machine is slow, not stuck)
    assert.ok(max < 2000, `a probe round trip took ${max} ms`);
    const v = b.broker.vhosts.get('/')!;
    assert.equal(v.exchanges.get('bf.x')!.bindings.size, TOTAL);

    // routing: each of a sample of keys reaches exactly its queue
    const ch = await probeConn.createConfirmChannel();
    const sample = Array.from({ length: 200 }, (_, k) => (k * 4999) % TOTAL);
    for (const i of sample) ch.publish('bf.x', bindingKey(i), Buffer.from(String(i)));
    await ch.waitForConfirms();
    const expected = new Map<number, number>();
    for (const i of sample) expected.set(i % QUEUES, (expected.get(i % QUEUES) ?? 0) + 1);
    for (let q = 0; q < QUEUES; q++)
      assert.equal((await ch.checkQueue(queueName(q))).messageCount, expected.get(q) ?? 0, queueName(q));
    const m = await ch.get(queueName(sample[7]! % QUEUES), { noAck: true });
    assert.ok(m !== false);
    assert.equal(Number(m.content.toString()) % QUEUES, sample[7]! % QUEUES);

    // deleting the exchange takes its bindings out of every queue's list too
    await ch.deleteExchange('bf.x');
    for (let q = 0; q < QUEUES; q++) assert.equal(v.queues.get(queueName(q))!.bindings.size, 0);
  } finally {
    c.close();
    await probeConn.close();
    await b.close();
  }
});
