// The broker under fuzz, in a process of its own so that a crash is seen as a crash (the exit code) and
// an uncaught exception or unhandled rejection as what Node makes of it (a crash; Warren installs no
// handler that would hide one). startBroker() with memory storage, AMQP, MQTT, STOMP, Stream and management on
// free ports; prints the ports as one JSON line on stdout. Over IPC, 'mem' answers with memory figures
// after a full GC (the process runs with --expose-gc), so "back to baseline" compares live memory, not
// what the allocator has not yet returned.
import { startBroker } from '../../../src/index.js';

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
  if (m === 'mem') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    const u = process.memoryUsage();
    process.send!({ rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers });
  }
});
process.once('SIGTERM', () => {
  void b.close().then(() => process.exit(0));
});
