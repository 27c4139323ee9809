// Redeclaring a queue whose exclusivity differs from the declare's: RabbitMQ (rabbit_amqqueue:assert_equivalence
// → check_exclusive_access strict) answers 405 RESOURCE_LOCKED before comparing anything else, also on the
// owning connection; found by Bunny's queue_declare_spec ("mismatching exclusive property value" expects
// Bunny::ResourceLocked). And an exclusive queue is never durable, whatever the declare says. Run against the
// anchor with WARREN_TEST_AMQP_URL (helpers/broker.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Channel } from 'amqplib';
import { uniqueName, useTestBroker } from '../helpers/broker.js';
import { channelCloseMessage, Client, closedWith, type AmqpError } from '../clients/amqplib/util.js';

describe('exclusive access on redeclare', () => {
  const broker = useTestBroker();

  async function refused(c: Client, action: (ch: Channel) => Promise<unknown>): Promise<AmqpError> {
    const ch = await c.channel();
    await assert.rejects(action(ch));
    return closedWith(ch);
  }

  const locked = (q: string): string =>
    channelCloseMessage(
      405,
      'RESOURCE-LOCKED',
      `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. It could be ` +
        'originally declared on another connection or the exclusive property value does not match that of ' +
        'the original declaration.',
    );

  test('own exclusive queue redeclared non-exclusive: 405, even with durable differing too', async (t) => {
    const c = await Client.open(t, broker.url);
    const q = uniqueName('excl-own');
    await (await c.channel()).assertQueue(q, { exclusive: true, durable: false });
    for (const opts of [
      { exclusive: false, durable: false },
      { exclusive: false, durable: true },
    ]) {
      const err = await refused(c, (ch) => ch.assertQueue(q, opts));
      assert.equal(err.code, 405, JSON.stringify(opts));
      assert.equal(err.message, locked(q));
    }
    // the matching redeclare still works
    await (await c.channel()).assertQueue(q, { exclusive: true, durable: false });
  });

  test('shared queue redeclared exclusive: 405; a passive declare stays allowed', async (t) => {
    const c = await Client.open(t, broker.url);
    const q = uniqueName('excl-shared');
    const ch = await c.channel();
    await ch.assertQueue(q, { exclusive: false, autoDelete: true });
    const err = await refused(c, (x) => x.assertQueue(q, { exclusive: true, autoDelete: true }));
    assert.equal(err.code, 405);
    assert.equal(err.message, locked(q));
    await (await c.channel()).checkQueue(q);
    await ch.deleteQueue(q);
  });

  test('an exclusive queue is never durable (so either durable redeclares); auto_delete still 406', async (t) => {
    // rabbit_channel: Durable = DurableDeclare andalso not ExclusiveDeclare
    const c = await Client.open(t, broker.url);
    const q = uniqueName('excl-dur');
    await (await c.channel()).assertQueue(q, { exclusive: true, durable: true });
    await (await c.channel()).assertQueue(q, { exclusive: true, durable: false });
    await (await c.channel()).assertQueue(q, { exclusive: true, durable: true });
    const err = await refused(c, (ch) => ch.assertQueue(q, { exclusive: true, autoDelete: true }));
    assert.equal(err.code, 406);
    assert.match(
      err.message,
      /inequivalent arg 'auto_delete' for queue '[^']+' in vhost '\/': received 'true' but current is 'false'/,
    );
  });
});
