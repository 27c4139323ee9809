// amqplib: basic.consume's arguments checked as RabbitMQ checks them (src/frontend/amqp/consume-arguments.ts),
// and the stream queue rules around them: the replies and texts below are the anchor RabbitMQ 3.10's, byte for
// byte (its 541 crashes on unparsable x-stream-offset values are Warren's 406 with the same text shape).
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { Channel } from 'amqplib';
import { uniqueName, useTestBroker } from '../../helpers/broker.js';
import { channelCloseMessage, Client, closedWith } from './util.js';

const STREAM = { 'x-queue-type': 'stream' };
const QUORUM = { 'x-queue-type': 'quorum' };

describe('amqplib: consume arguments and stream consumers', () => {
  const broker = useTestBroker();

  async function declared(t: TestContext, prefix: string, args: Record<string, unknown>): Promise<string> {
    const ch = await (await Client.open(t, broker.url)).channel();
    const q = uniqueName(prefix);
    await ch.assertQueue(q, { durable: true, arguments: args });
    t.after(() => ch.deleteQueue(q).catch(() => {}));
    return q;
  }

  /** The channel error a consume with `args` (after `setup`) gets. */
  async function consumeError(
    t: TestContext,
    q: string,
    args: Record<string, unknown>,
    setup: (ch: Channel) => Promise<unknown> = (ch) => ch.prefetch(10),
    options: { noAck?: boolean } = {},
  ): Promise<string> {
    const ch = await (await Client.open(t, broker.url)).channel();
    await setup(ch);
    await assert.rejects(ch.consume(q, () => {}, { arguments: args, ...options }));
    return (await closedWith(ch)).message;
  }

  const failed = (text: string) => channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - ${text}`);

  test('an argument the queue type does not take: 406 "… of queue type rabbit_X_queue"', async (t) => {
    const s = await declared(t, 'ca-s', STREAM);
    const c = await declared(t, 'ca-c', {});
    const qq = await declared(t, 'ca-q', QUORUM);
    const cases: [string, Record<string, unknown>, string][] = [
      [s, { 'x-priority': 3 }, 'x-priority'],
      [s, { 'x-cancel-on-ha-failover': true }, 'x-cancel-on-ha-failover'],
      [c, { 'x-stream-offset': 'first' }, 'x-stream-offset'],
      [qq, { 'x-cancel-on-ha-failover': true }, 'x-cancel-on-ha-failover'],
      [qq, { 'x-stream-offset': 'first' }, 'x-stream-offset'],
    ];
    for (const [q, args, k] of cases) {
      const type = q === s ? 'stream' : q === c ? 'classic' : 'quorum';
      assert.equal(
        await consumeError(t, q, args),
        failed(`invalid arg '${k}' for queue '${q}' in vhost '/' of queue type rabbit_${type}_queue`),
      );
    }
  });

  test('argument values: x-priority an integer, x-cancel-on-ha-failover a boolean, x-stream-offset parsable', async (t) => {
    const c = await declared(t, 'ca-c', {});
    const s = await declared(t, 'ca-s', STREAM);
    const r = (q: string) => `queue '${q}' in vhost '/'`;
    assert.equal(
      await consumeError(t, c, { 'x-priority': 'a' }),
      failed(`invalid arg 'x-priority' for ${r(c)}: "expected integer, got longstr"`),
    );
    assert.equal(
      await consumeError(t, c, { 'x-cancel-on-ha-failover': 'a' }),
      failed(`invalid arg 'x-cancel-on-ha-failover' for ${r(c)}: {unacceptable_type,longstr}`),
    );
    // an interval must be a positive number and one of Y M D h m s (rabbit_amqqueue:check_max_age/1)
    for (const v of ['1x', '0D', '0s', '1y', 'foo']) {
      assert.equal(
        await consumeError(t, s, { 'x-stream-offset': v }),
        failed(`invalid arg 'x-stream-offset' for ${r(s)}: {invalid_stream_offset_arg,{longstr,<<"${v}">>}}`),
        v,
      );
    }
    // checked before the stream's own rules (prefetch, no-ack)
    assert.equal(
      await consumeError(t, s, { 'x-stream-offset': '1x' }, async () => undefined, { noAck: true }),
      failed(`invalid arg 'x-stream-offset' for ${r(s)}: {invalid_stream_offset_arg,{longstr,<<"1x">>}}`),
    );
  });

  test('stream consumers: prefetch first, then no-ack (540), and no global qos (540)', async (t) => {
    const s = await declared(t, 'ca-s', STREAM);
    const r = `queue '${s}' in vhost '/'`;
    const notSet = failed(`consumer prefetch count is not set for '${r}'`);
    // no prefetch and no-ack: the prefetch is what RabbitMQ refuses first
    assert.equal(await consumeError(t, s, {}, async () => undefined, { noAck: true }), notSet);
    // a global prefetch alone is not a consumer prefetch
    assert.equal(await consumeError(t, s, {}, (ch) => ch.prefetch(5, true)), notSet);
    // both: streams do not support global qos, a connection error
    const conn = await Client.open(t, broker.url);
    const ch = await conn.channel();
    await ch.prefetch(10);
    await ch.prefetch(5, true);
    await assert.rejects(ch.consume(s, () => {}));
    assert.equal(
      (await conn.closedWith()).message,
      `Connection closed: 540 (NOT-IMPLEMENTED) with message "NOT_IMPLEMENTED - ${r} does not support global qos"`,
    );
  });

  test('a stream does not enforce exclusive consumers; unknown arguments are ignored', async (t) => {
    const s = await declared(t, 'ca-s', STREAM);
    const ch = await (await Client.open(t, broker.url)).channel();
    await ch.prefetch(10);
    await ch.consume(s, () => {}, { exclusive: true, arguments: { 'x-stream-offset': 'first' } });
    const other = await (await Client.open(t, broker.url)).channel();
    await other.prefetch(10);
    await other.consume(s, () => {}, { exclusive: true, arguments: { 'x-foo': 'bar' } });
  });

  test('declare: no server-named streams or quorum queues; x-max-age must be positive', async (t) => {
    const conn = await Client.open(t, broker.url);
    for (const [args, type] of [
      [STREAM, 'rabbit_stream_queue'],
      [QUORUM, 'rabbit_quorum_queue'],
      // checked before the arguments
      [{ ...STREAM, 'x-max-age': '0D' }, 'rabbit_stream_queue'],
    ] as const) {
      const ch = await conn.channel();
      await assert.rejects(ch.assertQueue('', { durable: true, arguments: args }));
      assert.equal((await closedWith(ch)).message, failed(`Cannot declare a server-named queue for type ${type}`));
    }
    const ch = await conn.channel();
    const q = uniqueName('ca-age');
    await assert.rejects(ch.assertQueue(q, { durable: true, arguments: { ...STREAM, 'x-max-age': '0D' } }));
    assert.equal(
      (await closedWith(ch)).message,
      failed(`invalid arg 'x-max-age' for queue '${q}' in vhost '/': invalid_max_age`),
    );
  });

  test('queue.delete of a stream ignores if-empty and if-unused, as rabbit_stream_queue:delete/4', async (t) => {
    const ch = await (await Client.open(t, broker.url)).confirmChannel();
    const q = uniqueName('ca-del');
    await ch.assertQueue(q, { durable: true, arguments: STREAM });
    ch.sendToQueue(q, Buffer.from('x'));
    await ch.waitForConfirms();
    await ch.prefetch(1);
    await ch.consume(q, () => {}, { arguments: { 'x-stream-offset': 'first' } });
    await ch.deleteQueue(q, { ifEmpty: true, ifUnused: true });
    await assert.rejects(ch.checkQueue(q));
  });
});
