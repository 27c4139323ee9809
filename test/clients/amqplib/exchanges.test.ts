// amqplib: exchanges as a RabbitMQ user sees them — direct, fanout, topic (wildcards and their edge cases),
// headers (x-match all/any/all-with-x/any-with-x), exchange-to-exchange bindings, alternate exchanges,
// internal exchanges, delete if-unused, the predeclared amq.* exchanges and the reserved amq. prefix.
// Routing is observed by publishing on a confirm channel (so everything is routed once confirms arrive)
// and draining every queue with basic.get.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Message } from 'amqplib';
import { uniqueName, useTestBroker } from '../../helpers/broker.js';
import { buf, channelCloseMessage, Client, closedWith, drain, publishConfirmed, type ReturnFields } from './util.js';

describe('amqplib: exchanges', () => {
  const broker = useTestBroker();

  test('direct: exact routing key match, several queues per key, several keys per queue', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const x = uniqueName('direct');
    await ch.assertExchange(x, 'direct', { autoDelete: false });
    const [q1, q2, q3] = [uniqueName('q1'), uniqueName('q2'), uniqueName('q3')];
    for (const q of [q1, q2, q3]) await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q1, x, 'info');
    await ch.bindQueue(q1, x, 'info'); // the same binding twice is one binding
    await ch.bindQueue(q2, x, 'info');
    await ch.bindQueue(q2, x, 'error');
    await ch.bindQueue(q3, x, '');
    await publishConfirmed(pub, x, [
      { routingKey: 'info', body: '1' },
      { routingKey: 'error', body: '2' },
      { routingKey: 'INFO', body: '3' }, // case-sensitive
      { routingKey: '', body: '4' },
      { routingKey: 'info.x', body: '5' },
    ]);
    assert.deepEqual(await drain(ch, q1), ['1']);
    assert.deepEqual(await drain(ch, q2), ['1', '2']);
    assert.deepEqual(await drain(ch, q3), ['4']);

    await ch.unbindQueue(q2, x, 'info');
    await publishConfirmed(pub, x, [{ routingKey: 'info', body: '6' }]);
    assert.deepEqual(await drain(ch, q1), ['6']);
    assert.deepEqual(await drain(ch, q2), []);
    await ch.deleteExchange(x);
  });

  test('the default exchange routes to the queue named by the routing key', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const q = uniqueName('q');
    await ch.assertQueue(q, { exclusive: true });
    await publishConfirmed(pub, '', [
      { routingKey: q, body: 'to q' },
      { routingKey: uniqueName('missing'), body: 'dropped' },
    ]);
    const m = await ch.get(q, { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), 'to q');
    assert.equal(m.fields.exchange, '');
    assert.equal(m.fields.routingKey, q);
  });

  test('fanout: every bound queue gets every message, whatever the routing key', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const x = uniqueName('fanout');
    await ch.assertExchange(x, 'fanout');
    const qs = [uniqueName('q'), uniqueName('q')];
    for (const q of qs) {
      await ch.assertQueue(q, { exclusive: true });
      await ch.bindQueue(q, x, 'binding keys are ignored');
    }
    await publishConfirmed(pub, x, [
      { routingKey: '', body: 'a' },
      { routingKey: 'anything.at.all', body: 'b' },
    ]);
    for (const q of qs) assert.deepEqual(await drain(ch, q), ['a', 'b']);
    await ch.deleteExchange(x);
  });

  test('topic: * is one word, # is zero or more, words may be empty', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const x = uniqueName('topic');
    await ch.assertExchange(x, 'topic');
    const keys = ['', 'a', 'b', 'a.b', 'a.x.b', 'a.x.y.b', 'x.a.b', 'a.', '.b', 'a..b', 'a.b.c'];
    const all = keys;
    const expected: Record<string, string[]> = {
      '*': ['a', 'b'],
      '#': all,
      '#.#': all,
      '#.*': keys.filter((k) => k !== ''),
      '*.*': ['a.b', 'a.', '.b'],
      'a.*': ['a.b', 'a.'],
      'a.#': ['a', 'a.b', 'a.x.b', 'a.x.y.b', 'a.', 'a..b', 'a.b.c'],
      '#.b': ['b', 'a.b', 'a.x.b', 'a.x.y.b', 'x.a.b', '.b', 'a..b'],
      'a.#.b': ['a.b', 'a.x.b', 'a.x.y.b', 'a..b'],
      '*.b': ['a.b', '.b'],
      'a.*.b': ['a.x.b', 'a..b'],
      'a.b': ['a.b'],
      'a..b': ['a..b'],
      '': [''],
      '*.#.*': ['a.b', 'a.x.b', 'a.x.y.b', 'x.a.b', 'a.', '.b', 'a..b', 'a.b.c'],
    };
    const queues = new Map<string, string>();
    for (const pattern of Object.keys(expected)) {
      const q = uniqueName('topic-q');
      await ch.assertQueue(q, { exclusive: true });
      await ch.bindQueue(q, x, pattern);
      queues.set(pattern, q);
    }
    // one queue under several overlapping patterns still gets each message once
    const overlap = uniqueName('overlap');
    await ch.assertQueue(overlap, { exclusive: true });
    for (const p of ['#', 'a.*', 'a.#', '*.b']) await ch.bindQueue(overlap, x, p);

    await publishConfirmed(
      pub,
      x,
      keys.map((k) => ({ routingKey: k, body: k })),
    );
    for (const [pattern, q] of queues) assert.deepEqual(await drain(ch, q), expected[pattern], `pattern '${pattern}'`);
    assert.deepEqual(await drain(ch, overlap), keys);

    // unbinding one of the overlapping patterns leaves the others in place
    await ch.unbindQueue(overlap, x, '#');
    await publishConfirmed(pub, x, [
      { routingKey: 'a.b', body: 'a.b' },
      { routingKey: 'z', body: 'z' },
    ]);
    assert.deepEqual(await drain(ch, overlap), ['a.b']);
    await ch.deleteExchange(x);
  });

  test('headers: x-match all, any, all-with-x and any-with-x', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const x = uniqueName('headers');
    await ch.assertExchange(x, 'headers');
    const bindings: Record<string, Record<string, unknown>> = {
      all: { 'x-match': 'all', a: '1', b: '2' },
      any: { 'x-match': 'any', a: '1', b: '2' },
      defaultAll: { a: '1' },
      empty: { 'x-match': 'all' },
      allWithX: { 'x-match': 'all-with-x', 'x-k': 'v', a: '1' },
      anyWithX: { 'x-match': 'any-with-x', 'x-k': 'v' },
      allIgnoresX: { 'x-match': 'all', 'x-k': 'v', a: '1' },
      anyOnlyX: { 'x-match': 'any', 'x-k': 'v' },
      number: { 'x-match': 'all', n: 1 },
    };
    const messages: Array<[string, Record<string, unknown> | undefined]> = [
      ['m1', { a: '1', b: '2' }],
      ['m2', { a: '1' }],
      ['m3', { b: '2', c: '3' }],
      ['m4', undefined],
      ['m5', { a: '1', 'x-k': 'v' }],
      ['m6', { 'x-k': 'v' }],
      ['m7', { a: 1 }], // a number never equals the string '1'
      ['m8', { a: '2', n: 1 }],
    ];
    const expected: Record<string, string[]> = {
      all: ['m1'],
      any: ['m1', 'm2', 'm3', 'm5'],
      defaultAll: ['m1', 'm2', 'm5'],
      empty: ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'],
      allWithX: ['m5'],
      anyWithX: ['m5', 'm6'],
      allIgnoresX: ['m1', 'm2', 'm5'],
      anyOnlyX: [],
      number: ['m8'],
    };
    const queues = new Map<string, string>();
    for (const [name, args] of Object.entries(bindings)) {
      const q = uniqueName(`h-${name}`);
      await ch.assertQueue(q, { exclusive: true });
      await ch.bindQueue(q, x, 'routing keys are ignored', args);
      queues.set(name, q);
    }
    await publishConfirmed(
      pub,
      x,
      messages.map(([body, headers]) => ({ routingKey: 'whatever', body, options: headers ? { headers } : {} })),
    );
    for (const [name, q] of queues) assert.deepEqual(await drain(ch, q), expected[name], name);

    // the binding arguments identify the binding: unbind with the same table
    await ch.unbindQueue(queues.get('any')!, x, 'routing keys are ignored', bindings.any);
    await publishConfirmed(pub, x, [{ routingKey: '', body: 'm9', options: { headers: { a: '1', b: '2' } } }]);
    assert.deepEqual(await drain(ch, queues.get('any')!), []);
    assert.deepEqual(await drain(ch, queues.get('all')!), ['m9']);
    await ch.deleteExchange(x);
  });

  test('headers: an invalid x-match value is refused with 406', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const x = uniqueName('headers');
    const q = uniqueName('q');
    await ch.assertExchange(x, 'headers');
    await ch.assertQueue(q, { exclusive: true });
    await assert.rejects(ch.bindQueue(q, x, '', { 'x-match': 'some' }));
    const err = await closedWith(ch);
    assert.equal(err.code, 406);
    assert.equal(
      err.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        'PRECONDITION_FAILED - Invalid x-match field value <<"some">>; expected all, any, all-with-x, or any-with-x',
      ),
    );
    await (await c.channel()).deleteExchange(x);
  });

  test('exchange-to-exchange bindings route through, once per queue, and unbind', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const [src, d1, d2] = [uniqueName('src'), uniqueName('d1'), uniqueName('d2')];
    await ch.assertExchange(src, 'topic');
    await ch.assertExchange(d1, 'fanout');
    await ch.assertExchange(d2, 'direct');
    const [q1, both] = [uniqueName('q1'), uniqueName('both')];
    await ch.assertQueue(q1, { exclusive: true });
    await ch.assertQueue(both, { exclusive: true });
    await ch.bindExchange(d1, src, 'orders.*');
    await ch.bindExchange(d2, src, '#');
    await ch.bindQueue(q1, d1, '');
    // `both` is reachable through d1 and through d2 (key orders.new): it still gets one copy
    await ch.bindQueue(both, d1, '');
    await ch.bindQueue(both, d2, 'orders.new');

    await publishConfirmed(pub, src, [
      { routingKey: 'orders.new', body: '1' },
      { routingKey: 'orders.old', body: '2' },
      { routingKey: 'users.new', body: '3' },
    ]);
    const m = await ch.get(q1, { noAck: true });
    assert.ok(m);
    assert.equal(m.fields.exchange, src, 'the delivery names the exchange published to');
    assert.equal(m.fields.routingKey, 'orders.new');
    assert.deepEqual(await drain(ch, q1), ['2']);
    assert.deepEqual(await drain(ch, both), ['1', '2']);

    await ch.unbindExchange(d1, src, 'orders.*');
    await publishConfirmed(pub, src, [{ routingKey: 'orders.new', body: '4' }]);
    assert.deepEqual(await drain(ch, q1), []);
    assert.deepEqual(await drain(ch, both), ['4']);
    for (const x of [src, d1, d2]) await ch.deleteExchange(x);
  });

  test('exchange-to-exchange binding cycles deliver once and terminate', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const [e1, e2] = [uniqueName('e1'), uniqueName('e2')];
    await ch.assertExchange(e1, 'fanout');
    await ch.assertExchange(e2, 'fanout');
    await ch.bindExchange(e2, e1, '');
    await ch.bindExchange(e1, e2, '');
    const [q1, q2] = [uniqueName('q1'), uniqueName('q2')];
    await ch.assertQueue(q1, { exclusive: true });
    await ch.assertQueue(q2, { exclusive: true });
    await ch.bindQueue(q1, e1, '');
    await ch.bindQueue(q2, e2, '');
    await publishConfirmed(pub, e1, [{ routingKey: '', body: 'x' }]);
    await publishConfirmed(pub, e2, [{ routingKey: '', body: 'y' }]);
    assert.deepEqual(await drain(ch, q1), ['x', 'y']);
    assert.deepEqual(await drain(ch, q2), ['x', 'y']);
    await ch.deleteExchange(e1);
    await ch.deleteExchange(e2);
  });

  test('alternate-exchange takes what the exchange cannot route', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const returns: Message[] = [];
    pub.on('return', (m: Message) => returns.push(m));
    const [main, ae] = [uniqueName('main'), uniqueName('ae')];
    await ch.assertExchange(ae, 'fanout');
    const ok = await ch.assertExchange(main, 'direct', { alternateExchange: ae });
    assert.equal(ok.exchange, main);
    const [routed, unrouted] = [uniqueName('routed'), uniqueName('unrouted')];
    await ch.assertQueue(routed, { exclusive: true });
    await ch.assertQueue(unrouted, { exclusive: true });
    await ch.bindQueue(routed, main, 'known');
    await ch.bindQueue(unrouted, ae, '');

    await publishConfirmed(pub, main, [
      { routingKey: 'known', body: '1' },
      { routingKey: 'unknown', body: '2', options: { mandatory: true } },
    ]);
    assert.deepEqual(await drain(ch, routed), ['1']);
    const m = await ch.get(unrouted, { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), '2');
    assert.equal(m.fields.exchange, main, 'the delivery names the exchange published to');
    assert.equal(m.fields.routingKey, 'unknown');
    assert.equal(returns.length, 0, 'routed by the alternate exchange: not returned');

    // the same argument given as x-args; a missing alternate exchange routes nowhere: mandatory returns
    const lonely = uniqueName('lonely');
    await ch.assertExchange(lonely, 'direct', { arguments: { 'alternate-exchange': uniqueName('absent') } });
    await publishConfirmed(pub, lonely, [{ routingKey: 'k', body: '3', options: { mandatory: true } }]);
    assert.equal(returns.length, 1);
    assert.equal((returns[0]!.fields as ReturnFields).replyCode, 312);
    for (const x of [main, ae, lonely]) await ch.deleteExchange(x);
  });

  test('internal exchange: publishing to it is refused with 403, routing through it works', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const [front, internal] = [uniqueName('front'), uniqueName('internal')];
    await ch.assertExchange(front, 'fanout');
    await ch.assertExchange(internal, 'fanout', { internal: true });
    await ch.bindExchange(internal, front, '');
    const q = uniqueName('q');
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, internal, '');
    await publishConfirmed(pub, front, [{ routingKey: '', body: 'via front' }]);
    assert.deepEqual(await drain(ch, q), ['via front']);

    const bad = await c.channel();
    bad.publish(internal, '', buf('direct'));
    const err = await closedWith(bad);
    assert.equal(err.code, 403);
    assert.equal(
      err.message,
      channelCloseMessage(
        403,
        'ACCESS-REFUSED',
        `ACCESS_REFUSED - cannot publish to internal exchange '${internal}' in vhost '/'`,
      ),
    );
    assert.deepEqual(await drain(ch, q), []);
    await ch.deleteExchange(front);
    await ch.deleteExchange(internal);
  });

  test('delete if-unused refuses an exchange that is the source of bindings', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const [x, dest] = [uniqueName('x'), uniqueName('dest')];
    await ch.assertExchange(x, 'direct');
    await ch.assertExchange(dest, 'direct');
    const q = uniqueName('q');
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, x, 'k');
    await ch.bindExchange(dest, x, 'k');

    // only a destination: unused as far as if-unused is concerned
    await ch.deleteExchange(dest, { ifUnused: true });
    await assert.rejects(ch.checkExchange(dest));
    const err = await closedWith(ch);
    assert.equal(err.code, 404);

    const ch2 = await c.channel();
    await assert.rejects(ch2.deleteExchange(x, { ifUnused: true }));
    const inUse = await closedWith(ch2);
    assert.equal(inUse.code, 406);
    assert.equal(
      inUse.message,
      channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - exchange '${x}' in vhost '/' in use`),
    );

    const ch3 = await c.channel();
    await ch3.unbindQueue(q, x, 'k');
    await ch3.deleteExchange(x, { ifUnused: true });
    // deleting an exchange that does not exist is not an error
    await ch3.deleteExchange(x);
    await ch3.deleteExchange(uniqueName('never-was'), { ifUnused: true });
  });

  test('deleting an exchange removes its bindings', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const x = uniqueName('x');
    const q = uniqueName('q');
    await ch.assertExchange(x, 'fanout');
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, x, '');
    await ch.deleteExchange(x);
    await ch.assertExchange(x, 'fanout');
    await publishConfirmed(pub, x, [{ routingKey: '', body: 'after re-create' }]);
    assert.deepEqual(await drain(ch, q), [], 'the old binding went with the old exchange');
    await ch.deleteExchange(x);
  });

  test('redeclaring with a different type or durability is refused with 406', async (t) => {
    const c = await Client.open(t, broker.url);
    const x = uniqueName('x');
    const ch = await c.channel();
    await ch.assertExchange(x, 'direct', { durable: false });
    await ch.assertExchange(x, 'direct', { durable: false }); // equivalent: fine
    await assert.rejects(ch.assertExchange(x, 'fanout', { durable: false }));
    const typeErr = await closedWith(ch);
    assert.equal(
      typeErr.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        `PRECONDITION_FAILED - inequivalent arg 'type' for exchange '${x}' in vhost '/': received 'fanout' but current is 'direct'`,
      ),
    );
    const ch2 = await c.channel();
    await assert.rejects(ch2.assertExchange(x, 'direct', { durable: true }));
    const durableErr = await closedWith(ch2);
    assert.equal(
      durableErr.message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        `PRECONDITION_FAILED - inequivalent arg 'durable' for exchange '${x}' in vhost '/': received 'true' but current is 'false'`,
      ),
    );
    const ch3 = await c.channel();
    await ch3.deleteExchange(x);
  });

  test('the amq.* exchanges are predeclared and usable', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.channel();
    const pub = await c.confirmChannel();
    const types: Record<string, string> = {
      'amq.direct': 'direct',
      'amq.fanout': 'fanout',
      'amq.topic': 'topic',
      'amq.headers': 'headers',
      'amq.match': 'headers',
    };
    for (const [name, type] of Object.entries(types)) {
      await ch.checkExchange(name);
      // redeclaring with the same (durable) properties is allowed
      const ok = await ch.assertExchange(name, type, { durable: true });
      assert.equal(ok.exchange, name);
    }
    const q = uniqueName('q');
    await ch.assertQueue(q, { exclusive: true });
    await ch.bindQueue(q, 'amq.topic', `${q}.#`);
    await ch.bindQueue(q, 'amq.direct', q);
    await publishConfirmed(pub, 'amq.topic', [{ routingKey: `${q}.x`, body: 'topic' }]);
    await publishConfirmed(pub, 'amq.direct', [{ routingKey: q, body: 'direct' }]);
    assert.deepEqual(await drain(ch, q), ['topic', 'direct']);
  });

  test('the amq. prefix is reserved and the default exchange cannot be declared, bound or deleted', async (t) => {
    const c = await Client.open(t, broker.url);
    const expectRefused = async (action: (ch: import('amqplib').Channel) => Promise<unknown>, text: string) => {
      const ch = await c.channel();
      await assert.rejects(action(ch));
      const err = await closedWith(ch);
      assert.equal(err.code, 403);
      assert.equal(err.message, channelCloseMessage(403, 'ACCESS-REFUSED', text));
    };
    const name = `amq.${uniqueName('foo')}`;
    await expectRefused(
      (ch) => ch.assertExchange(name, 'direct'),
      `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.*'`,
    );
    await expectRefused(
      (ch) => ch.assertExchange('', 'direct'),
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
    await expectRefused(
      (ch) => ch.checkExchange(''),
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
    await expectRefused(
      (ch) => ch.deleteExchange(''),
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
    const q = uniqueName('q');
    await (await c.channel()).assertQueue(q, { exclusive: true });
    await expectRefused(
      (ch) => ch.bindQueue(q, '', 'k'),
      'ACCESS_REFUSED - operation not permitted on the default exchange',
    );
    // the predeclared ones are still there
    const ch = await c.channel();
    await ch.checkExchange('amq.direct');
  });

  test('mandatory publish to an exchange with no bindings is returned; without mandatory it is dropped', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const x = uniqueName('empty');
    await ch.assertExchange(x, 'topic');
    const returns: Message[] = [];
    ch.on('return', (m: Message) => returns.push(m));
    await publishConfirmed(ch, x, [
      { routingKey: 'a', body: 'dropped' },
      { routingKey: 'b', body: 'returned', options: { mandatory: true } },
    ]);
    // basic.return precedes the basic.ack, so the return is in by the time confirms are
    assert.equal(returns.length, 1);
    assert.equal(returns[0]!.content.toString(), 'returned');
    assert.deepEqual(
      { ...(returns[0]!.fields as ReturnFields) },
      { replyCode: 312, replyText: 'NO_ROUTE', exchange: x, routingKey: 'b' },
    );
    await ch.deleteExchange(x);
  });
});
