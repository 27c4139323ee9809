// amqplib: connection.update-secret (RabbitMQ's extension, class 10 methods 70/71), with the promise API
// (`connection.updateSecret`) and the callback API. The new secret is checked for the connection's own user
// (today by the user store, the backend that admitted it); a good one gets update-secret-ok and the connection
// goes on; a wrong one closes the connection with 530 "NOT_ALLOWED - New secret was refused by one of the
// backends" (rabbit_reader handle_method0 connection.update_secret), which both APIs report as the
// connection's 'error' and 'close' events (amqplib settles updateSecret itself only on update-secret-ok).
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

  test('the password changed since the login: the new one is accepted, then the old one is refused', async () => {
    const c = await connect(url('rotating', 'pw-1'));
    b.broker.users.add('rotating', 'pw-2');
    await c.updateSecret(Buffer.from('pw-2'), 'rotation');
    const ch = await c.createChannel();
    await ch.checkQueue((await ch.assertQueue('', { exclusive: true })).queue);
    const errored = new Promise<Error & { code?: number }>((resolve) => c.on('error', resolve));
    // amqplib settles updateSecret only on update-secret-ok: a refusal shows as the connection's error
    c.updateSecret(Buffer.from('pw-1'), 'the old one').catch(() => {});
    assert.equal((await within(errored)).code, 530);
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

  test('a wrong secret closes the connection with 530 and RabbitMQ text', async () => {
    const c = await connect(url('guest', 'guest'));
    const errored = new Promise<Error>((resolve) => c.on('error', resolve));
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    // amqplib settles updateSecret only on update-secret-ok: a refusal shows as the connection's error
    c.updateSecret(Buffer.from('wrong'), 'bad token').catch(() => {});
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

  test('a good secret: the callback is called without an error', async () => {
    const c = await cbConnect(url('guest', 'guest'));
    await within(
      new Promise<void>((resolve, reject) =>
        c.updateSecret(Buffer.from('guest'), 'refresh', (err: unknown) => (err ? reject(err) : resolve())),
      ),
    );
    await new Promise<void>((resolve) => c.close(() => resolve()));
  });

  test('a wrong secret: the close reaches the caller (no hang) with 530', async () => {
    const c = await cbConnect(url('guest', 'guest'));
    const errored = new Promise<Error & { code?: number }>((resolve) => c.on('error', resolve));
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    c.updateSecret(Buffer.from('nope'), 'bad', () => {});
    const e = await within(errored);
    assert.equal(e.code, 530);
    assert.match(e.message, new RegExp(REFUSED));
    await within(closed);
  });
});
