// @cloudamqp/amqp-client (npm): CloudAMQP's dependency-free client. Its channel API maps one to one onto AMQP
// methods; its AMQPSession adds what services use: declared queues and subscriptions recovered after a
// reconnect, and RPC (a server on a queue, calls over direct reply-to).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AMQPClient, AMQPSession, type AMQPError, type AMQPMessage } from '@cloudamqp/amqp-client';
import { uniqueName } from '../../helpers/broker.js';
import { closeConnectionsNamed, until, useFrameworkBroker } from './util.js';

describe('@cloudamqp/amqp-client', () => {
  const broker = useFrameworkBroker();

  async function connect(t: { after(fn: () => Promise<void>): void }): Promise<AMQPClient> {
    const client = new AMQPClient(broker.url);
    await client.connect();
    t.after(async () => {
      if (!client.closed) await client.close().catch(() => {});
    });
    return client;
  }

  test('channel API: topology, confirms, properties, consume/ack, qos, get, returns, tx', async (t) => {
    const client = await connect(t);
    const ch = await client.channel();
    const x = uniqueName('cloudamqp-x');
    // amqp-client makes a server-named queue auto-delete unless told otherwise: it outlives the consumer here
    const q = (await ch.queueDeclare('', { exclusive: true, autoDelete: false })).name;
    await ch.exchangeDeclare(x, 'topic', { autoDelete: true });
    await ch.queueBind(q, x, 'a.*');
    await ch.confirmSelect();
    const headers = { n: 1, nested: { list: [1, 'two', true] }, s: 'text' };
    for (let i = 0; i < 10; i++) {
      // in confirm mode basicPublish resolves once the broker confirmed the message
      await ch.basicPublish(x, 'a.b', `m${i}`, {
        contentType: 'text/plain',
        headers,
        priority: 3,
        messageId: `id${i}`,
      });
    }
    const got: AMQPMessage[] = [];
    await ch.basicQos(4);
    const consumer = await ch.basicConsume(q, { noAck: false }, (m) => {
      got.push(m);
    });
    await until(() => got.length === 4, 'the first 4 deliveries');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.length, 4, 'basic.qos 4: no more than 4 unacked');
    await got[3]!.ack(true);
    await until(() => got.length === 8, 'the next 4 after a multiple ack');
    for (const m of got.slice(4)) await m.ack();
    await until(() => got.length === 10, 'the rest');
    await got[9]!.ack(true);
    assert.deepEqual(
      got.map((m) => m.bodyToString()),
      [...Array(10).keys()].map((i) => `m${i}`),
    );
    assert.deepEqual(got[2]!.properties.headers, headers);
    assert.equal(got[2]!.properties.priority, 3);
    assert.equal(got[2]!.properties.messageId, 'id2');
    assert.equal(got[2]!.routingKey, 'a.b');
    await consumer.cancel();

    assert.equal(await ch.basicGet(q), null, 'basic.get-empty');
    const returned: AMQPMessage[] = [];
    ch.onReturn = (m) => returned.push(m);
    await ch.basicPublish(x, 'no.route', 'lost', {}, true);
    await until(() => returned.length === 1, 'basic.return');
    assert.equal(returned[0]!.replyCode, 312);
    assert.equal(returned[0]!.replyText, 'NO_ROUTE');

    const tx = await client.channel();
    await tx.txSelect();
    await tx.basicPublish('', q, 'rolled back');
    await tx.txRollback();
    await tx.basicPublish('', q, 'committed');
    await tx.txCommit();
    assert.equal((await tx.basicGet(q, { noAck: true }))?.bodyToString(), 'committed');
    assert.equal(await tx.basicGet(q), null);
  });

  test('a channel error rejects the call and closes only that channel', async (t) => {
    const client = await connect(t);
    const bad = await client.channel();
    const missing = uniqueName('missing');
    await assert.rejects(bad.queueDeclare(missing, { passive: true }), (e: AMQPError) => {
      assert.match(e.message, new RegExp(`NOT_FOUND - no queue '${missing.replace(/\./g, '\\.')}' in vhost '/'`));
      return true;
    });
    assert.equal(bad.closed, true);
    const ok = await client.channel();
    assert.equal((await ok.queueDeclare('', { exclusive: true })).messageCount, 0);
    // clean-up of what is already gone answers -ok (RabbitMQ 3.10)
    await ok.queueUnbind(missing, 'amq.direct', 'k');
    await ok.exchangeUnbind(missing, 'amq.direct', 'k');
    assert.deepEqual(await ok.queueDelete(missing), { messageCount: 0 });
    assert.equal(client.closed, false);
  });

  test('AMQPSession: RPC, and subscriptions recovered after the management API closes the connection', async (t) => {
    const name = uniqueName('cloudamqp-session');
    const events: string[] = [];
    const session = await AMQPSession.connect(`${broker.url}?name=${encodeURIComponent(name)}`, {
      reconnectInterval: 100,
      maxReconnectInterval: 500,
      onconnect: () => events.push('connect'),
      ondisconnect: () => events.push('disconnect'),
    });
    t.after(() => session.stop().catch(() => {}));
    const rpcQueue = uniqueName('cloudamqp-rpc');
    const server = await session.rpcServer(rpcQueue, (m) => `echo:${m.bodyToString() ?? ''}`);
    const reply = await session.rpcCall(rpcQueue, 'hello', { timeout: 5000 });
    assert.equal(reply.bodyToString(), 'echo:hello');
    await server.close();

    const q = await session.queue(uniqueName('cloudamqp-sq'), { durable: false, autoDelete: false });
    const got: string[] = [];
    await q.subscribe({ noAck: false }, async (m) => {
      got.push(m.bodyToString() ?? '');
      await m.ack();
    });
    await q.publish('before', { confirm: true });
    await until(() => got.length === 1, 'the delivery before the drop');
    assert.equal(await closeConnectionsNamed(broker.management, name), 1);
    await until(() => events.includes('disconnect') && events.filter((e) => e === 'connect').length >= 1, 'reconnect');
    await until(() => !session.closed, 'the session open again', 10_000);
    await q.publish('after', { confirm: true });
    await until(() => got.length === 2, 'the delivery after the reconnect (subscription recovered)', 10_000);
    assert.deepEqual(got, ['before', 'after']);
    await q.delete();
  });
});
