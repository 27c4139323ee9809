// Not a test file: a publisher run as a child process by memory-alarm.test.ts (and bench/memory/flood.mjs),
// so its own buffers are not counted in the broker's memory. Publishes <count> numbered messages (a u32 in
// the first 4 bytes) as fast as the socket takes them, waiting for 'drain' like a well-behaved client (it
// does not stop on connection.blocked: the broker stops reading it), then waits for the confirms.
// Lines on stdout: "blocked <reason>" and "unblocked" as they come, then "sent <n>".
// Usage: node flood-publisher.js <amqp url> <queue> <body bytes> <count>
import { connect } from 'amqplib';

const [url, queue, size, count] = process.argv.slice(2) as [string, string, string, string];
const bodySize = Number(size);
const max = Number(count);

const conn = await connect(url);
const ch = await conn.createConfirmChannel();
conn.on('blocked', (reason: string) => process.stdout.write(`blocked ${reason}\n`));
conn.on('unblocked', () => process.stdout.write('unblocked\n'));
let sent = 0;
while (sent < max) {
  const body = Buffer.alloc(bodySize);
  body.writeUInt32BE(sent, 0);
  sent++;
  if (!ch.sendToQueue(queue, body)) await new Promise((r) => ch.once('drain', r));
  else if (sent % 64 === 0) await new Promise((r) => setImmediate(r)); // let events be read
}
await ch.waitForConfirms();
process.stdout.write(`sent ${sent}\n`);
await conn.close();
