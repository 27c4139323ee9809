// Single active consumer on a super stream, as rabbit_stream_sac_coordinator spreads it: the consumers of one
// name (rabbitmq-stream-js-client's declareSuperStreamConsumer, one subscription per partition with the
// `super-stream` property) are active on partition P when they are number P mod N of the N in arrival order.
// Three partitions; one consumer takes all three, a second takes partition 1, a third partition 2; when the
// second goes, partition 1 moves to the third and partition 2 back to the first. Each step is checked by what
// the clients receive: a message published to each partition afterwards reaches only its active consumer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as rs from 'rabbitmq-stream-js-client';
import { connectClient, sleep, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

let t: StreamTestBroker;
before(async () => {
  t = await startStreamBroker();
});
after(async () => {
  await t.close();
});

const PARTITIONS = ['ss-0', 'ss-1', 'ss-2'];

test('super stream single active consumer: partition P goes to consumer P mod N, and moves when one goes', async () => {
  const pc = await connectClient(t);
  const clients: rs.Client[] = [];
  try {
    await pc.createSuperStream({ streamName: 'ss' }, undefined, 3);
    const pubs = await Promise.all(PARTITIONS.map((stream) => pc.declarePublisher({ stream })));
    const got: string[][] = [];
    const consumer = async (): Promise<rs.Client> => {
      const c = await connectClient(t);
      clients.push(c);
      const mine: string[] = [];
      got.push(mine);
      await c.declareSuperStreamConsumer(
        { superStream: 'ss', consumerRef: 'group', offset: rs.Offset.first() },
        (m) => {
          mine.push(m.content.toString());
        },
      );
      return c;
    };
    let round = 0;
    /** Publish `round:partition` to each partition; wait until each reached the expected consumer only. */
    const check = async (expected: number[], what: string): Promise<void> => {
      round++;
      for (let p = 0; p < 3; p++) await pubs[p]!.send(Buffer.from(`${round}:${p}`));
      await Promise.all(pubs.map((x) => x.flush()));
      for (let p = 0; p < 3; p++) {
        const body = `${round}:${p}`;
        await until(
          () => got[expected[p]!]!.includes(body),
          10_000,
          `${what}: partition ${p} to consumer ${expected[p]}`,
        );
      }
      await sleep(300);
      for (let p = 0; p < 3; p++) {
        const body = `${round}:${p}`;
        const to = got.map((g, i) => (g.includes(body) ? i : -1)).filter((i) => i >= 0);
        assert.deepEqual(to, [expected[p]], `${what}: partition ${p} reached ${to.join(',')} only`);
      }
    };
    /** Let the ConsumerUpdate exchanges of a change finish (step down, then activate). */
    const settle = (): Promise<void> => sleep(500);

    await consumer();
    await check([0, 0, 0], 'one consumer');
    await consumer();
    await settle();
    // N = 2: partition 0 -> 0 mod 2 = consumer 0, partition 1 -> consumer 1, partition 2 -> 2 mod 2 = 0
    await check([0, 1, 0], 'two consumers');
    const c3 = await consumer();
    await settle();
    await check([0, 1, 2], 'three consumers');
    // the second goes: N = 2 among [0, 2]: partition 1 -> index 1 = consumer 2, partition 2 -> index 0
    await clients[1]!.close();
    await settle();
    await check([0, 2, 0], 'after the second left');
    // the first goes too: the third has all of them
    await clients[0]!.close();
    await settle();
    await check([2, 2, 2], 'only the third left');
    assert.ok(c3);
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await pc.close();
  }
});
