// Scenarios of the behaviour check (run.ts) for the methods a client repeats or sends after the thing is gone:
// unbinding what no longer exists, deleting what is already deleted, cancelling an unknown consumer, binding
// twice. Clients' clean-up code relies on these answering -ok (aio-pika unbinds after an auto-delete exchange
// or queue went away), so each is compared with RabbitMQ like the error cases in scenarios.ts.
import { chan, outcome, type Scenario } from './scenarios.js';

export const IDEMPOTENT: Scenario[] = [
  {
    name: 'queue.unbind of a missing queue',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      return outcome(x, x.ch.unbindQueue(c.name('q'), c.name('x'), 'k'));
    },
  },
  {
    name: 'queue.unbind from a missing exchange',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return outcome(x, x.ch.unbindQueue(c.name('q'), c.name('x'), 'k'));
    },
  },
  {
    name: 'queue.unbind, queue and exchange missing',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.unbindQueue(c.name('q'), c.name('x'), 'k'));
    },
  },
  {
    name: 'queue.unbind of a missing binding',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      await x.ch.bindQueue(c.name('q'), c.name('x'), 'k', { a: 1 });
      // same key, other arguments: not the binding that exists
      return outcome(x, x.ch.unbindQueue(c.name('q'), c.name('x'), 'k', { a: 2 }));
    },
  },
  {
    name: 'queue.unbind after the queue was deleted',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      await x.ch.bindQueue(c.name('q'), 'amq.topic', 'k.#');
      await x.ch.deleteQueue(c.name('q'));
      return outcome(x, x.ch.unbindQueue(c.name('q'), 'amq.topic', 'k.#'));
    },
  },
  {
    name: 'queue.unbind after an auto-delete exchange went',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'topic', { durable: false, autoDelete: true });
      await x.ch.assertQueue(c.name('q'), { durable: false });
      await x.ch.assertQueue(c.name('q2'), { durable: false });
      await x.ch.bindQueue(c.name('q'), c.name('x'), 'a');
      await x.ch.bindQueue(c.name('q2'), c.name('x'), 'b');
      await x.ch.deleteQueue(c.name('q2'));
      await x.ch.unbindQueue(c.name('q'), c.name('x'), 'a'); // the last binding: the exchange goes
      return outcome(x, x.ch.unbindQueue(c.name('q'), c.name('x'), 'a'));
    },
  },
  {
    name: 'queue.unbind from the default exchange',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return outcome(x, x.ch.unbindQueue(c.name('q'), '', c.name('q')));
    },
  },
  {
    name: "queue.unbind of another connection's exclusive queue",
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { exclusive: true });
      await x.ch.bindQueue(c.name('q'), 'amq.direct', 'k');
      const y = await chan(c);
      return outcome(y, y.ch.unbindQueue(c.name('q'), 'amq.direct', 'k'));
    },
  },
  {
    name: "queue.unbind of another connection's exclusive queue, binding missing",
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { exclusive: true });
      const y = await chan(c);
      return outcome(y, y.ch.unbindQueue(c.name('q'), 'amq.direct', 'k'));
    },
  },
  {
    name: 'exchange.unbind of a missing destination',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      return outcome(x, x.ch.unbindExchange(c.name('x2'), c.name('x'), 'k'));
    },
  },
  {
    name: 'exchange.unbind from a missing source',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x2'), 'direct', { durable: false });
      return outcome(x, x.ch.unbindExchange(c.name('x2'), c.name('x'), 'k'));
    },
  },
  {
    name: 'exchange.unbind, source and destination missing',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.unbindExchange(c.name('x2'), c.name('x'), 'k'));
    },
  },
  {
    name: 'exchange.unbind of a missing binding',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      await x.ch.assertExchange(c.name('x2'), 'direct', { durable: false });
      return outcome(x, x.ch.unbindExchange(c.name('x2'), c.name('x'), 'k'));
    },
  },
  {
    name: 'exchange.unbind from the default exchange',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x2'), 'direct', { durable: false });
      return outcome(x, x.ch.unbindExchange(c.name('x2'), '', 'k'));
    },
  },
  {
    name: 'queue.bind twice',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      await x.ch.bindQueue(c.name('q'), 'amq.direct', 'k');
      return outcome(x, x.ch.bindQueue(c.name('q'), 'amq.direct', 'k'));
    },
  },
  {
    name: 'exchange.bind twice',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      await x.ch.bindExchange(c.name('x'), 'amq.direct', 'k');
      return outcome(x, x.ch.bindExchange(c.name('x'), 'amq.direct', 'k'));
    },
  },
  {
    name: 'queue.delete if-unused of a missing queue',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.deleteQueue(c.name('q'), { ifUnused: true }));
    },
  },
  {
    name: 'queue.delete if-empty of a missing queue',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.deleteQueue(c.name('q'), { ifEmpty: true }));
    },
  },
  {
    name: 'queue.delete twice',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      x.ch.sendToQueue(c.name('q'), Buffer.from('m'));
      await x.ch.deleteQueue(c.name('q'));
      return outcome(x, x.ch.deleteQueue(c.name('q')));
    },
  },
  {
    name: "queue.delete of another connection's exclusive queue",
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { exclusive: true });
      const y = await chan(c);
      return outcome(y, y.ch.deleteQueue(c.name('q')));
    },
  },
  {
    name: 'exchange.delete of a missing exchange',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.deleteExchange(c.name('x')));
    },
  },
  {
    name: 'exchange.delete if-unused of a missing exchange',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.deleteExchange(c.name('x'), { ifUnused: true }));
    },
  },
  {
    name: 'exchange.delete if-unused of an exchange bound only as a destination',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertExchange(c.name('x'), 'direct', { durable: false });
      await x.ch.bindExchange(c.name('x'), 'amq.direct', 'k');
      return outcome(x, x.ch.deleteExchange(c.name('x'), { ifUnused: true }));
    },
  },
  {
    name: 'exchange.delete of the default exchange',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.deleteExchange(''));
    },
  },
  {
    name: 'queue.purge of an empty queue',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      return outcome(x, x.ch.purgeQueue(c.name('q')));
    },
  },
  {
    name: 'basic.cancel of an unknown consumer tag',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.cancel('no-such-consumer'));
    },
  },
  {
    name: 'basic.cancel twice',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      const { consumerTag } = await x.ch.consume(c.name('q'), () => {});
      await x.ch.cancel(consumerTag);
      return outcome(x, x.ch.cancel(consumerTag));
    },
  },
  {
    name: 'basic.cancel after the queue was deleted',
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { durable: false });
      const { consumerTag } = await x.ch.consume(c.name('q'), () => {});
      const y = await chan(c);
      await y.ch.deleteQueue(c.name('q'));
      await new Promise((r) => setTimeout(r, 100)); // the server's basic.cancel arrives
      return outcome(x, x.ch.cancel(consumerTag));
    },
  },
  {
    name: 'basic.recover with nothing unacked',
    async run(c) {
      const x = await chan(c);
      return outcome(x, x.ch.recover());
    },
  },
  {
    name: 'basic.qos twice',
    async run(c) {
      const x = await chan(c);
      await x.ch.prefetch(5);
      return outcome(x, x.ch.prefetch(5));
    },
  },
  {
    name: 'confirm.select twice',
    async run(c) {
      const conn = await c.open();
      const ch = await conn.createConfirmChannel();
      const raw = ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> };
      return outcome({ ch, conn }, raw.rpc((85 << 16) | 10, { nowait: false }, (85 << 16) | 11));
    },
  },
  {
    name: 'tx.rollback without tx.select',
    async run(c) {
      const x = await chan(c);
      const tx = x.ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> };
      return outcome(x, tx.rpc((90 << 16) | 30, {}, (90 << 16) | 31));
    },
  },
  {
    name: 'tx.select twice',
    async run(c) {
      const x = await chan(c);
      const tx = x.ch as unknown as { rpc(m: number, f: object, e: number): Promise<unknown> };
      await tx.rpc((90 << 16) | 10, {}, (90 << 16) | 11);
      return outcome(x, tx.rpc((90 << 16) | 10, {}, (90 << 16) | 11));
    },
  },
];
