// amqplib: access control as a RabbitMQ user sees it. A user whose permissions cover only "ok.*" gets
// 403 ACCESS_REFUSED with RabbitMQ's texts (checked against RabbitMQ 3.10) on each operation where
// rabbit_channel checks: declare/delete (configure), publish and bind destination (write), consume, get,
// purge and bind source (read); topic permissions limit routing keys on topic exchanges; revoking applies
// to open channels at once; no permission on a vhost refuses connection.open.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { outcome } from '../../helpers/access.js';

let b: RunningBroker;
let url: (user: string, pass: string, vhost?: string) => string;

before(async () => {
  b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
  const users = b.broker.users;
  users.add('limited', 'pw');
  users.setPermissions('limited', '/', { configure: '^ok\\.', write: '^ok\\.', read: '^ok\\.' });
  users.add('topical', 'pw');
  users.setPermissions('topical', '/', { configure: '.*', write: '.*', read: '.*' });
  users.setTopicPermission('topical', '/', { exchange: 'amq.topic', write: '^allowed\\.', read: '^{username}\\.' });
  users.add('novhost', 'pw');
  url = (u, p, v = '/') => `amqp://${u}:${p}@127.0.0.1:${b.amqpPort}/${encodeURIComponent(v)}`;
});
after(() => b.close());

const refused = (what: string, user = 'limited') =>
  `ACCESS_REFUSED - access to ${what} in vhost '/' refused for user '${user}'`;

describe('resource permissions', () => {
  let c: ChannelModel;
  before(async () => {
    c = await connect(url('limited', 'pw'));
    const admin = await connect(url('guest', 'guest'));
    const ch = await admin.createChannel();
    await ch.assertQueue('no.q');
    await ch.assertQueue('ok.q');
    await admin.close();
  });
  after(() => c.close());

  test('configure: declare and delete', async () => {
    assert.equal(await outcome(c, (ch) => ch.assertQueue('no.x')), refused("queue 'no.x'"));
    assert.equal(await outcome(c, (ch) => ch.assertQueue('ok.x', { autoDelete: true })), 'OK');
    assert.equal(await outcome(c, (ch) => ch.assertExchange('no.x', 'direct')), refused("exchange 'no.x'"));
    assert.equal(await outcome(c, (ch) => ch.assertExchange('ok.x', 'direct')), 'OK');
    assert.equal(await outcome(c, (ch) => ch.deleteQueue('no.q')), refused("queue 'no.q'"));
    assert.equal(await outcome(c, (ch) => ch.deleteExchange('ok.x')), 'OK');
    // server-named queues are checked by their generated name, which "^ok\." does not match
    assert.match(await outcome(c, (ch) => ch.assertQueue('', { exclusive: true })), /queue 'amq\.gen-/);
  });

  test('passive declare needs no permission (RabbitMQ)', async () => {
    assert.equal(await outcome(c, (ch) => ch.checkQueue('no.q')), 'OK');
  });

  test('read: consume, get, purge', async () => {
    assert.equal(await outcome(c, (ch) => ch.consume('no.q', () => {})), refused("queue 'no.q'"));
    assert.equal(await outcome(c, (ch) => ch.get('no.q')), refused("queue 'no.q'"));
    assert.equal(await outcome(c, (ch) => ch.purgeQueue('no.q')), refused("queue 'no.q'"));
    assert.equal(await outcome(c, (ch) => ch.get('ok.q')), 'OK');
  });

  test('write: publish, with the default exchange checked as amq.default', async () => {
    const pub = (x: string) => async (ch: Channel) => ch.publish(x, 'k', Buffer.from('m'));
    assert.equal(await outcome(c, pub('amq.direct')), refused("exchange 'amq.direct'"));
    assert.equal(await outcome(c, pub('')), refused("exchange 'amq.default'"));
    // the permission check comes before the exchange lookup
    assert.equal(await outcome(c, pub('missing')), refused("exchange 'missing'"));
  });

  test('bind: write on the queue, read on the exchange', async () => {
    assert.equal(await outcome(c, (ch) => ch.bindQueue('no.q', 'amq.direct', 'k')), refused("queue 'no.q'"));
    assert.equal(await outcome(c, (ch) => ch.bindQueue('ok.q', 'amq.direct', 'k')), refused("exchange 'amq.direct'"));
  });

  test('other channels and connections are not disturbed', async () => {
    const ch = await c.createChannel();
    ch.on('error', () => {});
    await assert.rejects(ch.assertQueue('no.y'));
    const ch2 = await c.createChannel();
    await ch2.checkQueue('ok.q');
    await ch2.close();
  });
});

describe('topic permissions', () => {
  test('publish and bind keys on amq.topic; other exchange types unrestricted', async () => {
    const c = await connect(url('topical', 'pw'));
    const pub = (x: string, k: string) => async (ch: Channel) => ch.publish(x, k, Buffer.from('m'));
    assert.equal(await outcome(c, pub('amq.topic', 'allowed.x')), 'OK');
    assert.equal(
      await outcome(c, pub('amq.topic', 'denied.x')),
      `ACCESS_REFUSED - access to topic 'denied.x' in exchange 'amq.topic' in vhost '/' refused for user 'topical'`,
    );
    assert.equal(await outcome(c, pub('amq.direct', 'denied.x')), 'OK');
    const bind = (k: string) => async (ch: Channel) => {
      const q = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(q.queue, 'amq.topic', k);
    };
    // the read pattern "^{username}\." expands the user name
    assert.equal(await outcome(c, bind('topical.#')), 'OK');
    assert.equal(
      await outcome(c, bind('denied.#')),
      `ACCESS_REFUSED - access to topic 'denied.#' in exchange 'amq.topic' in vhost '/' refused for user 'topical'`,
    );
    await c.close();
  });
});

describe('changes and vhost access', () => {
  test('revoking permissions applies to an open channel at once', async () => {
    b.broker.users.add('revoked', 'pw');
    b.broker.users.setPermissions('revoked', '/', { configure: '.*', write: '.*', read: '.*' });
    const c = await connect(url('revoked', 'pw'));
    const ch = await c.createChannel();
    let err = '';
    ch.on('error', (e: Error) => (err = e.message));
    ch.publish('amq.direct', 'k', Buffer.from('1'));
    await ch.checkExchange('amq.direct');
    b.broker.users.setPermissions('revoked', '/', { configure: '', write: '', read: '' });
    ch.publish('amq.direct', 'k', Buffer.from('2'));
    await assert.rejects(ch.checkExchange('amq.direct'));
    assert.match(err, /access to exchange 'amq.direct' in vhost '\/' refused for user 'revoked'/);
    await c.close();
  });

  test('a user without permissions on the vhost is refused at connection.open', async () => {
    await assert.rejects(connect(url('novhost', 'pw')));
  });

  test('deleting a user closes their connections', async () => {
    b.broker.users.add('gone', 'pw');
    b.broker.users.setPermissions('gone', '/', { configure: '.*', write: '.*', read: '.*' });
    const c = await connect(url('gone', 'pw'));
    const closed = new Promise<void>((r) => c.on('close', () => r()));
    c.on('error', () => {});
    b.broker.deleteUser('gone');
    await closed;
    await assert.rejects(connect(url('gone', 'pw')));
  });
});

describe('vhost limits', () => {
  test('max-queues refuses a new queue with 406; max-connections refuses connection.open', async () => {
    b.broker.addVHost('limited-vh', { limits: { 'max-queues': 1, 'max-connections': 1 } });
    b.broker.users.setPermissions('guest', 'limited-vh', { configure: '.*', write: '.*', read: '.*' });
    const c = await connect(url('guest', 'guest', 'limited-vh'));
    const ch = await c.createChannel();
    await ch.assertQueue('first');
    ch.on('error', () => {});
    await assert.rejects(
      ch.assertQueue('second'),
      /PRECONDITION_FAILED - cannot declare queue 'second': queue limit in vhost 'limited-vh' \(1\) is reached/,
    );
    // an existing queue can still be declared
    const ch2 = await c.createChannel();
    await ch2.assertQueue('first');
    await assert.rejects(connect(url('guest', 'guest', 'limited-vh')));
    await c.close();
  });
});
