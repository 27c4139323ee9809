// amqplib: message deduplication per exchange and per queue (x-message-deduplication, as the community
// plugin): duplicates dropped without routing but confirmed; on an exchange a window and a bounded cache; on
// a queue a key held only while its message is in the queue, in memory. Per-vhost limits (max-connections, max-queues) and per-user limits
// (max-connections, max-channels) with RabbitMQ's refusals (texts taken from RabbitMQ 3.10).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../../src/index.js';
import {
  PROTOCOL_HEADER,
  writeConnectionOpen,
  writeConnectionStartOk,
  writeConnectionTuneOk,
} from '../../../src/codec/amqp/index.js';
import { WireClient } from '../../wire/wire-client.js';
import { buf, channelCloseMessage, Client, closedWith, drain, within } from './util.js';

// on the virtual clock: the dedup windows and message TTLs pass with broker.advance, not by waiting
describe('amqplib: deduplication', () => {
  const broker = useTestBroker({ clock: 'virtual' });

  test('exchange deduplication: by message_id, duplicates confirmed and not returned; a window', async (t) => {
    if (broker.external) return t.skip('RabbitMQ needs the deduplication plugin');
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const returned: string[] = [];
    ch.on('return', (m) => returned.push(m.content.toString()));
    const x = uniqueName('dedup-x');
    const q = uniqueName('dedup-q');
    await ch.assertExchange(x, 'direct', {
      durable: false,
      arguments: { 'x-message-deduplication': true, 'x-cache-ttl': 200 },
    });
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, x, 'k');
    const pub = (body: string, id: string | undefined): Promise<'ack' | 'nack'> =>
      new Promise((resolve) =>
        ch.publish(x, 'k', buf(body), { messageId: id, mandatory: true }, (err) => resolve(err ? 'nack' : 'ack')),
      );
    assert.deepEqual(
      await Promise.all([pub('1', 'a'), pub('2', 'a'), pub('3', 'b'), pub('4', undefined), pub('5', undefined)]),
      ['ack', 'ack', 'ack', 'ack', 'ack'],
    );
    await within(ch.waitForConfirms());
    assert.deepEqual(await drain(ch, q), ['1', '3', '4', '5']);
    assert.deepEqual(returned, []);
    await broker.advance(200); // the window has passed: 'a' is new again
    await pub('6', 'a');
    assert.deepEqual(await drain(ch, q), ['6']);
  });

  test('queue deduplication with x-deduplication-header naming the key header; bounded cache', async (t) => {
    if (broker.external) return t.skip('RabbitMQ needs the deduplication plugin');
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('dedup-q');
    await ch.assertQueue(q, {
      exclusive: true,
      arguments: { 'x-message-deduplication': true, 'x-deduplication-header': 'order-id', 'x-cache-size': 2 },
    });
    const send = (body: string, key: string): boolean => ch.sendToQueue(q, buf(body), { headers: { 'order-id': key } });
    send('o1', '1');
    send('o1-again', '1');
    send('o2', '2');
    send('o3', '3'); // evicts '1' (cache size 2)
    send('o1-late', '1');
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 4);
    assert.deepEqual(await drain(ch, q), ['o1', 'o2', 'o3', 'o1-late']);
  });

  test('a queue holds a key only while its message is in it (the plugin): ack, no-ack, reject, expiry, purge', async (t) => {
    if (broker.external) return t.skip('RabbitMQ needs the deduplication plugin');
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('dedup-present');
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-message-deduplication': true } });
    const send = (body: string, key: string, expiration?: string): void => {
      ch.sendToQueue(q, buf(body), { headers: { 'x-deduplication-header': key }, expiration });
    };
    const get = async (noAck: boolean) => {
      const m = await ch.get(q, { noAck });
      assert.ok(m, 'a message');
      return m;
    };
    send('a1', 'a');
    send('a2', 'a'); // 'a' is in the queue: dropped
    await within(ch.waitForConfirms());
    const a1 = await get(false);
    assert.equal(a1.content.toString(), 'a1');
    send('a3', 'a'); // unacked still counts as in the queue
    await within(ch.waitForConfirms());
    ch.nack(a1, false, true); // back in the queue: still held
    send('a4', 'a');
    await within(ch.waitForConfirms());
    const again = await get(false);
    assert.equal(again.content.toString(), 'a1');
    ch.ack(again); // gone for good: free
    send('a5', 'a');
    await within(ch.waitForConfirms());
    assert.equal((await get(true)).content.toString(), 'a5'); // a no-ack get frees it too
    send('a6', 'a');
    send('e1', 'e', '30');
    await within(ch.waitForConfirms());
    await broker.advance(30);
    assert.deepEqual(await drain(ch, q), ['a6']); // e1 expired
    send('e2', 'e'); // the expired one freed its key
    send('p1', 'p');
    await within(ch.waitForConfirms());
    await ch.purgeQueue(q);
    send('p2', 'p'); // a purge forgets every key
    await within(ch.waitForConfirms());
    assert.deepEqual(await drain(ch, q), ['p2']);
  });

  test("a durable queue's keys are memory only, as the plugin's: a restart forgets them", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-dedup-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const opts = { amqpPort: 0, bind: '127.0.0.1', storage: 'file' as const, dataDir: dir, logLevel: 'warn' as const };
    const q = uniqueName('dedup-durable');
    let b = await startBroker(opts);
    {
      const c = await Client.open(t, `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
      const ch = await c.confirmChannel();
      await ch.assertQueue(q, { durable: true, arguments: { 'x-message-deduplication': true } });
      ch.sendToQueue(q, buf('first'), { messageId: 'id-1', persistent: true });
      ch.sendToQueue(q, buf('dup'), { messageId: 'id-1', persistent: true });
      await within(ch.waitForConfirms());
      await c.close();
    }
    await b.close();
    b = await startBroker(opts);
    t.after(() => b.close());
    const c = await Client.open(t, `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    const ch = await c.confirmChannel();
    ch.sendToQueue(q, buf('after'), { messageId: 'id-1', persistent: true });
    await within(ch.waitForConfirms());
    assert.deepEqual(await drain(ch, q), ['first', 'after']);
  });
});

/** connection.open refused: the connection.close the server sends (amqplib does not show its text). */
async function openRefused(port: number, user: string, pass: string, vhost: string): Promise<string> {
  const w = await WireClient.connect(port);
  try {
    w.decodeFrames = true;
    w.send(PROTOCOL_HEADER);
    await w.expect('connection.start');
    writeConnectionStartOk(w.w, 0, {}, 'PLAIN', Buffer.from(`\u0000${user}\u0000${pass}`), 'en_US');
    w.flush();
    const tune = (await w.expect('connection.tune')) as unknown as { frameMax: number; channelMax: number };
    writeConnectionTuneOk(w.w, 0, tune.channelMax, tune.frameMax, 0);
    writeConnectionOpen(w.w, 0, vhost);
    w.flush();
    const close = (await w.expect('connection.close')) as unknown as { replyCode: number; replyText: string };
    return `${close.replyCode} ${close.replyText}`;
  } finally {
    w.close();
  }
}

describe('amqplib: vhost and user limits', () => {
  test('vhost max-connections (530) and max-queues (406); user max-connections and max-channels (530)', async (t) => {
    const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'warn' });
    t.after(() => b.close());
    b.broker.addVHost('limited', { limits: { 'max-connections': 1, 'max-queues': 1 } });
    b.broker.users.setPermissions('guest', 'limited', { configure: '.*', write: '.*', read: '.*' });
    const url = `amqp://guest:guest@127.0.0.1:${b.amqpPort}/limited`;
    const c1 = await Client.open(t, url);
    assert.equal(
      await openRefused(b.amqpPort!, 'guest', 'guest', 'limited'),
      "530 NOT_ALLOWED - access to vhost 'limited' refused for user 'guest': connection limit (1) is reached",
    );
    const ch = await c1.channel();
    await ch.assertQueue('q1');
    await ch.assertQueue('q1'); // a redeclare is no new queue
    await assert.rejects(ch.assertQueue('q2'));
    assert.equal(
      (await closedWith(ch)).message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        "PRECONDITION_FAILED - cannot declare queue 'q2': queue limit in vhost 'limited' (1) is reached",
      ),
    );
    b.broker.addVHost('limited', { limits: {} });
    const ch2 = await c1.channel();
    await ch2.assertQueue('q2');

    b.broker.users.add('limited-user', 'pw', []);
    b.broker.users.setPermissions('limited-user', '/', { configure: '.*', write: '.*', read: '.*' });
    b.broker.setUserLimits('limited-user', { 'max-connections': 1, 'max-channels': 1 });
    const uurl = `amqp://limited-user:pw@127.0.0.1:${b.amqpPort}/`;
    const u1 = await Client.open(t, uurl);
    assert.equal(
      await openRefused(b.amqpPort!, 'limited-user', 'pw', '/'),
      "530 NOT_ALLOWED - connection refused for user 'limited-user': user connection limit (1) is reached",
    );
    await u1.channel();
    await assert.rejects(u1.channel());
    const err = await u1.closedWith();
    assert.equal(err.code, 530);
    assert.match(
      err.message,
      /number of channels opened for user 'limited-user' has reached the maximum allowed user limit of \(1\)/,
    );
  });
});
