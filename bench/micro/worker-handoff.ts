// Micro-benchmark: what handing messages to a worker thread and back costs, to judge moving connection I/O
// or routing off the event loop (ARCHITECTURE.md "What scales with cores"). A 16-byte body and a routing key
// go main → worker → main over a MessagePort, one postMessage per message and batched (100 per message);
// compared with Warren's whole per-message broker CPU on transient-1q (~2.5-4 µs). Not run by the tests.
// Run: npx tsc -p tsconfig.json && node dist/bench/micro/worker-handoff.js [messages, default 200000]
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

type Batch = { rk: string; body: Uint8Array }[];

if (!isMainThread) {
  parentPort!.on('message', (m: Batch) => parentPort!.postMessage(m));
} else {
  const total = Number(process.argv[2] ?? 200000);
  const worker = new Worker(fileURLToPath(import.meta.url));
  const body = new Uint8Array(16);

  async function run(batch: number): Promise<void> {
    const rounds = Math.ceil(total / batch);
    let back = 0;
    const start = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    await new Promise<void>((resolve) => {
      const onMessage = (m: Batch): void => {
        back += m.length;
        if (back >= rounds * batch) {
          worker.off('message', onMessage);
          resolve();
        }
      };
      worker.on('message', onMessage);
      // at most 64 batches in flight, like a socket's worth of publishes
      let sent = 0;
      const pump = (): void => {
        while (sent < rounds && sent * batch - back < 64 * batch) {
          const m: Batch = [];
          for (let i = 0; i < batch; i++) m.push({ rk: 'orders.created', body });
          worker.postMessage(m);
          sent++;
        }
        if (sent < rounds) setImmediate(pump);
      };
      pump();
    });
    const ns = Number(process.hrtime.bigint() - start);
    const cpu = process.cpuUsage(cpu0);
    const n = rounds * batch;
    console.log(
      `batch ${String(batch).padStart(3)}: ${Math.round(n / (ns / 1e9)).toLocaleString('en-US')} msg/s round trip, ` +
        `${((cpu.user + cpu.system) / n).toFixed(2)} µs CPU per message (both threads)`,
    );
  }

  await run(1);
  await run(100);
  await worker.terminate();
}
