// The flat-out load of the fairness measurement over MQTT: one raw MQTT 3.1.1 connection writing QoS 0
// PUBLISHes (pre-encoded with mqtt-packet) as fast as the socket takes them, and optionally a QoS 0
// subscriber to the same topic (the MQTT counterpart of a no-ack consumer). The probes stay on AMQP: this
// checks that a flooding MQTT client does not starve AMQP clients either. Run as its own process:
//
//   node dist/bench/fairness/flood-mqtt.js --uri mqtt://guest:guest@127.0.0.1:1883 --size 16 \
//     --consumer none|autoack --seconds 5
//
// Prints "flooding" on stderr once the publisher runs and one JSON line on stdout at the end, as flood.js.
import net from 'node:net';
import { parseArgs } from 'node:util';
import mqttPacket from 'mqtt-packet';
import { printResult, pump, repeatBatch } from './pump.js';

function connect(host: string, port: number, clientId: string, user: string, pass: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host, () => {
      s.setNoDelay(true);
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId,
          keepalive: 0,
          username: user,
          password: Buffer.from(pass),
        }),
      );
      // CONNACK: 0x20 0x02 flags code
      s.once('data', (d: Buffer) => (d[0] === 0x20 && d[3] === 0 ? resolve(s) : reject(new Error('CONNACK refused'))));
    });
    s.once('error', reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      uri: { type: 'string', default: 'mqtt://guest:guest@127.0.0.1:1883' },
      size: { type: 'string', default: '16' },
      consumer: { type: 'string', default: 'none' },
      seconds: { type: 'string', default: '5' },
    },
  });
  const u = new URL(values.uri);
  const host = u.hostname;
  const port = Number(u.port || 1883);
  const user = decodeURIComponent(u.username || 'guest');
  const pass = decodeURIComponent(u.password || 'guest');
  const size = Number(values.size);
  const seconds = Number(values.seconds);
  const topic = `fairness/flood/${process.pid}`;
  const one = mqttPacket.generate({
    cmd: 'publish',
    topic,
    payload: Buffer.alloc(size, 0x61),
    qos: 0,
    retain: false,
    dup: false,
  });

  let receivedBytes = 0;
  let sub: net.Socket | null = null;
  if (values.consumer !== 'none') {
    sub = await connect(host, port, `fairness-sub-${process.pid}`, user, pass);
    const subscribed = new Promise<void>((r) => sub!.once('data', () => r()));
    sub.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] }));
    await subscribed; // SUBACK
    // deliveries are the publish packets as sent (QoS 0, same topic and payload): counted by their bytes
    sub.on('data', (d: Buffer) => (receivedBytes += d.length));
  }
  const pub = await connect(host, port, `fairness-pub-${process.pid}`, user, pass);
  pub.on('data', () => {});
  const { batch, count } = repeatBatch(one);
  const { sent, elapsed } = await pump(pub, batch, count, seconds);
  const received = Math.round(receivedBytes / one.length);
  const errors = [pub.destroyed ? 'publisher connection closed' : null].filter((x) => x !== null);
  printResult(sent, received, elapsed, errors);
  sub?.destroy();
  pub.destroy();
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`flood-mqtt: ${String(e)}\n`);
  process.exit(1);
});
