// The memory alarm with amqplib: past vm_memory_high_watermark a publisher gets connection.blocked
// "low on memory" and is no longer read; once consumers drain the queue (and the forced GC frees it) the
// alarm clears, connection.unblocked arrives, and every message published arrived exactly once. A
// connection that only consumes is never blocked (RabbitMQ blocks a connection when it publishes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { eventually } from '../../helpers/broker.js';

const MiB = 1024 * 1024;
const BODY = 64 * 1024;

async function start(): Promise<{ b: RunningBroker; url: string }> {
  const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
  return { b, url: `amqp://guest:guest@127.0.0.1:${b.amqpPort}/` };
}

/** The flood publisher (flood-publisher.ts) in a child process, so its buffers are not the broker's memory. */
function floodPublisher(url: string, queue: string, count: number) {
  const script = fileURLToPath(new URL('./flood-publisher.js', import.meta.url));
  const child = spawn(process.execPath, [script, url, queue, String(BODY), String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, lines, exited };
}

test('a publisher past the memory watermark is blocked "low on memory", paused, then unblocked with nothing lost', async () => {
  const { b, url } = await start();
  const sub = await connect(url);
  const q = 'mem-alarm-flood';
  // 1600 × 64 KiB = 100 MiB, well past the watermark set below
  const COUNT = 1600;
  const pub = floodPublisher(url, q, COUNT);
  try {
    const sch = await sub.createChannel();
    await sch.assertQueue(q, { durable: false });
    // the watermark 40 MiB above what the process uses now (the monitor samples fast near it)
    b.memory.check();
    b.memory.setWatermark({ absolute: b.memory.used + 40 * MiB });
    assert.equal(b.broker.alarms.isRaised('memory'), false);

    const v = b.broker.vhosts.get('/')!;
    const depth = () => v.queues.get(q)!.messageCount;
    let transitions = 0;
    b.broker.alarms.subscribe({ alarmsChanged: () => void transitions++ });
    // nobody consumes: the child publishes until the broker says it is low on memory
    await eventually(() => pub.lines.length > 0, 15000);
    assert.equal(pub.lines[0], 'blocked low on memory');
    // While the alarm stays raised the publisher is not read: the queue and memory stay put. (The GC forced
    // at the alarm may free enough garbage to clear it for a moment, as RabbitMQ's alarm may flap: then
    // the window is taken again.)
    let checked = false;
    for (let attempt = 0; attempt < 20 && !checked; attempt++) {
      await eventually(() => b.broker.alarms.isRaised('memory'), 5000);
      const t = transitions;
      await new Promise((r) => setTimeout(r, 150));
      const before = depth();
      const usedBefore = b.memory.used;
      await new Promise((r) => setTimeout(r, 400));
      if (transitions !== t) continue;
      assert.equal(depth(), before, 'the blocked publisher is not read: the queue does not grow');
      assert.ok(b.memory.used <= usedBefore + 2 * MiB, 'memory stops growing');
      checked = true;
    }
    assert.ok(checked, 'the alarm stayed raised for half a second');
    assert.ok(b.memory.used < b.memory.limit + 64 * MiB, `bounded: used ${b.memory.used}, limit ${b.memory.limit}`);
    // the management view of the publisher: blocked
    const conns = [...b.broker.connections.values()];
    assert.deepEqual(
      conns.map((c) => c.blocked === true),
      [false, true].slice(0, conns.length).sort(),
    );

    // drain: a consumer on another connection takes everything, the alarm clears, the rest flows in
    const seen = new Uint8Array(COUNT);
    let got = 0;
    let dup = 0;
    await sch.prefetch(200);
    await sch.consume(q, (m) => {
      if (!m) return;
      const n = m.content.readUInt32BE(0);
      if (seen[n]) dup++;
      seen[n] = 1;
      got++;
      sch.ack(m);
    });
    await eventually(() => pub.lines.includes('unblocked'), 10000);
    assert.ok(
      pub.lines.every((l, i) => l === (i % 2 === 0 ? 'blocked low on memory' : 'unblocked') || l.startsWith('sent ')),
    );
    assert.ok(b.memory.gcRuns >= 1, 'the alarm forced a GC to give the drained memory back');
    await eventually(() => pub.lines.some((l) => l.startsWith('sent ')), 10000);
    assert.equal(await pub.exited, 0);
    assert.equal(pub.lines[pub.lines.length - 1], `sent ${COUNT}`);
    await eventually(() => got === COUNT, 10000);
    assert.equal(dup, 0, 'no message arrived twice');
    assert.equal(seen.indexOf(0), -1, 'every message arrived');
    // the queue is empty: what the consumer dropped is collected and the alarm clears for good
    await eventually(() => !b.broker.alarms.isRaised('memory'), 5000);
  } finally {
    pub.child.kill();
    await sub.close().catch(() => {});
    await b.close();
  }
});

test('during a memory alarm a connection that only consumes keeps consuming and acking, and is not told blocked', async () => {
  const { b, url } = await start();
  const producer = await connect(url);
  const consumer = await connect(url);
  try {
    const q = 'mem-alarm-consume';
    const pch = await producer.createConfirmChannel();
    await pch.assertQueue(q, { durable: false });
    for (let i = 0; i < 300; i++) pch.sendToQueue(q, Buffer.from(String(i)));
    await pch.waitForConfirms();
    const events: string[] = [];
    consumer.on('blocked', () => events.push('consumer blocked'));
    producer.on('blocked', () => events.push('producer blocked'));
    // RabbitMQ's set_vm_memory_high_watermark 0: the alarm goes off at once
    b.memory.setWatermark({ relative: 0 });
    assert.equal(b.broker.alarms.isRaised('memory'), true);
    const cch = await consumer.createChannel();
    await cch.prefetch(10); // needs acks to get through: the connection must still be read
    const got: string[] = [];
    await cch.consume(q, (m) => {
      if (!m) return;
      got.push(m.content.toString());
      cch.ack(m);
    });
    await eventually(() => got.length === 300, 5000);
    assert.deepEqual(
      got,
      Array.from({ length: 300 }, (_, i) => String(i)),
    );
    // the producer is blocked only once it publishes
    assert.equal(events.length, 0);
    pch.sendToQueue(q, Buffer.from('late'));
    await eventually(() => events.includes('producer blocked'), 3000);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(events, ['producer blocked']);
    const states = () =>
      [...b.broker.connections.values()].map((c) => (c.blocked === true ? 'blocked' : 'other')).sort();
    assert.deepEqual(states(), ['blocked', 'other']);
    producer.on('unblocked', () => events.push('producer unblocked'));
    b.memory.setWatermark({ relative: 0.4 });
    await eventually(() => events.includes('producer unblocked'), 3000);
    pch.sendToQueue(q, Buffer.from('after'));
    await pch.waitForConfirms();
    await eventually(() => got.includes('late') && got.includes('after'), 3000);
  } finally {
    await producer.close().catch(() => {});
    await consumer.close().catch(() => {});
    await b.close();
  }
});
