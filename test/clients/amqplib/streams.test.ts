// amqplib: stream queues (x-queue-type: stream) over AMQP 0-9-1, as RabbitMQ users rely on them: declare
// rules, the replies for what streams refuse (checked against the anchor RabbitMQ 3.10), consuming from each
// x-stream-offset with manual acks giving credit back, non-destructive reads, headers = application
// properties + x-stream-offset, retention by size deleting whole segments, and confirmed messages surviving
// a restart (file storage).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Channel, ConsumeMessage } from 'amqplib';
import { eventually, uniqueName, useTestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../../src/index.js';
import { buf, channelCloseMessage, Client, closedWith, within } from './util.js';

const STREAM = { 'x-queue-type': 'stream' };

/** Consume `n` messages from `q` starting at `offset`, acking each; returns them. */
async function read(ch: Channel, q: string, offset: unknown, n: number, prefetch = 10): Promise<ConsumeMessage[]> {
  await ch.prefetch(prefetch);
  const got: ConsumeMessage[] = [];
  let tag = '';
  const done = new Promise<void>((resolve) => {
    void ch
      .consume(
        q,
        (m) => {
          if (m === null) return;
          got.push(m);
          ch.ack(m);
          if (got.length === n) resolve();
        },
        { arguments: offset === undefined ? {} : { 'x-stream-offset': offset } },
      )
      .then((ok) => (tag = ok.consumerTag));
  });
  await within(done, 5000, `${n} stream messages`);
  await ch.cancel(tag);
  return got;
}

describe('amqplib: stream queues', () => {
  const broker = useTestBroker();

  test('declare: durable only; arguments streams do not take are refused as RabbitMQ refuses them', async (t) => {
    const c = await Client.open(t, broker.url);
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{ durable: false }, {}, "invalid property 'non-durable' for queue 'Q' in vhost '/'"],
      [{ durable: true, exclusive: true }, {}, "invalid property 'exclusive-owner' for queue 'Q' in vhost '/'"],
      [{ durable: true, autoDelete: true }, {}, "invalid property 'auto-delete' for queue 'Q' in vhost '/'"],
      [
        { durable: true },
        { 'x-max-priority': 5 },
        "invalid arg 'x-max-priority' for queue 'Q' in vhost '/' of queue type rabbit_stream_queue",
      ],
      [
        { durable: true },
        { 'x-message-ttl': 5 },
        "invalid arg 'x-message-ttl' for queue 'Q' in vhost '/' of queue type rabbit_stream_queue",
      ],
      [
        { durable: true },
        { 'x-max-length': 5 },
        "invalid arg 'x-max-length' for queue 'Q' in vhost '/' of queue type rabbit_stream_queue",
      ],
      [
        { durable: true },
        { 'x-dead-letter-exchange': 'x' },
        "invalid arg 'x-dead-letter-exchange' for queue 'Q' in vhost '/' of queue type rabbit_stream_queue",
      ],
      [{ durable: true }, { 'x-max-age': '1x' }, "invalid arg 'x-max-age' for queue 'Q' in vhost '/': invalid_max_age"],
    ];
    for (const [opts, args, text] of cases) {
      const ch = await c.channel();
      const q = uniqueName('sq-bad');
      await assert.rejects(ch.assertQueue(q, { ...opts, arguments: { ...STREAM, ...args } }));
      const e = await closedWith(ch);
      assert.equal(
        e.message,
        channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - ${text.replace("'Q'", `'${q}'`)}`),
      );
    }
    const ch = await c.channel();
    const q = uniqueName('sq-ok');
    const ok = await ch.assertQueue(q, {
      durable: true,
      arguments: {
        ...STREAM,
        'x-max-age': '1h',
        'x-max-length-bytes': 1_000_000,
        'x-stream-max-segment-size-bytes': 100_000,
      },
    });
    assert.deepEqual(ok, { queue: q, messageCount: 0, consumerCount: 0 });
    await ch.deleteQueue(q);
  });

  test('basic.get, queue.purge and no-ack consumers: 540; a consumer without prefetch: 406', async (t) => {
    const setup = await (await Client.open(t, broker.url)).channel();
    const q = uniqueName('sq-refuse');
    await setup.assertQueue(q, { durable: true, arguments: STREAM });
    const r = `queue '${q}' in vhost '/'`;
    for (const [what, op, text] of [
      ['get', (ch: Channel) => ch.get(q), `basic.get not supported by stream queues ${r}`],
      ['purge', (ch: Channel) => ch.purgeQueue(q), `queue.purge not supported by stream queues ${r}`],
      [
        'no-ack',
        async (ch: Channel) => {
          await ch.prefetch(10);
          return ch.consume(q, () => {}, { noAck: true });
        },
        `automatic acknowledgement not supported by stream queues ${r}`,
      ],
    ] as const) {
      const c = await Client.open(t, broker.url);
      const ch = await c.channel();
      await assert.rejects((op as (ch: Channel) => Promise<unknown>)(ch));
      const e = await c.closedWith();
      assert.equal(
        e.message,
        `Connection closed: 540 (NOT-IMPLEMENTED) with message "NOT_IMPLEMENTED - ${text}"`,
        what,
      );
    }
    const ch = await (await Client.open(t, broker.url)).channel();
    await assert.rejects(ch.consume(q, () => {}));
    assert.equal(
      (await closedWith(ch)).message,
      channelCloseMessage(
        406,
        'PRECONDITION-FAILED',
        `PRECONDITION_FAILED - consumer prefetch count is not set for '${r}'`,
      ),
    );
    await setup.deleteQueue(q);
  });

  test('consume from first, an offset, last, next and a timestamp; reads are non-destructive', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const q = uniqueName('sq-offsets');
    await ch.assertQueue(q, { durable: true, arguments: STREAM });
    for (let i = 0; i < 10; i++)
      ch.sendToQueue(q, buf(`m${i}`), { headers: { i }, messageId: `id${i}`, contentType: 'text/plain' });
    await ch.waitForConfirms();
    const first = await read(await c.channel(), q, 'first', 10);
    assert.deepEqual(
      first.map((m) => m.content.toString()),
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    // headers: the application properties plus x-stream-offset; the 0-9-1 properties come back
    assert.deepEqual(first[3]!.properties.headers, { i: 3, 'x-stream-offset': 3 });
    assert.equal(first[3]!.properties.messageId, 'id3');
    assert.equal(first[3]!.properties.contentType, 'text/plain');
    assert.equal(first[3]!.fields.routingKey, q);
    assert.equal(first[3]!.fields.exchange, '');
    // the stream still holds them all (Warren counts a stream's messages in declare-ok, as management does;
    // the anchor RabbitMQ 3.10 answers 0 there: docs/compat.md)
    if (!broker.external) assert.equal((await ch.checkQueue(q)).messageCount, 10);
    const from7 = await read(await c.channel(), q, 7, 3);
    assert.deepEqual(
      from7.map((m) => m.properties.headers!['x-stream-offset']),
      [7, 8, 9],
    );
    // a timestamp before the first publish and an interval reach back to the start
    // amqplib sends a timestamp (AMQP 'T', seconds) through its type trapdoor
    const ts = await read(await c.channel(), q, { '!': 'timestamp', value: Math.floor(Date.now() / 1000) - 60 }, 10);
    assert.equal(ts[0]!.content.toString(), 'm0');
    const ago = await read(await c.channel(), q, '1h', 10);
    assert.equal(ago[0]!.content.toString(), 'm0');
    // "last" starts at the last chunk (here every publish went in one chunk or several: it ends at m9)
    const lastCh = await c.channel();
    await lastCh.prefetch(100);
    const last: string[] = [];
    await lastCh.consume(
      q,
      (m) => {
        if (m === null) return; // cancelled by the server when the stream is deleted
        last.push(m.content.toString());
        lastCh.ack(m);
      },
      { arguments: { 'x-stream-offset': 'last' } },
    );
    await eventually(() => last.includes('m9'));
    // "next" sees only what is published after it started
    const nextCh = await c.channel();
    await nextCh.prefetch(10);
    const next: string[] = [];
    await nextCh.consume(
      q,
      (m) => {
        if (m === null) return;
        next.push(m.content.toString());
        nextCh.ack(m);
      },
      { arguments: { 'x-stream-offset': 'next' } },
    );
    await new Promise((r) => setTimeout(r, 100));
    ch.sendToQueue(q, buf('after'));
    await eventually(() => next.length === 1 && last.includes('after'));
    assert.deepEqual(next, ['after']);
    await ch.deleteQueue(q);
  });

  // Warren only: the anchor RabbitMQ 3.10 delivered nothing to a prefetch-5 stream consumer within 5 s here
  test(
    'prefetch bounds what is unacked; acks give credit back',
    { skip: process.env.WARREN_TEST_AMQP_URL !== undefined },
    async (t) => {
      const c = await Client.open(t, broker.url);
      const ch = await c.confirmChannel();
      const q = uniqueName('sq-credit');
      await ch.assertQueue(q, { durable: true, arguments: STREAM });
      for (let i = 0; i < 20; i++) ch.sendToQueue(q, buf(`m${i}`));
      await ch.waitForConfirms();
      const cc = await c.channel();
      await cc.prefetch(5);
      const got: ConsumeMessage[] = [];
      await cc.consume(q, (m) => m !== null && got.push(m), { arguments: { 'x-stream-offset': 'first' } });
      await eventually(() => got.length === 5);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(got.length, 5);
      cc.ack(got[4]!, true);
      await eventually(() => got.length === 10);
      // nack with requeue: nothing is redelivered (the message stays in the stream), credit comes back
      cc.nack(got[9]!, true, true);
      await eventually(() => got.length === 15);
      assert.deepEqual(
        got.map((m) => m.content.toString()),
        Array.from({ length: 15 }, (_, i) => `m${i}`),
      );
      await ch.deleteQueue(q);
    },
  );
});

describe('stream queues on file storage', () => {
  test('confirmed messages survive a restart; retention deletes whole segments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-streams-'));
    try {
      const q = 'sq-durable';
      let b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', dataDir: dir, logLevel: 'silent' });
      let conn = await (await import('amqplib')).connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
      let ch = await conn.createConfirmChannel();
      await ch.assertQueue(q, { durable: true, arguments: STREAM });
      for (let i = 0; i < 100; i++) ch.sendToQueue(q, buf(`m${i}`));
      await ch.waitForConfirms();
      await conn.close();
      await b.close();
      b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', dataDir: dir, logLevel: 'silent' });
      conn = await (await import('amqplib')).connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
      ch = await conn.createConfirmChannel();
      assert.equal((await ch.checkQueue(q)).messageCount, 100);
      const got = await read(ch, q, 'first', 100, 50);
      assert.equal(got[99]!.content.toString(), 'm99');
      assert.equal(got[99]!.properties.headers!['x-stream-offset'], 99);
      // offsets go on after the restart
      ch.sendToQueue(q, buf('m100'));
      await ch.waitForConfirms();
      const after = await read(await conn.createChannel(), q, 100, 1);
      assert.equal(after[0]!.content.toString(), 'm100');
      await ch.deleteQueue(q);

      // retention: 1 KiB bodies, 10 KB segments, 30 KB kept: the oldest segments go, offsets stay
      const r = 'sq-retention';
      await ch.assertQueue(r, {
        durable: true,
        arguments: { ...STREAM, 'x-max-length-bytes': 30_000, 'x-stream-max-segment-size-bytes': 10_000 },
      });
      for (let i = 0; i < 200; i++) {
        ch.sendToQueue(r, Buffer.alloc(1000, i % 256));
        if (i % 5 === 4) await ch.waitForConfirms();
      }
      await ch.waitForConfirms();
      const left = (await ch.checkQueue(r)).messageCount;
      assert.ok(left > 0 && left < 60, `retention kept ${left} of 200`);
      const tail = await read(await conn.createChannel(), r, 'first', left);
      assert.equal(tail[tail.length - 1]!.properties.headers!['x-stream-offset'], 199);
      assert.equal(tail[0]!.properties.headers!['x-stream-offset'], 200 - left);
      await ch.deleteQueue(r);
      await conn.close();
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
