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

export const SCENARIOS: Scenario[] = [
  {
    name: 'queue.declare passive, missing queue',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.checkQueue(c.name('q')));
    },
  },
  {
    name: 'exchange.declare passive, missing exchange',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.checkExchange(c.name('x')));
    },
  },
  {
    name: 'exchange.declare with reserved amq. prefix',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.assertExchange('amq.' + c.name('x'), 'direct'));
    },
  },
  {
    name: 'exchange.declare of unknown type',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.assertExchange(c.name('x'), 'no-such-type'));
    },
  },
  {
    name: 'exchange redeclared with another type',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      return outcome(x, x.ch.assertExchange(c.name('x'), 'fanout', { durable: false }));
    },
  },
  {
    name: 'exchange redeclared with another durable flag',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      return outcome(x, x.ch.assertExchange(c.name('x'), 'direct', { durable: true }));
    },
  },
  {
    name: 'queue redeclared with another durable flag',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return outcome(x, x.ch.assertQueue(c.name('q'), { durable: true }));
    },
  },
  {
    name: 'queue redeclared with another x-message-ttl',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-message-ttl': 1000 } });
      return outcome(x, x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-message-ttl': 2000 } }));
    },
  },
  {
    name: 'queue redeclared without its arguments',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-max-length': 10 } });
      return outcome(x, x.ch.assertQueue(c.name('q'), { durable: false }));
    },
  },
  {
    name: 'queue.declare with a bad x-max-length',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-max-length': -1 } }));
    },
  },
  {
    name: 'queue.declare with x-message-ttl as a string',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-message-ttl': 'soon' } }));
    },
  },
  {
    name: 'queue.declare x-queue-type quorum, not durable',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.assertQueue(c.name('q'), { durable: false, arguments: { 'x-queue-type': 'quorum' } }));
    },
  },
  {
    name: 'queue.declare x-queue-type unknown',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.assertQueue(c.name('q'), { durable: true, arguments: { 'x-queue-type': 'weird' } }));
    },
  },
  {
    name: 'queue.declare with reserved amq. prefix',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.assertQueue('amq.' + c.name('q')));
    },
  },
  {
    name: 'exclusive queue used from another connection',
    async run(c) {
      const a = await chan(c);
      await a.ch.assertQueue(c.name('q'), { exclusive: true });
      const b = await chan(c);
      return outcome(b, b.ch.assertQueue(c.name('q'), { exclusive: true }));
    },
  },
  {
    name: 'queue.bind to a missing exchange',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return outcome(x, x.ch.bindQueue(c.name('q'), c.name('x'), 'k'));
    },
  },
  {
    name: 'queue.bind of a missing queue',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.bindQueue(c.name('q'), 'amq.direct', 'k'));
    },
  },
  {
    name: 'headers binding with a bad x-match',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return outcome(x, x.ch.bindQueue(c.name('q'), 'amq.headers', '', { 'x-match': 'some' }));
    },
  },
  {
    name: 'exchange.delete of amq.direct',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.deleteExchange('amq.direct'));
    },
  },
  {
    name: 'exchange.delete if-unused of a bound exchange',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      await x.ch.assertQueue(c.name('q'), { durable: false });
      await x.ch.bindQueue(c.name('q'), c.name('x'), 'k');
      return outcome(x, x.ch.deleteExchange(c.name('x'), { ifUnused: true }));
    },
  },
  {
    name: 'queue.delete if-empty of a queue with a message',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      x.ch.sendToQueue(c.name('q'), Buffer.from('m'));
      await x.ch.checkQueue(c.name('q'));
      return outcome(x, x.ch.deleteQueue(c.name('q'), { ifEmpty: true }));
    },
  },
  {
    name: 'queue.delete if-unused of a queue with a consumer',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      await x.ch.consume(c.name('q'), () => {});
      return outcome(x, x.ch.deleteQueue(c.name('q'), { ifUnused: true }));
    },
  },
  {
    name: 'queue.delete of a missing queue',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.deleteQueue(c.name('q')));
    },
  },
  {
    name: 'queue.purge of a missing queue',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.purgeQueue(c.name('q')));
    },
  },
  {
    name: 'basic.publish to a missing exchange',
    async run(c) {
      const x = await chan(c);
      return outcome(x, () => x.ch.publish(c.name('x'), 'k', Buffer.from('m')));
    },
  },
  {
    name: 'basic.publish to an internal exchange',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false, internal: true });
      return outcome(x, () => x.ch.publish(c.name('x'), 'k', Buffer.from('m')));
    },
  },
  {
    name: 'basic.publish with a bad expiration',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return outcome(x, () => x.ch.sendToQueue(c.name('q'), Buffer.from('m'), { expiration: 'soon' }));
    },
  },
  {
    name: 'basic.publish with a user-id that is not the user',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return outcome(x, () => x.ch.sendToQueue(c.name('q'), Buffer.from('m'), { userId: 'mallory' }));
    },
  },
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
  {
    name: 'basic.consume on a missing queue',
    async run(c) {
      const x = await chan(c);
      return outcome(
        x,
        x.ch.consume(c.name('q'), () => {}),
      );
    },
  },
  {
    name: 'basic.get on a missing queue',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.get(c.name('q')));
    },
  },
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
  {
    name: 'basic.consume with a consumer tag already in use',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      await x.ch.consume(c.name('q'), () => {}, { consumerTag: 'dup' });
      return outcome(
        x,
        x.ch.consume(c.name('q'), () => {}, { consumerTag: 'dup' }),
      );
    },
  },
  {
    name: 'basic.ack of an unknown delivery tag',
    async run(c) {
      const x = await chan(c);
      return outcome(x, () => x.ch.ack({ fields: { deliveryTag: 7 } } as never));
    },
  },
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
    name: 'basic.qos with prefetch_size',
    differs: 'per the spec, prefetch_size is honoured (RabbitMQ: 540 NOT_IMPLEMENTED)',
    async run(c) {
      const x = await chan(c);
      // amqplib has no prefetch_size argument: send basic.qos through its low-level rpc
      const ch = x.ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> };
      return outcome(
        x,
        ch.rpc((60 << 16) | 10, { prefetchSize: 1024, prefetchCount: 10, global: false }, (60 << 16) | 11),
      );
    },
  },
  {
    name: 'tx.commit without tx.select',
    async run(c) {
      const x = await chan(c);
      const tx = x.ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> };
      return outcome(x, tx.rpc((90 << 16) | 20, {}, (90 << 16) | 21));
    },
  },
  {
    name: 'tx.select on a channel in confirm mode',
    async run(c) {
      const conn = await c.open();
      const ch = await conn.createConfirmChannel();
      const tx = ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> };
      return outcome({ ch, conn }, tx.rpc((90 << 16) | 10, {}, (90 << 16) | 11));
    },
  },
  {
    name: 'wrong password',
    async run(c) {
      const u = new URL(c.url);
      u.password = 'wrong';
      try {
        await c.open(u.toString());
        return 'ok';
      } catch (e) {
        return describe(e).replace(/^error: /, '');
      }
    },
  },
  {
    name: 'connection.open to a missing vhost',
    async run(c) {
      const u = new URL(c.url);
      u.pathname = '/' + encodeURIComponent(c.name('vhost'));
      try {
        await c.open(u.toString());
        return 'ok';
      } catch (e) {
        return describe(e).replace(/^error: /, '');
      }
    },
  },
  {
    name: 'queue.declare-ok message count',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      for (let i = 0; i < 3; i++) x.ch.sendToQueue(c.name('q'), Buffer.from('m'));
      await x.ch.checkQueue(c.name('q'));
      return outcome(x, x.ch.assertQueue(c.name('q'), { durable: false }));
    },
  },
];
