// Scenarios of the behaviour check (run.ts) for the methods a client repeats or sends after the thing is gone:
// unbinding what no longer exists, deleting what is already deleted, cancelling an unknown consumer, binding
// twice. Clients' clean-up code relies on these answering -ok (aio-pika unbinds after an auto-delete exchange
// or queue went away), so each is compared with RabbitMQ like the error cases in scenarios.ts.
import { chan, outcome, rpc, scenario, type Scenario } from './scenarios.js';

export const IDEMPOTENT: Scenario[] = [
  scenario(
    'queue.unbind of a missing queue',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.unbindQueue(c.name('q'), c.name('x'), 'k'),
  ),
  scenario(
    'queue.unbind from a missing exchange',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.unbindQueue(c.name('q'), c.name('x'), 'k'),
  ),
  scenario('queue.unbind, queue and exchange missing', (x, c) => x.ch.unbindQueue(c.name('q'), c.name('x'), 'k')),
  scenario(
    'queue.unbind of a missing binding',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.bindQueue(c.name('q'), c.name('x'), 'k', { a: 1 }),
    // same key, other arguments: not the binding that exists
    (x, c) => x.ch.unbindQueue(c.name('q'), c.name('x'), 'k', { a: 2 }),
  ),
  scenario(
    'queue.unbind after the queue was deleted',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.bindQueue(c.name('q'), 'amq.topic', 'k.#'),
    (x, c) => x.ch.deleteQueue(c.name('q')),
    (x, c) => x.ch.unbindQueue(c.name('q'), 'amq.topic', 'k.#'),
  ),
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
  scenario(
    'queue.unbind from the default exchange',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.unbindQueue(c.name('q'), '', c.name('q')),
  ),
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
  scenario(
    'exchange.unbind of a missing destination',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.unbindExchange(c.name('x2'), c.name('x'), 'k'),
  ),
  scenario(
    'exchange.unbind from a missing source',
    (x, c) => x.ch.assertExchange(c.name('x2'), 'direct', { durable: false }),
    (x, c) => x.ch.unbindExchange(c.name('x2'), c.name('x'), 'k'),
  ),
  scenario('exchange.unbind, source and destination missing', (x, c) =>
    x.ch.unbindExchange(c.name('x2'), c.name('x'), 'k'),
  ),
  scenario(
    'exchange.unbind of a missing binding',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.assertExchange(c.name('x2'), 'direct', { durable: false }),
    (x, c) => x.ch.unbindExchange(c.name('x2'), c.name('x'), 'k'),
  ),
  scenario(
    'exchange.unbind from the default exchange',
    (x, c) => x.ch.assertExchange(c.name('x2'), 'direct', { durable: false }),
    (x, c) => x.ch.unbindExchange(c.name('x2'), '', 'k'),
  ),
  scenario(
    'queue.bind twice',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.bindQueue(c.name('q'), 'amq.direct', 'k'),
    (x, c) => x.ch.bindQueue(c.name('q'), 'amq.direct', 'k'),
  ),
  scenario(
    'exchange.bind twice',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.bindExchange(c.name('x'), 'amq.direct', 'k'),
    (x, c) => x.ch.bindExchange(c.name('x'), 'amq.direct', 'k'),
  ),
  scenario('queue.delete if-unused of a missing queue', (x, c) => x.ch.deleteQueue(c.name('q'), { ifUnused: true })),
  scenario('queue.delete if-empty of a missing queue', (x, c) => x.ch.deleteQueue(c.name('q'), { ifEmpty: true })),
  scenario(
    'queue.delete twice',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.sendToQueue(c.name('q'), Buffer.from('m')),
    (x, c) => x.ch.deleteQueue(c.name('q')),
    (x, c) => x.ch.deleteQueue(c.name('q')),
  ),
  {
    name: "queue.delete of another connection's exclusive queue",
    async run(c) {
      const x = await chan(c);
      await x.ch.assertQueue(c.name('q'), { exclusive: true });
      const y = await chan(c);
      return outcome(y, y.ch.deleteQueue(c.name('q')));
    },
  },
  scenario('exchange.delete of a missing exchange', (x, c) => x.ch.deleteExchange(c.name('x'))),
  scenario('exchange.delete if-unused of a missing exchange', (x, c) =>
    x.ch.deleteExchange(c.name('x'), { ifUnused: true }),
  ),
  scenario(
    'exchange.delete if-unused of an exchange bound only as a destination',
    (x, c) => x.ch.assertExchange(c.name('x'), 'direct', { durable: false }),
    (x, c) => x.ch.bindExchange(c.name('x'), 'amq.direct', 'k'),
    (x, c) => x.ch.deleteExchange(c.name('x'), { ifUnused: true }),
  ),
  scenario('exchange.delete of the default exchange', (x) => x.ch.deleteExchange('')),
  scenario(
    'queue.purge of an empty queue',
    (x, c) => x.ch.assertQueue(c.name('q'), { durable: false }),
    (x, c) => x.ch.purgeQueue(c.name('q')),
  ),
  scenario('basic.cancel of an unknown consumer tag', (x) => x.ch.cancel('no-such-consumer')),
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
  scenario('basic.recover with nothing unacked', (x) => x.ch.recover()),
  scenario(
    'basic.qos twice',
    (x) => x.ch.prefetch(5),
    (x) => x.ch.prefetch(5),
  ),
  {
    name: 'confirm.select twice',
    async run(c) {
      const conn = await c.open();
      const ch = await conn.createConfirmChannel();
      return outcome({ ch, conn }, rpc(ch, 85, 10, { nowait: false }));
    },
  },
  scenario('tx.rollback without tx.select', (x) => rpc(x.ch, 90, 30)),
  scenario(
    'tx.select twice',
    (x) => rpc(x.ch, 90, 10),
    (x) => rpc(x.ch, 90, 10),
  ),
];
