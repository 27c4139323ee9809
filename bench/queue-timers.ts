// How timely are expiry and delays under load, and what do TTLs cost? (Not run by the tests.)
//   1. TTL lateness: N messages (default 10,000) pending in a queue with x-message-ttl, dead-lettered to a
//      queue an amqplib consumer reads; lateness = arrival at the consumer - (publish time + TTL).
//   2. Delay lateness: N messages with random x-delay (0.5-2 s) pending in an x-delayed-message exchange;
//      lateness = arrival - (publish time + x-delay).
//   3. CPU of expiry + dead-lettering: 10,000 expired messages dead-lettered in-process (5 rounds).
//   4. Cost: 1,000,000 messages with queue and per-message TTLs enqueued in-process; timers before/after
//      and heap growth.
// The broker runs in a child process, so the amqplib clients do not share its event loop (2 cores here).
// Each is run once small to warm up, then measured.
// Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/queue-timers.js [N]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { startBroker } from '../src/index.js';
import { Queue } from '../src/core/queue/queue.js';
import { VHost } from '../src/core/vhost.js';
import { OneTimer } from '../src/core/queue/ttl.js';
import { Message } from '../src/core/message.js';
import { amqpFormat } from '../src/frontend/amqp/format.js';

const N = Number(process.argv[2] ?? 10000);

if (process.argv[2] === '--broker') {
  const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'warn' });
  process.send!(b.amqpPort);
  process.on('message', () => void b.close().then(() => process.exit(0)));
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function report(name: string, late: number[]): void {
  console.log(
    `${name}: n=${late.length} p50=${pct(late, 50)} ms p99=${pct(late, 99)} ms max=${Math.max(...late)} ms ` +
      `min=${Math.min(...late)} ms`,
  );
}

async function ttlLateness(url: string, N: number, print: boolean): Promise<void> {
  const c = await amqp.connect(url);
  const ch = await c.createChannel();
  await ch.assertExchange('bench.dlx', 'fanout', { durable: false });
  await ch.assertQueue('bench.dlq', { exclusive: true });
  await ch.bindQueue('bench.dlq', 'bench.dlx', '');
  const TTL = 1000;
  await ch.assertQueue('bench.ttl', {
    exclusive: true,
    arguments: { 'x-message-ttl': TTL, 'x-dead-letter-exchange': 'bench.dlx' },
  });
  const late: number[] = [];
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await ch.consume(
    'bench.dlq',
    (m) => {
      if (m === null) return;
      late.push(Date.now() - (Number(m.content.toString()) + TTL));
      if (late.length === N) done();
    },
    { noAck: true },
  );
  // publish over ~500 ms so that all N are pending at once, expiring over a spread
  for (let i = 0; i < N; i++) {
    ch.sendToQueue('bench.ttl', Buffer.from(String(Date.now())));
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 25));
  }
  await finished;
  if (print) report(`TTL expiry lateness (${N} pending, x-message-ttl ${TTL} ms, dead-lettered to a consumer)`, late);
  await c.close();
}

async function delayLateness(url: string, N: number, print: boolean): Promise<void> {
  const c = await amqp.connect(url);
  const ch = await c.createChannel();
  await ch.assertExchange('bench.delayed', 'x-delayed-message', {
    durable: false,
    arguments: { 'x-delayed-type': 'fanout' },
  });
  await ch.assertQueue('bench.delayed.q', { exclusive: true });
  await ch.bindQueue('bench.delayed.q', 'bench.delayed', '');
  const late: number[] = [];
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await ch.consume(
    'bench.delayed.q',
    (m) => {
      if (m === null) return;
      const [sent, delay] = m.content.toString().split(':').map(Number) as [number, number];
      late.push(Date.now() - (sent + delay));
      if (late.length === N) done();
    },
    { noAck: true },
  );
  for (let i = 0; i < N; i++) {
    const delay = 500 + Math.floor(Math.random() * 1500);
    ch.publish('bench.delayed', '', Buffer.from(`${Date.now()}:${delay}`), { headers: { 'x-delay': delay } });
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 10));
  }
  await finished;
  if (print) report(`Delayed-message lateness (${N} pending, x-delay 0.5-2 s)`, late);
  await c.close();
}

function dlxCost(): void {
  const v = new VHost('/');
  v.declareExchange('dlx', { type: 'fanout', durable: false, autoDelete: false, internal: false, args: {} });
  v.declareQueue('dlq', { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
  v.bindQueue('dlq', 'dlx', '', {}, null);
  const args = { 'x-message-ttl': 600000, 'x-dead-letter-exchange': 'dlx' };
  const q = v.declareQueue('q', { durable: false, exclusive: false, autoDelete: false, args }, null);
  const ms: number[] = [];
  for (let r = 0; r < 5; r++) {
    const now = Date.now();
    for (let i = 0; i < 10000; i++) {
      q.enqueue(new Message(amqpFormat, '', 'q', Buffer.from([0, 0]), Buffer.from('x'), false, 0, null, now, 0));
    }
    const t = process.hrtime.bigint();
    q.expireHead(now + 700000);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    v.queues.get('dlq')!.purge();
  }
  console.log(`expiry + dead-lettering of 10,000 messages, 5 rounds: ${ms.map((x) => x.toFixed(0)).join(', ')} ms`);
}

function ttlCost(): void {
  const M = 1_000_000;
  // queue timers are unref'd (Node's active-resource list does not show them): OneTimer counts its own
  const timers = (): number => OneTimer.armedCount;
  const args = { 'x-message-ttl': 600000 };
  const q = new Queue('cost', '/', false, null, false, args, 'classic', { autoDelete() {}, deadLetter() {} });
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = timers();
  const start = process.hrtime.bigint();
  const props = Buffer.from([0x01, 0x00, 6, 0x33, 0x30, 0x30, 0x30, 0x30, 0x30]); // expiration "300000"
  const body = Buffer.alloc(16);
  for (let i = 0; i < M; i++) {
    const exp = i % 2 === 0 ? '300000' : null;
    q.enqueue(new Message(amqpFormat, '', 'k', props, body, false, 0, exp, Date.now(), 0));
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  global.gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  console.log(
    `1,000,000 messages with TTLs (half also with expiration) in one queue: enqueue ${ms.toFixed(0)} ms, ` +
      `timers ${t0} -> ${timers()}, heap +${((heap1 - heap0) / 1048576).toFixed(0)} MiB (${((heap1 - heap0) / M).toFixed(0)} B/message incl. the Message)`,
  );
  q.markDeleted();
}

if (process.argv[2] !== '--broker') {
  const child = fork(fileURLToPath(import.meta.url), ['--broker']);
  const port = await new Promise<number>((r) => child.once('message', (p) => r(p as number)));
  const url = `amqp://guest:guest@127.0.0.1:${port}/`;
  // a first, smaller round warms the broker's JIT up; the second is reported
  await ttlLateness(url, 2000, false);
  await ttlLateness(url, N, true);
  await delayLateness(url, 2000, false);
  await delayLateness(url, N, true);
  child.send('stop');
  dlxCost();
  ttlCost();
}
