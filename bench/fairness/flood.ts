// The flat-out load of the fairness measurement, in Node (for machines without amqp-perf, and for the test):
// one publisher connection writing pre-encoded publishes as fast as the socket takes them (no rate limit,
// no confirms), and optionally one consumer connection on its queue (manual ack, one multiple-ack per socket
// read; or no-ack). Run as its own process so the load never shares an event loop with the probes:
//
//   node dist/bench/fairness/flood.js --uri amqp://guest:guest@127.0.0.1:5672/ --size 16 \
//     --consumer none|ack|autoack --seconds 5 [--max-length 200000]
//
// Prints "flooding" on stderr once the publisher runs, and one JSON line on stdout at the end:
// {"sent":…, "received":…, "seconds":…, "sentPerS":…, "receivedPerS":…}.
import { parseArgs } from 'node:util';
import {
  MethodId,
  Writer,
  writeBasicAck,
  writeBasicPublish,
  writeBody,
  writeContentHeader,
  writeQueueDelete,
} from '../../src/codec/amqp/index.js';
import { printResult, pump, repeatBatch } from './pump.js';
import { RawClient, deliveryTagOf } from './raw-client.js';

type ConsumerMode = 'none' | 'ack' | 'autoack';

/** One publish to the default exchange, encoded. */
function encodePublish(queue: string, size: number): Buffer {
  const body = Buffer.alloc(size, 0x61);
  const one = new Writer(size + 512);
  writeBasicPublish(one, 1, '', queue, false, false);
  writeContentHeader(one, 1, 60, size, Buffer.from([0, 0]));
  writeBody(one, 1, body, 131072);
  const parts = one.takeParts()!;
  return Buffer.isBuffer(parts) ? Buffer.from(parts) : Buffer.concat(parts);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      uri: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672/' },
      size: { type: 'string', default: '16' },
      consumer: { type: 'string', default: 'none' },
      seconds: { type: 'string', default: '5' },
      'max-length': { type: 'string', default: '200000' },
    },
  });
  const uri = values.uri;
  const size = Number(values.size);
  const mode = values.consumer as ConsumerMode;
  const seconds = Number(values.seconds);
  const queue = `fairness.flood.${process.pid}.${Date.now().toString(36)}`;

  const pub = await RawClient.connect(uri);
  await pub.openChannel(1);
  // bounded (drop-head) so the no-consumer case cannot eat the machine's memory in a few seconds
  await pub.declareQueue(1, queue, { 'x-max-length': Number(values['max-length']) });

  let received = 0;
  let sub: RawClient | null = null;
  if (mode !== 'none') {
    let lastTag = 0;
    let ackedTag = 0;
    sub = await RawClient.connect(uri, {
      onDeliver: (p) => {
        received++;
        if (mode === 'ack') lastTag = deliveryTagOf(p);
      },
    });
    await sub.openChannel(1);
    await sub.consume(1, queue, mode === 'autoack');
    if (mode === 'ack') {
      const s = sub;
      // after the decoder's 'data' listener: one basic.ack (multiple) for everything this read delivered
      s.socket.on('data', () => {
        if (lastTag === ackedTag) return;
        ackedTag = lastTag;
        writeBasicAck(s.w, 1, lastTag, true);
        s.flush();
      });
    }
  }

  const { batch, count } = repeatBatch(encodePublish(queue, size));
  const sock = pub.socket;
  const { sent, elapsed } = await pump(sock, batch, count, seconds);
  const errors = [pub.closedBy, sub?.closedBy].filter((x) => x !== null && x !== undefined);
  printResult(sent, received, elapsed, errors);
  sub?.close();
  // delete the queue once what is still in the socket has been taken (a paused publisher may wait a while)
  if (!sock.destroyed) {
    if (sock.writableLength !== 0) await new Promise((r) => sock.once('drain', r));
    writeQueueDelete(pub.w, 1, queue, false, false, false);
    pub.flush();
    await pub.expect(MethodId.QueueDeleteOk, 15000).catch(() => {});
  }
  pub.close();
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`flood: ${String(e)}\n`);
  process.exit(1);
});
