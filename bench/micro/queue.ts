// Micro-benchmark of the core Queue (not run by the tests): the enqueue → dispatch → deliver → ack cycle
// through the real Queue with a fake consumer (no front end, no bytes), with a no-ack consumer, with a
// manual-ack consumer and a prefetch window of 100 (acked 100 at a time), with two consumers round-robin,
// and a backlog drained when a consumer arrives; then the ready list on its own (FifoReady: push/shift,
// growth, requeue by seq). Prints ops/s (messages per second).
// Run: npx tsc -p tsconfig.json && node dist/bench/micro/queue.js [seconds per case, default 2] [case filter]
import { Queue, type QueueCallbacks } from '../../src/core/queue/queue.js';
import type { Consumer } from '../../src/core/queue/queue.js';
import { FifoReady } from '../../src/core/queue/ready.js';
import { Message, QueuedMessage } from '../../src/core/message.js';
import { amqpFormat } from '../../src/frontend/amqp/format.js';
import { measure } from './measure.js';

const only = process.argv[3] ?? '';
const BATCH = 1000;
const BODY = Buffer.alloc(16, 0x61);
const PROPS = Buffer.from([0, 0]);

function run(name: string, fn: () => number): void {
  if (!name.includes(only)) return;
  console.log(`${name.padEnd(68)} ${measure(fn)}`);
}

const callbacks: QueueCallbacks = { autoDelete: () => {}, deadLetter: () => {} };

function queue(): Queue {
  return new Queue('bench', '/', false, null, false, {}, 'classic', callbacks);
}

function message(): Message {
  return new Message(amqpFormat, '', 'bench', PROPS, BODY, false, 0, null, 0, 0);
}

/** A consumer that takes what its prefetch window allows and keeps what it was given, as a channel does. */
class FakeConsumer implements Consumer {
  readonly exclusive = false;
  readonly priority = 0;
  readonly held: QueuedMessage[] = [];
  delivered = 0;
  constructor(
    readonly tag: string,
    readonly noAck: boolean,
    private readonly prefetch: number,
  ) {}
  canTake(): boolean {
    return this.noAck || this.prefetch === 0 || this.held.length < this.prefetch;
  }
  excludes(): boolean {
    return false;
  }
  deliver(entry: QueuedMessage): void {
    this.delivered++;
    if (!this.noAck) this.held.push(entry);
  }
  cancelByServer(): void {}
  /** basic.ack multiple=true for everything held; the queue may dispatch again. */
  ackAll(q: Queue): void {
    const h = this.held;
    for (let i = 0; i < h.length; i++) q.ack(h[i]!);
    h.length = 0;
    q.dispatch();
  }
}

// ---- no-ack consumer: every enqueue is delivered at once
{
  const q = queue();
  const c = new FakeConsumer('c1', true, 0);
  q.addConsumer(c);
  run('enqueue → deliver, one no-ack consumer', () => {
    for (let i = 0; i < BATCH; i++) q.enqueue(message());
    return BATCH;
  });
}

// ---- manual ack, prefetch 100, multiple-ack every 100 (the consumer fills its window, then acks)
{
  const q = queue();
  const c = new FakeConsumer('c1', false, 100);
  q.addConsumer(c);
  run('enqueue → deliver → ack, prefetch 100, ack every 100', () => {
    for (let i = 0; i < BATCH; i++) {
      q.enqueue(message());
      if (c.held.length === 100) c.ackAll(q);
    }
    return BATCH;
  });
}

// ---- two manual-ack consumers, round-robin
{
  const q = queue();
  const a = new FakeConsumer('a', false, 100);
  const b = new FakeConsumer('b', false, 100);
  q.addConsumer(a);
  q.addConsumer(b);
  run('enqueue → deliver → ack, 2 consumers round-robin, prefetch 100', () => {
    for (let i = 0; i < BATCH; i++) {
      q.enqueue(message());
      if (a.held.length === 100) a.ackAll(q);
      if (b.held.length === 100) b.ackAll(q);
    }
    return BATCH;
  });
}

// ---- a backlog of 4,000 ready messages dispatched when a consumer arrives (one dispatch turn)
{
  const q = queue();
  const msgs = Array.from({ length: 4000 }, () => message());
  run('backlog of 4,000: enqueue, then a no-ack consumer drains it', () => {
    for (let i = 0; i < msgs.length; i++) q.enqueue(msgs[i]!);
    const c = new FakeConsumer('c', true, 0);
    q.addConsumer(c);
    q.removeConsumer(c);
    if (c.delivered !== msgs.length) throw new Error(`drained ${c.delivered}`);
    return msgs.length;
  });
}

// ---- the ready list alone
{
  const r = new FifoReady();
  const es = Array.from({ length: BATCH }, (_, i) => new QueuedMessage(message(), i));
  run('FifoReady push + shift, steady (never more than 1,000)', () => {
    for (let i = 0; i < BATCH; i++) r.push(es[i]!);
    for (let i = 0; i < BATCH; i++) r.shift();
    return BATCH;
  });
  const big = Array.from({ length: 100 * BATCH }, (_, i) => new QueuedMessage(message(), i));
  run('FifoReady fill to 100,000 from empty (growth), then drain', () => {
    const f = new FifoReady();
    for (let i = 0; i < big.length; i++) f.push(big[i]!);
    while (f.shift() !== undefined);
    return big.length;
  });
  // a channel closing with 100 unacked: they go back to the head of 10,000 ready ones, by seq, in the
  // order Queue.requeue uses (highest seq first, so each lands at the head)
  const f = new FifoReady();
  for (let i = 0; i < 10100; i++) f.push(big[i]!);
  const out: QueuedMessage[] = [];
  run('FifoReady requeue by seq: 100 delivered, back into 10,000 ready', () => {
    for (let i = 0; i < 100; i++) out.push(f.shift()!);
    for (let i = 99; i >= 0; i--) f.insertBySeq(out[i]!);
    out.length = 0;
    return 100;
  });
}
