// The broker under fuzz, in a process of its own so that a crash is seen as a crash (the exit code) and
// an uncaught exception or unhandled rejection as what Node makes of it (a crash; Warren installs no
// handler that would hide one). startBroker() with memory storage, AMQP, MQTT, STOMP, Stream and management on
// free ports; prints the ports as one JSON line on stdout. Over IPC, 'loop' answers with the event loop's delay percentiles since the last ask; 'mem' answers with memory figures
// after a full GC (the process runs with --expose-gc), so "back to baseline" compares live memory, not
// what the allocator has not yet returned.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { startBroker } from '../../../src/index.js';
import { tuneGc } from '../../../src/cli/gc-tuning.js';
import { pooledBlockBytes } from '../../../src/storage/log/block-reader.js';

// the broker's own event-loop delay (10 ms resolution: the probe's bar): is a slow probe round trip the
// broker's turn being long (fuzz input it chews on) or the machine not giving it the CPU?
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

tuneGc(); // as `warren server` runs
const b = await startBroker({
  amqpPort: 0,
  mqttPort: 0,
  stompPort: 0,
  managementPort: 0,
  streamPort: 0,
  bind: '127.0.0.1',
  storage: 'memory',
  logLevel: 'warn',
  ...(JSON.parse(process.env.FUZZ_BROKER_OPTIONS ?? '{}') as object),
});
process.stdout.write(
  JSON.stringify({
    amqp: b.amqpPort,
    mqtt: b.mqttPort,
    stomp: b.stompPort,
    management: b.managementPort,
    stream: b.streamPort,
  }) + '\n',
);
process.on('message', (m: unknown) => {
  if (typeof m === 'object' && m !== null && 'snapshot' in m) {
    // a heap snapshot after a full GC (bench/fuzz/mem-check.ts diffs two by constructor)
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ file: writeHeapSnapshot((m as { snapshot: string }).snapshot) });
  } else if (m === 'mem') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const u = process.memoryUsage();
    process.send!({
      rss: u.rss,
      heapUsed: u.heapUsed,
      external: u.external,
      arrayBuffers: u.arrayBuffers,
      pooledBlocks: pooledBlockBytes(),
    });
  } else if (m === 'loop') {
    // delays in ms beyond the 10 ms sampling interval, since the last 'loop'
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - 10);
    process.send!({ p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) });
    loop.reset();
  }
});
process.once('SIGTERM', () => {
  void b.close().then(() => process.exit(0));
});
