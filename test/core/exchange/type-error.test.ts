// exchange.declare of a type that is not registered: 503 COMMAND_INVALID closing the connection, worded as
// RabbitMQ's rabbit_exchange:check_type/1 does: "invalid exchange type 'T'" when T is an atom in the node
// ("none", "" …), "unknown exchange type 'T'" otherwise. Found by @cloudamqp/amqp-client's own suite
// ("throws on invalid exchange type", "has an onerror callback": type "none", /invalid exchange type/).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { startBroker, type RunningBroker } from '../../../src/index.js';

let b: RunningBroker;
let url: string;
before(async () => {
  b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
  url = `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`;
});
after(() => b.close());

async function declareError(type: string): Promise<Error & { code?: number }> {
  const c = await connect(url);
  const closed = new Promise<Error & { code?: number }>((resolve) => c.on('error', resolve));
  const ch = await c.createChannel();
  ch.on('error', () => {});
  await assert.rejects(ch.assertExchange('type-error-probe', type));
  return closed;
}

for (const [type, word] of [
  ['none', 'invalid'],
  ['', 'invalid'],
  ['true', 'invalid'],
  ['foobarbaz', 'unknown'],
  ['x-consistent-hash', 'unknown'],
  ['direct1', 'unknown'],
] as const) {
  test(`type '${type}': 503 "${word} exchange type", as RabbitMQ 3.10`, async () => {
    const e = await declareError(type);
    assert.equal(e.code, 503);
    assert.equal(
      e.message,
      `Connection closed: 503 (COMMAND-INVALID) with message "COMMAND_INVALID - ${word} exchange type '${type}'"`,
    );
  });
}

test('@cloudamqp/amqp-client: the channel onerror callback gets the invalid-type reason', async () => {
  const client = new AMQPClient(url);
  const conn = await client.connect();
  const ch = await conn.channel();
  let reason = '';
  ch.onerror = (r: string) => {
    reason = r;
  };
  await assert.rejects(ch.exchangeDeclare('none', 'none'), /invalid exchange type 'none'/);
  assert.match(reason, /invalid exchange type 'none'/);
  assert.equal(conn.closed, true);
});
