// amqplib: errors as a RabbitMQ user sees them — channel exceptions (404 NOT_FOUND, 406 PRECONDITION_FAILED
// for bad queue arguments) with RabbitMQ's exact texts, their isolation from other channels and
// connections, connection exceptions (503 unknown exchange type, 530 consumer tag reuse), and refused
// logins and vhosts. amqplib drops the reply text of a refused connection.open, so that one is also read
// off the wire with a minimal raw handshake.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { connect, type Channel } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { buf, channelCloseMessage, Client, closedWith, collect, within } from './util.js';

/** connection.close as a server sends it. */
interface ConnectionClose {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

/**
 * Handshake with PLAIN guest/guest by hand up to connection.open(vhost) and return the server's
 * connection.close (or null if it answered open-ok).
 */
function rawOpen(host: string, port: number, vhost: string): Promise<ConnectionClose | null> {
  const method = (classId: number, methodId: number, args: Buffer): Buffer => {
    const payload = Buffer.concat([Buffer.from([classId >> 8, classId & 255, methodId >> 8, methodId & 255]), args]);
    const header = Buffer.alloc(7);
    header.writeUInt8(1, 0);
    header.writeUInt16BE(0, 1);
    header.writeUInt32BE(payload.length, 3);
    return Buffer.concat([header, payload, Buffer.from([0xce])]);
  };
  const shortstr = (s: string): Buffer => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
  const longstr = (s: string): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(Buffer.byteLength(s));
    return Buffer.concat([len, Buffer.from(s)]);
  };
  return within(
    new Promise<ConnectionClose | null>((resolve, reject) => {
      const sock = net.connect(port, host);
      let acc = Buffer.alloc(0);
      sock.on('error', reject);
      sock.on('connect', () => sock.write(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')));
      sock.on('data', (chunk) => {
        acc = Buffer.concat([acc, chunk]);
        while (acc.length >= 8 && acc.length >= 8 + acc.readUInt32BE(3)) {
          const type = acc.readUInt8(0);
          const size = acc.readUInt32BE(3);
          const payload = acc.subarray(7, 7 + size);
          acc = acc.subarray(8 + size);
          if (type !== 1) continue; // only method frames matter here
          const id = `${payload.readUInt16BE(0)}.${payload.readUInt16BE(2)}`;
          if (id === '10.10') {
            // connection.start → start-ok (empty client properties, PLAIN, en_US)
            const args = Buffer.concat([
              Buffer.alloc(4),
              shortstr('PLAIN'),
              longstr('\x00guest\x00guest'),
              shortstr('en_US'),
            ]);
            sock.write(method(10, 11, args));
          } else if (id === '10.30') {
            // connection.tune → tune-ok with the server's values, then open
            sock.write(method(10, 31, payload.subarray(4, 12)));
            sock.write(method(10, 40, Buffer.concat([shortstr(vhost), shortstr(''), Buffer.from([0])])));
          } else if (id === '10.41') {
            sock.destroy();
            resolve(null);
          } else if (id === '10.50') {
            const textLen = payload.readUInt8(6);
            const close = {
              replyCode: payload.readUInt16BE(4),
              replyText: payload.subarray(7, 7 + textLen).toString(),
              classId: payload.readUInt16BE(7 + textLen),
              methodId: payload.readUInt16BE(9 + textLen),
            };
            sock.write(method(10, 51, Buffer.alloc(0)));
            sock.end();
            resolve(close);
          }
        }
      });
    }),
    3000,
    'raw handshake',
  );
}

describe('amqplib: errors', () => {
  const broker = useTestBroker();

  const withCredentials = (user: string, pass: string, vhost = '') => {
    const u = new URL(broker.url);
    u.username = user;
    u.password = pass;
    u.pathname = vhost ? `/${encodeURIComponent(vhost)}` : '/';
    return u.toString();
  };

  test('publishing to a missing exchange closes the channel with 404', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const x = uniqueName('missing');
    ch.publish(x, 'k', buf('lost'));
    const err = await closedWith(ch);
    assert.equal(err.code, 404);
    assert.equal(err.classId, 60);
    assert.equal(err.methodId, 40);
    assert.equal(err.message, channelCloseMessage(404, 'NOT-FOUND', `NOT_FOUND - no exchange '${x}' in vhost '/'`));
    // the channel is gone for the client too
    assert.throws(() => ch.publish('', 'k', buf('x')), /Channel closed/);
  });

  test("a bad expiration property is 406 on basic.publish, with RabbitMQ's reason", async (t) => {
    const c = await Client.open(t, broker.url);
    const cases: [string, string][] = [
      ['soon', 'no_integer'],
      ['', 'no_integer'],
      ['12abc', '{leftover_string,"abc"}'],
      ['-1', '{value_negative,-1}'],
    ];
    for (const [e, reason] of cases) {
      const ch = await c.channel();
      ch.sendToQueue('anything', buf('m'), { expiration: e });
      const err = await closedWith(ch);
      assert.equal(err.code, 406);
      assert.equal(err.classId, 60);
      assert.equal(err.methodId, 40);
      assert.equal(
        err.message,
        channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - invalid expiration '${e}': ${reason}`),
      );
    }
    // '+5' and '0' are integers to Erlang's string:to_integer: accepted
    const ch = await c.channel();
    const q = uniqueName('exp');
    await ch.assertQueue(q, { exclusive: true });
    ch.sendToQueue(q, buf('a'), { expiration: '+5000' });
    assert.equal((await ch.checkQueue(q)).messageCount, 1);
  });

  test('operations on missing queues and exchanges: 404 with the exact texts', async (t) => {
    const c = await Client.open(t, broker.url);
    const q = uniqueName('no-queue');
    const x = uniqueName('no-exchange');
    const existing = uniqueName('q');
    await (await c.channel()).assertQueue(existing, { exclusive: true });
    const noQueue = `NOT_FOUND - no queue '${q}' in vhost '/'`;
    const noExchange = `NOT_FOUND - no exchange '${x}' in vhost '/'`;
    const cases: Array<[string, (ch: Channel) => Promise<unknown>, string, number]> = [
      ['queue.declare passive', (ch) => ch.checkQueue(q), noQueue, 50 * 65536 + 10],
      ['exchange.declare passive', (ch) => ch.checkExchange(x), noExchange, 40 * 65536 + 10],
      ['queue.bind to a missing queue', (ch) => ch.bindQueue(q, 'amq.direct', 'k'), noQueue, 50 * 65536 + 20],
      ['queue.bind to a missing exchange', (ch) => ch.bindQueue(existing, x, 'k'), noExchange, 50 * 65536 + 20],
      [
        'exchange.bind from a missing exchange',
        (ch) => ch.bindExchange('amq.direct', x, 'k'),
        noExchange,
        40 * 65536 + 30,
      ],
      ['queue.purge', (ch) => ch.purgeQueue(q), noQueue, 50 * 65536 + 30],
      ['basic.consume', (ch) => ch.consume(q, () => {}), noQueue, 60 * 65536 + 20],
      ['basic.get', (ch) => ch.get(q), noQueue, 60 * 65536 + 70],
    ];
    for (const [what, action, text, methodKey] of cases) {
      const ch = await c.channel();
      await assert.rejects(action(ch), what);
      const err = await closedWith(ch);
      assert.equal(err.code, 404, what);
      assert.equal(err.message, channelCloseMessage(404, 'NOT-FOUND', text), what);
      assert.equal(err.classId! * 65536 + err.methodId!, methodKey, `${what}: class and method of the close`);
    }
  });

  test('not errors in RabbitMQ: unbinding, deleting and cancelling what is already gone', async (t) => {
    // RabbitMQ 3.10 answers -ok to each (measured against the anchor: docs/rabbitmq-behaviour.md); clients'
    // clean-up code relies on it (aio-pika unbinds after an auto-delete exchange or queue went away)
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('q');
    const gone = uniqueName('gone');
    const x = uniqueName('x');
    await ch.assertQueue(q, { exclusive: true });
    assert.deepEqual(await ch.unbindQueue(q, 'amq.direct', 'never-bound'), {}, 'missing binding');
    assert.deepEqual(await ch.unbindQueue(gone, 'amq.direct', 'k'), {}, 'missing queue');
    assert.deepEqual(await ch.unbindQueue(q, gone, 'k'), {}, 'missing exchange');
    assert.deepEqual(await ch.unbindQueue(gone, gone, 'k'), {}, 'both missing');
    assert.deepEqual(await ch.unbindExchange(gone, 'amq.direct', 'k'), {}, 'missing destination exchange');
    assert.deepEqual(await ch.unbindExchange('amq.fanout', gone, 'k'), {}, 'missing source exchange');
    assert.deepEqual(await ch.unbindExchange('amq.fanout', 'amq.direct', 'k'), {}, 'missing e2e binding');
    // the aio-pika case: the auto-delete exchange went with its last binding, then the clean-up unbinds again
    await ch.assertExchange(x, 'topic', { durable: false, autoDelete: true });
    await ch.bindQueue(q, x, 'a.#');
    await ch.unbindQueue(q, x, 'a.#');
    await assert.rejects(within((await c.channel()).checkExchange(x)), 'the auto-delete exchange is gone');
    assert.deepEqual(await ch.unbindQueue(q, x, 'a.#'), {}, 'unbind after the exchange went');
    assert.deepEqual(await ch.deleteQueue(gone, { ifUnused: true, ifEmpty: true }), { messageCount: 0 });
    assert.deepEqual(await ch.deleteExchange(gone, { ifUnused: true }), {});
    assert.deepEqual(await ch.cancel('no-such-consumer'), { consumerTag: 'no-such-consumer' });
    await ch.checkQueue(q); // the channel is still open
  });

  test("unbind on another connection's exclusive queue: 405 only when the binding exists", async (t) => {
    const owner = await Client.open(t, broker.url);
    const q = uniqueName('excl');
    const och = await owner.channel();
    await och.assertQueue(q, { exclusive: true });
    await och.bindQueue(q, 'amq.direct', 'bound');
    const other = await Client.open(t, broker.url);
    const ch = await other.channel();
    assert.deepEqual(await ch.unbindQueue(q, 'amq.direct', 'not-bound'), {});
    await assert.rejects(ch.unbindQueue(q, 'amq.direct', 'bound'));
    assert.equal((await closedWith(ch)).code, 405);
    // the binding is still there
    och.publish('amq.direct', 'bound', buf('m'));
    assert.equal((await och.checkQueue(q)).messageCount, 1);
  });

  test('unbinding from the default exchange is still refused (403)', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    await assert.rejects(ch.unbindQueue(uniqueName('gone'), '', 'k'));
    const err = await closedWith(ch);
    assert.equal(err.code, 403);
    assert.equal(
      err.message,
      channelCloseMessage(403, 'ACCESS-REFUSED', 'ACCESS_REFUSED - operation not permitted on the default exchange'),
    );
  });

  test('invalid queue arguments: 406 with the exact texts', async (t) => {
    const c = await Client.open(t, broker.url);
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { 'x-max-length': 'abc' },
        `invalid arg 'x-max-length' for queue '%Q' in vhost '/': "expected integer, got longstr"`,
      ],
      [{ 'x-message-ttl': -1 }, `invalid arg 'x-message-ttl' for queue '%Q' in vhost '/': {value_negative,-1}`],
      [{ 'x-max-priority': 300 }, `invalid arg 'x-max-priority' for queue '%Q' in vhost '/': {max_value_exceeded,300}`],
      [
        { 'x-queue-type': 'bogus' },
        `invalid arg 'x-queue-type' for queue '%Q' in vhost '/': "unsupported queue type 'bogus'"`,
      ],
    ];
    for (const [args, text] of cases) {
      const q = uniqueName('badargs');
      const ch = await c.channel();
      await assert.rejects(ch.assertQueue(q, { durable: true, arguments: args }));
      const err = await closedWith(ch);
      assert.equal(
        err.message,
        channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - ${text.replace('%Q', q)}`),
      );
    }
  });

  test('a channel error leaves other channels and connections untouched', async (t) => {
    const c = await Client.open(t, broker.url);
    const other = await Client.open(t, broker.url);
    const q = uniqueName('survivor');
    const setup = await c.channel();
    await setup.assertQueue(q, { exclusive: true });
    const consumerCh = await c.channel();
    const got = await collect(consumerCh, q, { ack: true });
    const publisher = await c.channel();
    publisher.sendToQueue(q, buf('before'));
    await eventually(() => got.messages.length === 1);

    const bad = await c.channel();
    bad.publish(uniqueName('missing'), '', buf('x'));
    assert.equal((await closedWith(bad)).code, 404);
    const bad2 = await c.channel();
    await assert.rejects(bad2.checkQueue(uniqueName('missing')));
    assert.equal((await closedWith(bad2)).code, 404);

    // same connection: existing channels keep publishing and consuming; new channels open
    publisher.sendToQueue(q, buf('after'));
    await eventually(() => got.messages.length === 2);
    assert.deepEqual(got.bodies(), ['before', 'after']);
    const fresh = await c.channel();
    assert.equal((await fresh.checkQueue(q)).consumerCount, 1);
    // another connection: unaffected
    const och = await other.channel();
    await och.checkExchange('amq.direct');
    await assert.rejects(och.checkQueue(q), 'still exclusive to the first connection');
    assert.equal((await closedWith(och)).code, 405);
  });

  test('connection errors close every channel of that connection only', async (t) => {
    const c = await Client.open(t, broker.url);
    const bystander = await Client.open(t, broker.url);
    const ch1 = await c.channel();
    const ch2 = await c.channel();
    const closes: string[] = [];
    ch1.on('close', () => closes.push('ch1'));
    await assert.rejects(ch2.assertExchange(uniqueName('x'), 'nope'));
    const err = await c.closedWith();
    assert.equal(err.code, 503);
    assert.equal(
      err.message,
      `Connection closed: 503 (COMMAND-INVALID) with message "COMMAND_INVALID - unknown exchange type 'nope'"`,
    );
    await eventually(() => closes.includes('ch1'));
    const bch = await bystander.channel();
    await bch.checkExchange('amq.fanout');
  });

  test('reusing a consumer tag on a channel is a 530 connection error', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('q');
    await ch.assertQueue(q, { exclusive: true });
    await ch.consume(q, () => {}, { consumerTag: 'dup' });
    await assert.rejects(ch.consume(q, () => {}, { consumerTag: 'dup' }));
    const err = await c.closedWith();
    assert.equal(err.code, 530);
    assert.equal(
      err.message,
      `Connection closed: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - attempt to reuse consumer tag 'dup'"`,
    );
  });

  test('a wrong password or an unknown user is refused with 403 ACCESS_REFUSED', async () => {
    const text =
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message ' +
      '"ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."';
    await assert.rejects(within(connect(withCredentials('guest', 'wrong')), 5000), { message: text });
    await assert.rejects(within(connect(withCredentials(uniqueName('nobody'), 'x')), 5000), { message: text });
  });

  test('an unknown vhost is refused with 530 NOT_ALLOWED', async () => {
    const vhost = uniqueName('no-such-vhost');
    // amqplib reports only that open-ok did not come
    await assert.rejects(within(connect(withCredentials('guest', 'guest', vhost)), 5000), {
      message: 'Expected ConnectionOpenOk; got <ConnectionClose channel:0>',
    });
    // the close itself, read off the wire
    assert.deepEqual(await rawOpen(broker.host, broker.port, vhost), {
      replyCode: 530,
      replyText: `NOT_ALLOWED - vhost ${vhost} not found`,
      classId: 10,
      methodId: 40,
    });
    assert.equal(await rawOpen(broker.host, broker.port, '/'), null, 'the default vhost opens');
  });
});
