#!/usr/bin/env node
// Bytes written for a persistent message routed to 4 durable queues (issue 12, "a body stored once"):
// N persistent messages of SIZE bytes to a fanout exchange bound to 4 durable queues, with confirms; the
// growth of the segment files and the server's write_bytes (/proc/PID/io: what reached the block layer)
// per message, against the body size.
//   node bench/durability/fanout-bytes.mjs [--count 10000] [--size 4096] [--queues 4]
import amqp from 'amqplib';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const COUNT = opt('--count', 10000);
const SIZE = opt('--size', 4096);
const QUEUES = opt('--queues', 4);
const dir = mkdtempSync(join(tmpdir(), 'warren-fanout-'));
const segBytes = () => {
  const d = join(dir, 'messages');
  return readdirSync(d)
    .filter((f) => f.endsWith('.seg'))
    .reduce((n, f) => n + (statSync(join(d, f), { throwIfNoEntry: false })?.size ?? 0), 0);
};
const ioWrites = (pid) => Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);

const s = await startServer(dir);
const c = await amqp.connect(s.url);
const ch = await c.createConfirmChannel();
await ch.assertExchange('fan', 'fanout', { durable: true });
for (let i = 0; i < QUEUES; i++) {
  await ch.assertQueue(`fan-${i}`, { durable: true });
  await ch.bindQueue(`fan-${i}`, 'fan', '');
}
await ch.waitForConfirms();
const seg0 = segBytes();
const io0 = ioWrites(s.child.pid);
const body = Buffer.alloc(SIZE, 5);
for (let i = 0; i < COUNT; i++) {
  ch.publish('fan', '', body, { persistent: true });
  if (i % 1000 === 999) await ch.waitForConfirms();
}
await ch.waitForConfirms();
const seg = segBytes() - seg0;
const io = ioWrites(s.child.pid) - io0;
await c.close();
s.child.kill('SIGTERM');
await s.exited;
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    count: COUNT,
    bodyBytes: SIZE,
    queues: QUEUES,
    segmentBytesPerMessage: Math.round(seg / COUNT),
    diskWriteBytesPerMessage: Math.round(io / COUNT),
    bodiesWrittenPerMessage: +(seg / COUNT / SIZE).toFixed(2),
  }),
);
