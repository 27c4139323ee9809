// amqplib: queues as a RabbitMQ user sees them — server-named queues, passive declare and its counts,
// durable/exclusive/auto-delete lifetimes, exclusive locking (405), equivalence checks on redeclare (406 with
// RabbitMQ's exact texts), purge, delete if-unused/if-empty, the reserved amq. prefix, and quorum queues.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { buf, channelCloseMessage, Client, closedWith, collect, type AmqpError } from './util.js';

describe('amqplib: queues', () => {
  const broker = useTestBroker();

  /** Run `action` on a fresh channel of `c` and return the error the server closes that channel with. */
  async function refused(c: Client, action: (ch: Channel) => Promise<unknown>): Promise<AmqpError> {
    const ch = await c.channel();
    await assert.rejects(action(ch));
    return closedWith(ch);
  }

  /** Poll with passive declares (each on a fresh channel) until `q` is gone; returns the 404 close error. */
  async function whenGone(c: Client, q: string): Promise<AmqpError> {
    const err = await eventually(async () => {
      const probe = await c.channel();
      return probe.checkQueue(q).then(
        () => null,
        () => closedWith(probe),
      );
    });
    return err!;
  }

  test('server-named queues: amq.gen- names, unique, usable at once', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const a = await ch.assertQueue('', { exclusive: true });
    const b = await ch.assertQueue('');
    assert.match(a.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
    assert.match(b.queue, /^amq\.gen-[A-Za-z0-9_-]{22}$/);
    assert.notEqual(a.queue, b.queue);
    assert.deepEqual(a, { queue: a.queue, messageCount: 0, consumerCount: 0 });
    ch.sendToQueue(a.queue, buf('hi'));
    await eventually(async () => (await ch.checkQueue(a.queue)).messageCount === 1);
    await ch.deleteQueue(b.queue);
  });

  test('passive declare reports ready messages and consumers', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('counts');
    await ch.assertQueue(q, { exclusive: true });
    for (let i = 0; i < 3; i++) ch.sendToQueue(q, buf(`m${i}`));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 3);
    assert.deepEqual(await ch.checkQueue(q), { queue: q, messageCount: 3, consumerCount: 0 });

    const cch = await c.channel();
    await cch.prefetch(1);
    const got = await collect(cch, q); // holds one unacked message
    await eventually(() => got.messages.length === 1);
    // unacked messages are not counted as ready
    await eventually(async () => {
      const ok = await ch.checkQueue(q);
      return ok.messageCount === 2 && ok.consumerCount === 1;
    });
    // an active (non-passive) redeclare reports the same counts
    const again = await ch.assertQueue(q, { exclusive: true });
    assert.deepEqual(again, { queue: q, messageCount: 2, consumerCount: 1 });
    await cch.cancel(got.tag);
    assert.equal((await ch.checkQueue(q)).consumerCount, 0);
  });

  test('an exclusive queue is deleted when its connection closes', async (t) => {
    const owner = await Client.open(t, broker.url);
    const ch = await owner.channel();
    const q = uniqueName('exclusive');
    await ch.assertQueue(q, { exclusive: true, durable: false });
    const other = await Client.open(t, broker.url);
    const och = await other.channel();
    assert.equal((await ch.checkQueue(q)).queue, q);
    await owner.close();
    const err = await whenGone(other, q);
    assert.equal(err.code, 404);
    assert.equal(err.message, channelCloseMessage(404, 'NOT-FOUND', `NOT_FOUND - no queue '${q}' in vhost '/'`));
    await och.close();
  });

  test('another connection cannot use an exclusive queue: 405 RESOURCE_LOCKED', async (t) => {
    const owner = await Client.open(t, broker.url);
    const ch = await owner.channel();
    const q = uniqueName('locked');
    await ch.assertQueue(q, { exclusive: true });
    const other = await Client.open(t, broker.url);
    const text =
      `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. ` +
      'It could be originally declared on another connection or the exclusive property value does not match ' +
      'that of the original declaration.';
    const attempts: Array<[string, (ch: Channel) => Promise<unknown>]> = [
      ['declare', (c) => c.assertQueue(q, { exclusive: true })],
      ['declare non-exclusive', (c) => c.assertQueue(q)],
      ['passive declare', (c) => c.checkQueue(q)],
      ['consume', (c) => c.consume(q, () => {})],
      ['get', (c) => c.get(q)],
      ['purge', (c) => c.purgeQueue(q)],
      ['delete', (c) => c.deleteQueue(q)],
      ['bind', (c) => c.bindQueue(q, 'amq.fanout', '')],
    ];
    for (const [what, action] of attempts) {
      const err = await refused(other, action);
      assert.equal(err.code, 405, what);
      assert.equal(err.message, channelCloseMessage(405, 'RESOURCE-LOCKED', text), what);
    }
    // ... but it can publish to it
    const och = await other.channel();
    och.sendToQueue(q, buf('from elsewhere'));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 1);
    // the owner still can do everything, on any of its channels
    const ch2 = await owner.channel();
    assert.equal((await ch2.purgeQueue(q)).messageCount, 1);
    await ch2.deleteQueue(q);
  });

  test('an auto-delete queue goes when its last consumer cancels, not before', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('autodelete');
    await ch.assertQueue(q, { autoDelete: true });
    // never consumed: still there
    assert.equal((await ch.checkQueue(q)).queue, q);
    const c1 = await collect(ch, q);
    const c2 = await collect(ch, q);
    await ch.cancel(c1.tag);
    assert.equal((await ch.checkQueue(q)).consumerCount, 1, 'one consumer left: queue kept');
    await ch.cancel(c2.tag);
    const err = await whenGone(c, q);
    assert.equal(err.code, 404);
  });

  test('an auto-delete queue goes when the connection of its last consumer closes', async (t) => {
    const owner = await Client.open(t, broker.url);
    const q = uniqueName('autodelete');
    await (await owner.channel()).assertQueue(q, { autoDelete: true });
    const consumer = await Client.open(t, broker.url);
    await collect(await consumer.channel(), q);
    await consumer.close();
    const err = await whenGone(owner, q);
    assert.equal(err.code, 404);
  });

  test('a durable queue outlives the connection that declared it', async (t) => {
    const q = uniqueName('durable');
    const first = await Client.open(t, broker.url);
    await (await first.channel()).assertQueue(q, { durable: true });
    (await first.channel()).sendToQueue(q, buf('kept'), { persistent: true });
    await eventually(async () => (await (await first.channel()).checkQueue(q)).messageCount === 1);
    await first.close();
    const second = await Client.open(t, broker.url);
    const ch = await second.channel();
    const ok = await ch.assertQueue(q, { durable: true });
    assert.deepEqual(ok, { queue: q, messageCount: 1, consumerCount: 0 });
    assert.equal((await ch.deleteQueue(q)).messageCount, 1);
  });

  test('redeclaring with different properties is refused with 406 and RabbitMQ texts', async (t) => {
    const c = await Client.open(t, broker.url);
    const setup = await c.channel();
    const q = uniqueName('equiv');
    await setup.assertQueue(q, { durable: true, arguments: { 'x-max-length': 10, 'x-message-ttl': 5000 } });
    // exactly equivalent: fine
    await setup.assertQueue(q, { durable: true, arguments: { 'x-max-length': 10, 'x-message-ttl': 5000 } });
    // integers of another width (amqplib sent a byte and a short above; here a long) are equivalent, and
    // arguments RabbitMQ does not know are not compared
    await setup.assertQueue(q, {
      durable: true,
      arguments: { 'x-max-length': { '!': 'long', value: 10 }, 'x-message-ttl': 5000, 'x-unknown': 'anything' },
    });

    const cases: Array<[string, (ch: Channel) => Promise<unknown>, string]> = [
      [
        'durable',
        (ch) => ch.assertQueue(q, { durable: false, arguments: { 'x-max-length': 10, 'x-message-ttl': 5000 } }),
        `inequivalent arg 'durable' for queue '${q}' in vhost '/': received 'false' but current is 'true'`,
      ],
      [
        'auto_delete',
        (ch) =>
          ch.assertQueue(q, {
            durable: true,
            autoDelete: true,
            arguments: { 'x-max-length': 10, 'x-message-ttl': 5000 },
          }),
        `inequivalent arg 'auto_delete' for queue '${q}' in vhost '/': received 'true' but current is 'false'`,
      ],
      [
        'x-max-length value',
        (ch) => ch.assertQueue(q, { durable: true, arguments: { 'x-max-length': 20, 'x-message-ttl': 5000 } }),
        `inequivalent arg 'x-max-length' for queue '${q}' in vhost '/': received '20' but current is '10'`,
      ],
      [
        'x-max-length as a string',
        (ch) => ch.assertQueue(q, { durable: true, arguments: { 'x-max-length': '10', 'x-message-ttl': 5000 } }),
        // a different type is inequivalent even though the text shows the same value
        `inequivalent arg 'x-max-length' for queue '${q}' in vhost '/': received '10' but current is '10'`,
      ],
      [
        'x-message-ttl missing',
        (ch) => ch.assertQueue(q, { durable: true, arguments: { 'x-max-length': 10 } }),
        `inequivalent arg 'x-message-ttl' for queue '${q}' in vhost '/': ` +
          "received none but current is the value '5000' of type 'short'",
      ],
      [
        'x-expires added',
        (ch) =>
          ch.assertQueue(q, {
            durable: true,
            arguments: { 'x-max-length': 10, 'x-message-ttl': 5000, 'x-expires': 60000 },
          }),
        `inequivalent arg 'x-expires' for queue '${q}' in vhost '/': ` +
          "received the value '60000' of type 'signedint' but current is none",
      ],
    ];
    for (const [what, action, text] of cases) {
      const err = await refused(c, action);
      assert.equal(err.code, 406, what);
      assert.equal(err.message, channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - ${text}`), what);
    }
    // the failed redeclares changed nothing; a passive declare never checks properties
    const ok = await setup.checkQueue(q);
    assert.equal(ok.queue, q);
    await setup.deleteQueue(q);
  });

  test('purge returns the number of ready messages it removed', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('purge');
    await ch.assertQueue(q, { exclusive: true });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, buf(`m${i}`));
    const held = await eventually(() => ch.get(q)); // one unacked: not purged
    assert.ok(held);
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 3);
    assert.deepEqual(await ch.purgeQueue(q), { messageCount: 3 });
    assert.deepEqual(await ch.purgeQueue(q), { messageCount: 0 });
    ch.nack(held, false, true);
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 1);
  });

  test('delete if-unused, if-empty, and the deleted-message count', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('del');
    await ch.assertQueue(q);
    const consumer = await collect(ch, q);

    let err = await refused(c, (x) => x.deleteQueue(q, { ifUnused: true }));
    assert.equal(
      err.message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - queue '${q}' in vhost '/' in use`),
    );
    await ch.cancel(consumer.tag);
    ch.sendToQueue(q, buf('one'));
    ch.sendToQueue(q, buf('two'));
    await eventually(async () => (await ch.checkQueue(q)).messageCount === 2);
    err = await refused(c, (x) => x.deleteQueue(q, { ifEmpty: true }));
    assert.equal(
      err.message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - queue '${q}' in vhost '/' not empty`),
    );
    assert.deepEqual(await ch.deleteQueue(q, { ifUnused: true }), { messageCount: 2 });
    // deleting a queue that does not exist is not an error
    assert.deepEqual(await ch.deleteQueue(q), { messageCount: 0 });
  });

  test('the amq. prefix is reserved for queue names', async (t) => {
    const c = await Client.open(t, broker.url);
    const name = `amq.${uniqueName('q')}`;
    const err = await refused(c, (ch) => ch.assertQueue(name));
    assert.equal(err.code, 403);
    assert.equal(
      err.message,
      channelCloseMessage(
        403,
        'ACCESS-REFUSED',
        `ACCESS_REFUSED - queue name '${name}' contains reserved prefix 'amq.*'`,
      ),
    );
    // a passive declare of such a name is just not found
    const err2 = await refused(c, (ch) => ch.checkQueue(name));
    assert.equal(err2.code, 404);
  });

  test('x-queue-type quorum: accepted when durable, refused otherwise', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const q = uniqueName('quorum');
    const args = { 'x-queue-type': 'quorum' };
    const ok = await ch.assertQueue(q, { durable: true, arguments: args });
    assert.deepEqual(ok, { queue: q, messageCount: 0, consumerCount: 0 });
    await ch.assertQueue(q, { durable: true, arguments: args });
    ch.sendToQueue(q, buf('q1'));
    const m = await eventually(() => ch.get(q, { noAck: true }));
    assert.ok(m);
    assert.equal(m.content.toString(), 'q1');

    // redeclaring as classic is inequivalent
    const typeErr = await refused(c, (x) =>
      x.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'classic' } }),
    );
    assert.equal(
      typeErr.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${q}' in vhost '/': ` +
          "received 'classic' but current is 'quorum'",
      ),
    );
    await ch.deleteQueue(q);

    const nd = uniqueName('quorum');
    const nonDurable = await refused(c, (x) => x.assertQueue(nd, { durable: false, arguments: args }));
    assert.equal(
      nonDurable.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        `PRECONDITION_FAILED - invalid property 'non-durable' for queue '${nd}' in vhost '/'`,
      ),
    );
    const ex = uniqueName('quorum');
    const exclusive = await refused(c, (x) => x.assertQueue(ex, { durable: true, exclusive: true, arguments: args }));
    assert.equal(
      exclusive.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        `PRECONDITION_FAILED - invalid property 'exclusive-owner' for queue '${ex}' in vhost '/'`,
      ),
    );
    const ad = uniqueName('quorum');
    const autoDelete = await refused(c, (x) => x.assertQueue(ad, { durable: true, autoDelete: true, arguments: args }));
    assert.equal(
      autoDelete.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        `PRECONDITION_FAILED - invalid property 'auto-delete' for queue '${ad}' in vhost '/'`,
      ),
    );
  });
});
