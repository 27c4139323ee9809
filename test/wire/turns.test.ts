// Taking turns (fairness, frontend/net/read-budget.ts): a connection that pipelines thousands of declares or
// publishes in one write does not hold another connection's round trip for the whole of it. The broker
// yields in the middle of a read once a turn's work passes the budget (an exchange/queue method costs a 64th
// of it), so the other connection's reply comes after a few turns, long before the pipelined work is done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { uniqueName, useTestBroker } from '../helpers/broker.js';
import { WireClient } from './wire-client.js';
import {
  Writer,
  writeBasicPublish,
  writeBody,
  writeContentHeader,
  writeQueueDeclare,
} from '../../src/codec/amqp/index.js';

const broker = useTestBroker();

const ready = (): Promise<WireClient> => WireClient.ready(broker.port);

/**
 * Sends `storm` on one connection and, until its final reply, round trips (a queue.declare) on another, one
 * after the other: the storm's duration and the round trips' times.
 */
async function measure(storm: Buffer, lastReply: string): Promise<{ storm: number; trips: number[] }> {
  const a = await ready();
  const b = await ready();
  try {
    const t0 = performance.now();
    a.send(storm);
    let done = 0;
    const last = a.expect(lastReply, 30000).then(() => (done = performance.now() - t0));
    const trips: number[] = [];
    while (done === 0) {
      const t1 = performance.now();
      writeQueueDeclare(b.w, 1, uniqueName('turns-probe'), false, false, true, true, false, {});
      b.flush();
      await b.expect('queue.declare-ok', 20000);
      trips.push(performance.now() - t1);
    }
    await last;
    return { storm: done, trips };
  } finally {
    a.close();
    b.close();
  }
}

/**
 * The other connection was served all along: several round trips, their median a small part of the storm (a
 * quarter at most: held for the storm, it would be one trip as long as the storm; a tenth failed now and then
 * on a loaded CI machine, where a turn waits for a CPU as long as it works).
 */
function assertServed(r: { storm: number; trips: number[] }, what: string): void {
  const sorted = [...r.trips].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const text = `${r.trips.length} round trips (median ${median.toFixed(1)} ms) during a ${r.storm.toFixed(0)} ms ${what}`;
  assert.ok(r.trips.length >= 5 && median < r.storm / 4, text);
}

test('20,000 pipelined queue.declares (64 a turn) do not hold another connection for their duration', async () => {
  const w = new Writer(1 << 20);
  const prefix = uniqueName('turns-q');
  for (let i = 0; i < 20000; i++) writeQueueDeclare(w, 1, `${prefix}-${i}`, false, false, true, true, true, {});
  writeQueueDeclare(w, 1, `${prefix}-last`, false, false, true, true, false, {});
  assertServed(await measure(Buffer.from(w.take()!), 'queue.declare-ok'), 'declare storm');
});

test('60,000 pipelined small publishes do not hold another connection for their duration', async () => {
  const w = new Writer(1 << 20);
  const q = uniqueName('turns-pub');
  writeQueueDeclare(w, 1, q, false, false, true, true, true, {});
  const body = Buffer.from('0123456789abcdef');
  for (let i = 0; i < 60000; i++) {
    writeBasicPublish(w, 1, '', q, false, false);
    writeContentHeader(w, 1, 60, body.length, Buffer.from([0, 0]));
    writeBody(w, 1, body, 131072);
  }
  writeQueueDeclare(w, 1, q, true, false, false, false, false, {});
  const parts = w.takeParts()!;
  const storm = Buffer.isBuffer(parts) ? Buffer.from(parts) : Buffer.concat(parts);
  assertServed(await measure(storm, 'queue.declare-ok'), 'publish flood');
});
