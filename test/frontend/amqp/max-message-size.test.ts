// max_message_size (startBroker({ maxMessageSize }), --max-message-size, rabbitmq.conf max_message_size)
// with amqplib: a body over it closes the channel with what the anchor RabbitMQ 3.10 sends once
// `application:set_env(rabbit, max_message_size, 1024)`: 406, "message size 1025 is larger than configured
// max size 1024", class 60 method 40 (basic.publish); a confirm channel gets no ack for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import amqp from 'amqplib';
import { startBroker } from '../../../src/index.js';
import { resolveOptions } from '../../../src/options.js';

test('a body over maxMessageSize: channel.close 406 with RabbitMQ text, ids 60/40; at the limit it goes through', async (t) => {
  const b = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'warn',
    maxMessageSize: 1024,
  });
  t.after(() => b.close());
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  t.after(() => conn.close().catch(() => {}));
  const ch = await conn.createConfirmChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await new Promise<void>((ok, fail) => ch.sendToQueue(queue, Buffer.alloc(1024), {}, (e) => (e ? fail(e) : ok())));
  assert.equal(b.queue(queue).length, 1);

  const closed = new Promise<Error & { code: number; classId: number; methodId: number }>((r) => ch.once('error', r));
  const confirm = new Promise<string>((r) =>
    ch.sendToQueue(queue, Buffer.alloc(1025), {}, (e) => r(e ? 'nack' : 'ack')),
  );
  const err = await closed;
  assert.equal(err.code, 406);
  assert.match(err.message, /PRECONDITION_FAILED - message size 1025 is larger than configured max size 1024"$/);
  assert.deepEqual([err.classId, err.methodId], [60, 40]);
  assert.equal(await confirm, 'nack'); // amqplib fails what was unconfirmed when the channel closes
  assert.equal(b.queue(queue).length, 1);
});

test('maxMessageSize defaults to 128 MiB and is capped at 512 MiB, as rabbit_channel:get_max_message_size', () => {
  assert.equal(resolveOptions({}).maxMessageSize, 134217728);
  assert.equal(resolveOptions({ maxMessageSize: 1 << 30 }).maxMessageSize, 536870912);
});
