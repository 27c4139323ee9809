// amqplib: connection.update-secret (RabbitMQ's extension, class 10 methods 70/71), with the promise API
// (`connection.updateSecret`) and the callback API. The backend that admitted the connection answers: the
// internal one (the user store) accepts any secret, as RabbitMQ's internal backend does (amqplib's own suite
// sends "new secret" for guest), but refuses a user deleted or re-created since the login; a refusal closes
// the connection with 530 "NOT_ALLOWED - New secret was refused by one of the backends" (rabbit_reader
// handle_method0 connection.update_secret), which both APIs report as the connection's 'error' and 'close'
// events (amqplib settles updateSecret itself only on update-secret-ok).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from 'amqplib';
import * as cb from 'amqplib/callback_api';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { within } from './util.js';

let b: RunningBroker;
let url: (user: string, pass: string) => string;
before(async () => {
  b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
  b.broker.users.add('rotating', 'pw-1');
  b.broker.users.setPermissions('rotating', '/', { configure: '.*', write: '.*', read: '.*' });
  url = (user, pass) => `amqp://${user}:${pass}@127.0.0.1:${b.amqpPort}/`;
});
after(() => b.close());

const REFUSED = 'NOT_ALLOWED - New secret was refused by one of the backends';

describe('promise API', () => {
  test('a good secret: update-secret-ok, the connection and its channels go on', async () => {
    const c = await connect(url('guest', 'guest'));
    const ch = await c.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    await c.updateSecret(Buffer.from('guest'), 'token refresh');
    assert.ok(ch.sendToQueue(q.queue, Buffer.from('after refresh')));
    let m: false | { content: Buffer } = false;
    for (let i = 0; i < 100 && !m; i++) m = await ch.get(q.queue, { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), 'after refresh');
    await c.close();
  });

  test('any secret for a user still in the store: update-secret-ok, as RabbitMQ (amqplib suite)', async () => {
    const c = await connect(url('rotating', 'pw-1'));
    // amqplib's own channel_api/callback_api tests: updateSecret(Buffer.from('new secret'), 'no reason')
    await within(c.updateSecret(Buffer.from('new secret'), 'no reason'));
    b.broker.users.add('rotating', 'pw-2');
    await within(c.updateSecret(Buffer.from('pw-1'), 'the old password'));
    const ch = await c.createChannel();
    await ch.checkQueue((await ch.assertQueue('', { exclusive: true })).queue);
    await c.close();
  });

  test('the user was deleted since the login: refused', async () => {
    b.broker.users.add('gone', 'pw');
    b.broker.users.setPermissions('gone', '/', { configure: '.*', write: '.*', read: '.*' });
    const c = await connect(url('gone', 'pw'));
    b.broker.users.delete('gone');
    const errored = new Promise<Error & { code?: number }>((resolve) => c.on('error', resolve));
    // amqplib settles updateSecret only on update-secret-ok: a refusal shows as the connection's error
    c.updateSecret(Buffer.from('pw'), 'refresh').catch(() => {});
    assert.equal((await within(errored)).code, 530);
  });

  test('a refused secret closes the connection with 530 and RabbitMQ text', async () => {
    b.broker.users.add('recreated', 'pw');
    b.broker.users.setPermissions('recreated', '/', { configure: '.*', write: '.*', read: '.*' });
    const c = await connect(url('recreated', 'pw'));
    b.broker.users.delete('recreated');
    b.broker.users.add('recreated', 'pw');
    const errored = new Promise<Error>((resolve) => c.on('error', resolve));
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    // amqplib settles updateSecret only on update-secret-ok: a refusal shows as the connection's error
    c.updateSecret(Buffer.from('pw'), 'refresh').catch(() => {});
    const e = (await within(errored)) as Error & { code?: number };
    assert.equal(e.code, 530);
    assert.match(e.message, new RegExp(REFUSED));
    await within(closed);
  });
});

describe('callback API', () => {
  function cbConnect(u: string): Promise<cb.Connection> {
    return new Promise((resolve, reject) => cb.connect(u, (err, c) => (err ? reject(err) : resolve(c))));
  }

  test('a secret: the callback is called without an error (amqplib suite: "new secret")', async () => {
    const c = await cbConnect(url('guest', 'guest'));
    await within(
      new Promise<void>((resolve, reject) =>
        c.updateSecret(Buffer.from('new secret'), 'no reason', (err: unknown) => (err ? reject(err) : resolve())),
      ),
    );
    await new Promise<void>((resolve) => c.close(() => resolve()));
  });

  test('a refused secret: the close reaches the caller (no hang) with 530', async () => {
    b.broker.users.add('gone-cb', 'pw');
    b.broker.users.setPermissions('gone-cb', '/', { configure: '.*', write: '.*', read: '.*' });
    const c = await cbConnect(url('gone-cb', 'pw'));
    b.broker.users.delete('gone-cb');
    const errored = new Promise<Error & { code?: number }>((resolve) => c.on('error', resolve));
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    c.updateSecret(Buffer.from('pw'), 'refresh', () => {});
    const e = await within(errored);
    assert.equal(e.code, 530);
    assert.match(e.message, new RegExp(REFUSED));
    await within(closed);
  });
});
