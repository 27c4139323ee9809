// The probe of a fuzz run, in a worker thread (its own event loop, so the fuzzer's busy loop does not
// delay its timestamps): one amqplib connection doing publish → confirm round trips one at a time, every
// 5 ms, to the default exchange (a confirm comes whether or not a fuzz case deleted the probe's queue).
// Each round trip is posted to the parent as [sentAtMs, rttMs]; a connection or channel error is posted
// as a string (the probe reconnects: an error means it was disturbed).
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { reniceThisThread } from './isolate.js';

const { url, isolate } = workerData as { url: string; isolate: boolean };
// (isolate.ts: this thread above the fuzzer's, which shares its process)
if (isolate && !reniceThisThread()) process.stderr.write('probe: --isolate needs root (nice -10 refused)\n');
let stopping = false;
parentPort!.on('message', (m) => {
  if (m === 'stop') stopping = true;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

while (!stopping) {
  let conn: amqp.ChannelModel | null = null;
  try {
    conn = await amqp.connect(url, { noDelay: true });
    conn.on('error', () => {});
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('fz.probe', { durable: false, arguments: { 'x-max-length': 100 } });
    const body = Buffer.from('probe');
    const batch: number[] = [];
    while (!stopping) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) =>
        ch.publish('', 'fz.probe', body, {}, (err) => (err ? reject(err as Error) : resolve())),
      );
      batch.push(performance.timeOrigin + t0, performance.now() - t0);
      if (batch.length >= 40) parentPort!.postMessage(batch.splice(0));
      await sleep(5);
    }
    if (batch.length) parentPort!.postMessage(batch.splice(0));
    await conn.close();
  } catch (e) {
    if (!stopping) parentPort!.postMessage(`probe: ${(e as Error).message}`);
    try {
      await conn?.close();
    } catch {
      // already closed
    }
    await sleep(100);
  }
}
parentPort!.postMessage('stopped');
