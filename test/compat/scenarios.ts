// The scenarios of the RabbitMQ behaviour check (run.ts): each does one thing a client might do wrong (or
// right) and returns what the client observed, as a string: "404 (50,10) NOT_FOUND - no queue …" for a
// channel or connection close, or a short description of the reply. Names made with ctx.name() carry a
// random token that run.ts replaces by "*", so the two brokers' texts compare equal.
import type { Channel, ChannelModel } from 'amqplib';

export type Outcome = string;

export interface Ctx {
  url: string;
  open(url?: string): Promise<ChannelModel>;
  name(base: string): string;
}

export interface Scenario {
  name: string;
  /** Set when Warren deliberately does what the spec says rather than what RabbitMQ does. */
  differs?: string;
  run(ctx: Ctx): Promise<Outcome>;
}

export function describe(e: unknown): string {
  const err = e as { code?: number; classId?: number; methodId?: number; message?: string };
  const m = /with message "(.*)"$/.exec(err.message ?? '');
  const text = m ? m[1]! : (err.message ?? String(e));
  if (err.code === undefined) return `error: ${text}`;
  const ids = err.classId !== undefined ? ` (${err.classId},${err.methodId})` : '';
  return `${err.code}${ids} ${text}`;
}

/** The first of: the promise's value (as "ok"), its rejection, or the channel/connection closing with an error. */
export async function outcome(
  ctx: { ch: Channel; conn: ChannelModel },
  p: Promise<unknown> | (() => void),
): Promise<Outcome> {
  const closed = new Promise<Outcome>((resolve) => {
    ctx.ch.once('error', (e) => resolve(describe(e)));
    ctx.conn.once('error', (e: unknown) => resolve('connection ' + describe(e)));
  });
  if (typeof p === 'function') {
    p();
    return closed;
  }
  return Promise.race([
    p.then(
      (v) =>
        'ok' + (v && typeof v === 'object' && 'messageCount' in v ? ` messageCount=${String(v.messageCount)}` : ''),
      (e: unknown) =>
        closed.then(
          (c) => c,
          () => describe(e),
        ),
    ),
    closed,
  ]);
}

export async function chan(c: Ctx): Promise<{ ch: Channel; conn: ChannelModel }> {
  const conn = await c.open();
  const ch = await conn.createChannel();
  return { ch, conn };
}

type Chan = { ch: Channel; conn: ChannelModel };
type Step = (x: Chan, c: Ctx) => unknown;
type Last = (x: Chan, c: Ctx) => Promise<unknown> | (() => void);

/**
 * The runner of most scenarios: on a fresh channel, each step in turn (awaited), then the outcome of the
 * last (a method's promise, or a function for what answers only by closing: publish, ack).
 */
export function scenario(name: string, ...steps: [...Step[], Last]): Scenario {
  return {
    name,
    async run(c) {
      const x = await chan(c);
      for (const s of steps.slice(0, -1)) await s(x, c);
      return outcome(x, (steps[steps.length - 1] as Last)(x, c));
    },
  };
}

/**
 * A method amqplib has no call for (or drops an argument of), sent through its low-level rpc: class
 * `classId`, method `methodId`, awaiting the -ok (method id + 1, as for every method used here).
 */
export function rpc(ch: Channel, classId: number, methodId: number, fields: object = {}): Promise<unknown> {
  const raw = ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> };
  return raw.rpc((classId << 16) | methodId, fields, (classId << 16) | (methodId + 1));
}

/** Opening a connection to the URL `edit` makes of ctx.url: 'ok', or the error it was refused with. */
async function openOutcome(c: Ctx, edit: (u: URL) => void): Promise<Outcome> {
  const u = new URL(c.url);
  edit(u);
  try {
    await c.open(u.toString());
    return 'ok';
  } catch (e) {
    return describe(e).replace(/^error: /, '');
  }
}

export const SCENARIOS: Scenario[] = [
  scenario('queue.declare passive, missing queue', (x, c) => x.ch.checkQueue(c.name('q'))),
  scenario('exchange.declare passive, missing exchange', (x, c) => x.ch.checkExchange(c.name('x'))),
  scenario('exchange.declare with reserved amq. prefix', (x, c) => x.ch.assertExchange('amq.' + c.name('x'), 'direct')),
  scenario('exchange.declare of unknown type', (x, c) => x.ch.assertExchange(c.name('x'), 'no-such-type')),
  scenario(
    'exchange redeclared with another type',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.assertExchange(c.name('x'), 'fanout', { durable: false }),
  ),
  scenario(
    'exchange redeclared with another durable flag',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: true }),
  ),
  scenario(
    'queue redeclared with another durable flag',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: true }),
  ),
  scenario(
    'queue redeclared with another x-message-ttl',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-message-ttl': 1000 } }),
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-message-ttl': 2000 } }),
  ),
  scenario(
    'queue redeclared without its arguments',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-max-length': 10 } }),
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
  ),
  scenario('queue.declare with a bad x-max-length', (x, c) =>
    x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-max-length': -1 } }),
  ),
  scenario('queue.declare with x-message-ttl as a string', (x, c) =>
    x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-message-ttl': 'soon' } }),
  ),
  scenario('queue.declare x-queue-type quorum, not durable', (x, c) =>
    x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-queue-type': 'quorum' } }),
  ),
  scenario('queue.declare x-queue-type unknown', (x, c) =>
    x.ch.assertQueue(c.name('q'), { durable: true, arguments: { 'x-queue-type': 'weird' } }),
  ),
  scenario('queue.declare with reserved amq. prefix', (x, c) => x.ch.assertQueue('amq.' + c.name('q'))),
  {
    name: 'exclusive queue used from another connection',
    async run(c) {
      const a = await chan(c);
      await a.ch.assertQueue(c.name('q'), { exclusive: true });
      const b = await chan(c);
      return outcome(b, b.ch.assertQueue(c.name('q'), { exclusive: true }));
    },
  },
  scenario(
    'queue.bind to a missing exchange',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.bindQueue(c.name('q'), c.name('x'), 'k'),
  ),
  scenario('queue.bind of a missing queue', (x, c) => x.ch.bindQueue(c.name('q'), 'amq.direct', 'k')),
  scenario(
    'headers binding with a bad x-match',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.bindQueue(c.name('q'), 'amq.headers', '', { 'x-match': 'some' }),
  ),
  scenario('exchange.delete of amq.direct', (x) => x.ch.deleteExchange('amq.direct')),
  scenario(
    'exchange.delete if-unused of a bound exchange',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.bindQueue(c.name('q'), c.name('x'), 'k'),
    (x, c) => x.ch.deleteExchange(c.name('x'), { ifUnused: true }),
  ),
  scenario(
    'queue.delete if-empty of a queue with a message',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.sendToQueue(c.name('q'), Buffer.from('m')),
    (x, c) => x.ch.checkQueue(c.name('q')),
    (x, c) => x.ch.deleteQueue(c.name('q'), { ifEmpty: true }),
  ),
  scenario(
    'queue.delete if-unused of a queue with a consumer',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.consume(c.name('q'), () => {}),
    (x, c) => x.ch.deleteQueue(c.name('q'), { ifUnused: true }),
  ),
  scenario('queue.delete of a missing queue', (x, c) => x.ch.deleteQueue(c.name('q'))),
  scenario('queue.purge of a missing queue', (x, c) => x.ch.purgeQueue(c.name('q'))),
  scenario('basic.publish to a missing exchange', (x, c) => () => x.ch.publish(c.name('x'), 'k', Buffer.from('m'))),
  scenario(
    'basic.publish to an internal exchange',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false, internal: true }),
    (x, c) => () => x.ch.publish(c.name('x'), 'k', Buffer.from('m')),
  ),
  scenario(
    'basic.publish with a bad expiration',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => () => x.ch.sendToQueue(c.name('q'), Buffer.from('m'), { expiration: 'soon' }),
  ),
  scenario(
    'basic.publish with a user-id that is not the user',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => () => x.ch.sendToQueue(c.name('q'), Buffer.from('m'), { userId: 'mallory' }),
  ),
  {
    name: 'basic.publish mandatory, unroutable',
    async run(c) {
      const x = await chan(c);
      return new Promise<Outcome>((resolve) => {
        x.ch.once('return', (m) => resolve(`basic.return ${m.fields.replyCode} ${m.fields.replyText}`));
        x.ch.publish('amq.direct', c.name('nowhere'), Buffer.from('m'), { mandatory: true });
      });
    },
  },
  {
    name: 'basic.publish immediate, no consumer',
    differs: 'per the spec, basic.return 313 NO_CONSUMERS (RabbitMQ: 540 NOT_IMPLEMENTED)',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return new Promise<Outcome>((resolve) => {
        x.ch.once('return', (m) => resolve(`basic.return ${m.fields.replyCode} ${m.fields.replyText}`));
        x.conn.once('error', (e: unknown) => resolve('connection ' + describe(e)));
        x.ch.on('error', () => {});
        // amqplib's publish() drops the immediate flag: send basic.publish through its low-level sendMessage
        const raw = x.ch as unknown as { sendMessage(f: object, p: object, b: Buffer): void };
        raw.sendMessage(
          { exchange: '', routingKey: c.name('q'), mandatory: false, immediate: true, ticket: 0 },
          {},
          Buffer.from('m'),
        );
      });
    },
  },
  scenario('basic.consume on a missing queue', (x, c) => x.ch.consume(c.name('q'), () => {})),
  scenario('basic.get on a missing queue', (x, c) => x.ch.get(c.name('q'))),
  {
    name: 'basic.consume exclusive on a queue with a consumer',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      await x.ch.consume(c.name('q'), () => {});
      const y = await chan(c);
      return outcome(
        y,
        y.ch.consume(c.name('q'), () => {}, { exclusive: true }),
      );
    },
  },
  scenario(
    'basic.consume with a consumer tag already in use',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.consume(c.name('q'), () => {}, { consumerTag: 'dup' }),
    (x, c) => x.ch.consume(c.name('q'), () => {}, { consumerTag: 'dup' }),
  ),
  scenario('basic.ack of an unknown delivery tag', (x) => () => x.ch.ack({ fields: { deliveryTag: 7 } } as never)),
  {
    name: 'basic.ack twice',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      x.ch.sendToQueue(c.name('q'), Buffer.from('m'));
      await x.ch.checkQueue(c.name('q'));
      const m = await x.ch.get(c.name('q'));
      if (!m) return 'no message';
      x.ch.ack(m);
      return outcome(x, () => x.ch.ack(m));
    },
  },
  {
    // amqplib has no prefetch_size argument: basic.qos through its low-level rpc
    ...scenario('basic.qos with prefetch_size', (x) =>
      rpc(x.ch, 60, 10, { prefetchSize: 1024, prefetchCount: 10, global: false }),
    ),
    differs: 'per the spec, prefetch_size is honoured (RabbitMQ: 540 NOT_IMPLEMENTED)',
  },
  scenario('tx.commit without tx.select', (x) => rpc(x.ch, 90, 20)),
  {
    name: 'tx.select on a channel in confirm mode',
    async run(c) {
      const conn = await c.open();
      const ch = await conn.createConfirmChannel();
      return outcome({ ch, conn }, rpc(ch, 90, 10));
    },
  },
  {
    name: 'wrong password',
    run: (c) =>
      openOutcome(c, (u) => {
        u.password = 'wrong';
      }),
  },
  {
    name: 'connection.open to a missing vhost',
    run: (c) =>
      openOutcome(c, (u) => {
        u.pathname = '/' + encodeURIComponent(c.name('vhost'));
      }),
  },
  scenario(
    'queue.declare-ok message count',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => {
      for (let i = 0; i < 3; i++) x.ch.sendToQueue(c.name('q'), Buffer.from('m'));
    },
    (x, c) => x.ch.checkQueue(c.name('q')),
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
  ),
];
