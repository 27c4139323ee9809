// The package's entry (src/index.ts) as a Node developer meets it: `start({ port: 0 })` is `startBroker` with
// `port` for `amqpPort`, returns the bound port under both names, and logs nothing at info level from code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { start, startBroker } from '../src/index.js';

test('start({ port: 0 }) listens on a free port, given back as port and amqpPort', async () => {
  assert.equal(start, startBroker);
  const writes: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    writes.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const broker = await start({ port: 0, bind: '127.0.0.1', storage: 'memory' });
    try {
      assert.ok(broker.port !== null && broker.port > 0 && broker.port !== 5672);
      assert.equal(broker.amqpPort, broker.port);
      const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.port}`);
      await c.close();
    } finally {
      await broker.close();
    }
  } finally {
    process.stderr.write = write;
  }
  // (warren server logs its listeners at info; from code the default level is warn)
  assert.deepEqual(
    writes.filter((w) => w.includes('"level":30')),
    [],
  );
});

test('amqpPort wins over port when both are given', async () => {
  const broker = await startBroker({ amqpPort: 0, port: 5672, bind: '127.0.0.1', storage: 'memory' });
  try {
    assert.notEqual(broker.amqpPort, 5672);
  } finally {
    await broker.close();
  }
});
