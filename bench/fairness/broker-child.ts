// Warren for the fairness measurement, in a process of its own (so the probes never share its event loop):
// startBroker() with memory storage on free ports, AMQP and (with --mqtt) MQTT. Prints the bound ports as one
// JSON line on stdout ({"amqp": N, "mqtt": N | null}); SIGTERM closes it cleanly.
import { startBroker } from '../../src/index.js';

const b = await startBroker({
  amqpPort: 0,
  mqttPort: process.argv.includes('--mqtt') ? 0 : null,
  bind: '127.0.0.1',
  storage: 'memory',
  logLevel: 'warn',
});
process.stdout.write(JSON.stringify({ amqp: b.amqpPort, mqtt: b.mqttPort }) + '\n');
process.once('SIGTERM', () => {
  void b.close().then(() => process.exit(0));
});
