// Streams that had one burst each give its memory back once idle (util/buffer-sweep.ts). Before, each kept the
// 2 MiB log buffer and the 1 MiB chunk builder its biggest chunk grew them to: 200 streams after a burst of
// 1.5 MiB each held 400 MiB of the broker's memory for as long as they lived; one small message took 128 KiB.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import amqp from 'amqplib';
import { sweepBuffers, sweptBuffers } from '../../../src/util/buffer-sweep.js';
import { sleep, useTestBroker } from '../../helpers/broker.js';

const broker = useTestBroker({}, { dirPrefix: 'warren-idle-buffers-' });
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const bufferMiB = (): number => {
  gc();
  return process.memoryUsage().arrayBuffers / (1024 * 1024);
};

test('30 streams after a 1.5 MiB burst each: their buffers are let go once idle', async () => {
  const c = await amqp.connect(broker.url);
  const ch = await c.createConfirmChannel();
  const body = Buffer.alloc(1024, 1);
  const base = bufferMiB();
  for (let s = 0; s < 30; s++) {
    const q = `idle-buffers-${s}`;
    await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    for (let i = 0; i < 1500; i++) ch.sendToQueue(q, body, { persistent: true });
    await ch.waitForConfirms();
  }
  const burst = bufferMiB() - base;
  assert.ok(burst > 30, `the bursts grew the streams' buffers (${burst.toFixed(0)} MiB)`);
  sweepBuffers();
  sweepBuffers();
  // V8 frees the buffers' memory on a background thread after the GC that found them unreachable
  let idle = Infinity;
  for (let i = 0; i < 50 && idle >= 10; i++) {
    await sleep(100);
    idle = bufferMiB() - base;
  }
  assert.ok(idle < 10, `idle streams hold ${idle.toFixed(1)} MiB of buffers (${burst.toFixed(0)} after the bursts)`);
  // and the streams still take and give messages
  await ch.prefetch(10);
  const got = await new Promise<number>((resolve) => {
    let n = 0;
    void ch.consume(
      'idle-buffers-0',
      (m) => {
        ch.ack(m!);
        if (++n === 1500) resolve(n);
      },
      { arguments: { 'x-stream-offset': 'first' } },
    );
  });
  assert.equal(got, 1500);
  await c.close();
});

test('100 streams after one small message each: no buffer kept once idle', async () => {
  const c = await amqp.connect(broker.url);
  const ch = await c.createConfirmChannel();
  const base = bufferMiB();
  for (let s = 0; s < 100; s++) {
    const q = `idle-small-${s}`;
    await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    ch.sendToQueue(q, Buffer.from('one'), { persistent: true });
  }
  await ch.waitForConfirms();
  // a 64 KiB log buffer and a 64 KiB chunk buffer each, 12.5 MiB (less if the 5 s sweep ran meanwhile)
  const held = bufferMiB() - base;
  sweepBuffers();
  let idle = Infinity;
  for (let i = 0; i < 50 && idle >= 2; i++) {
    await sleep(100);
    idle = bufferMiB() - base;
  }
  assert.ok(idle < 2, `idle streams hold ${idle.toFixed(1)} MiB of buffers (${held.toFixed(1)} after a message each)`);
  await c.close();
});

test('deleted streams leave nothing in the sweep, even with a chunk being built when deleted', async () => {
  const c = await amqp.connect(broker.url);
  const ch = await c.createConfirmChannel();
  const before = sweptBuffers();
  const body = Buffer.alloc(1024, 2);
  for (let s = 0; s < 20; s++) {
    const q = `idle-deleted-${s}`;
    await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'stream' } });
    for (let i = 0; i < 300; i++) ch.sendToQueue(q, body, { persistent: true });
  }
  // deleted without waiting for the confirms: chunks may still be gathering for the next fsync
  for (let s = 0; s < 20; s++) await ch.deleteQueue(`idle-deleted-${s}`);
  await ch.waitForConfirms().catch(() => {});
  assert.ok(sweptBuffers() <= before + 2, `${sweptBuffers()} buffers registered, ${before} before`);
  await c.close();
});
