// Micro-benchmark of the AMQP codec's hot paths (not run by the tests): decoding a socket chunk of
// basic.publish + content header + body frames (peeking delivery-mode/priority/expiration as the broker does),
// and encoding basic.deliver + content header + body into a Writer. Prints ops/s (messages/s).
// Run: npx tsc -p tsconfig.json && node dist/bench/micro/codec.js [seconds per case, default 2]
import {
  FrameDecoder,
  FrameType,
  Writer,
  decodeMethod,
  peekDeliveryMode,
  peekExpiration,
  peekPriority,
  writeBasicDeliver,
  writeBasicPublish,
  writeBody,
  writeContentHeader,
  type FrameHandler,
} from '../../src/codec/amqp/index.js';

const seconds = Number(process.argv[2] ?? 2);
const BODY = Buffer.alloc(256, 0x61);
// content-type "text/plain", delivery-mode 2
const PROPS = Buffer.from([0x90, 0x00, 10, ...Buffer.from('text/plain'), 2]);
const PER_CHUNK = 100;

/** A handler doing what the broker's connection does per frame, minus routing. */
class Sink implements FrameHandler {
  messages = 0;
  bytes = 0;
  persistent = 0;
  onFrame(type: number, _channel: number, payload: Buffer): void {
    if (type === FrameType.METHOD) {
      const m = decodeMethod(payload);
      this.bytes += m.id & 1;
    } else if (type === FrameType.HEADER) {
      const end = payload.length;
      if (peekDeliveryMode(payload, 12, end) === 2) this.persistent++;
      this.bytes += peekPriority(payload, 12, end);
      if (peekExpiration(payload, 12, end) !== null) this.bytes++;
    } else {
      this.bytes += payload.length;
      this.messages++;
    }
  }
}

function run(name: string, fn: () => number): void {
  // warm up, then measure whole batches until the time is up
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) fn();
  let ops = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) ops += fn();
  const elapsed = (performance.now() - start) / 1000;
  console.log(`${name.padEnd(58)} ${Math.round(ops / elapsed).toLocaleString('en-US')} msg/s`);
}

function publishChunk(): Buffer {
  const w = new Writer();
  for (let i = 0; i < PER_CHUNK; i++) {
    writeBasicPublish(w, 1, 'amq.direct', 'orders.created', false, false);
    writeContentHeader(w, 1, 60, BODY.length, PROPS);
    writeBody(w, 1, BODY, 131072);
  }
  return Buffer.from(w.take()!);
}

const chunk = publishChunk();
const sink = new Sink();
const decoder = new FrameDecoder(sink);
run(`decode publish+header+body (${BODY.length} B body), whole chunks`, () => {
  decoder.push(chunk);
  return PER_CHUNK;
});

// the same bytes arriving in 1460-byte TCP segments: frames split across chunks
const segments: Buffer[] = [];
for (let i = 0; i < chunk.length; i += 1460) segments.push(chunk.subarray(i, i + 1460));
run('decode publish+header+body, 1460-byte segments', () => {
  for (let i = 0; i < segments.length; i++) decoder.push(segments[i]!);
  return PER_CHUNK;
});

const out = new Writer();
let tag = 0;
run(`encode deliver+header+body (${BODY.length} B body)`, () => {
  for (let i = 0; i < PER_CHUNK; i++) {
    writeBasicDeliver(out, 1, 'amq.ctag-0123456789abcdef', ++tag, false, 'amq.direct', 'orders.created');
    writeContentHeader(out, 1, 60, BODY.length, PROPS);
    writeBody(out, 1, BODY, 131072);
  }
  out.take();
  return PER_CHUNK;
});

if (sink.messages === 0 || sink.persistent !== sink.messages) throw new Error('benchmark decoded nothing');
