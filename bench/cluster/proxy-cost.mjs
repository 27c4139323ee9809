#!/usr/bin/env node
// What a follower's pipe to the leader costs (issue 14): the same publisher (amqplib, confirms, batches of
// 100) straight to the leader and through a follower of a 3-node cluster, persistent messages replicated
// to the followers either way; then a consumer the same two ways.
//   node bench/cluster/proxy-cost.mjs [--messages 20000] [--size 16]   (after npm run build)
import { connect } from 'amqplib';
import { startTestCluster, sleep } from '../../dist/test/helpers/cluster/cluster.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i > 0 ? process.argv[i + 1] : dflt);
};
const N = arg('messages', 20000);
const body = Buffer.alloc(arg('size', 16), 'x');

async function publish(url, queue) {
  const conn = await connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i += 100) {
    for (let k = 0; k < 100; k++) ch.sendToQueue(queue, body, { persistent: true });
    await ch.waitForConfirms();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await conn.close();
  return Math.round(N / s);
}

async function consume(url, queue) {
  const conn = await connect(url);
  const ch = await conn.createChannel();
  await ch.prefetch(500);
  let n = 0;
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => {
    void ch.consume(queue, (m) => {
      ch.ack(m);
      if (++n === N) resolve();
    });
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await conn.close();
  return Math.round(N / s);
}

const c = await startTestCluster({ nodes: 3 });
try {
  const leader = await c.waitForLeader();
  const follower = c.nodes.find((n) => n !== leader);
  await sleep(2000); // followers in sync
  const out = {
    messages: N,
    size: body.length,
    publishDirect: await publish(leader.url, 'direct'),
    publishViaFollower: await publish(follower.url, 'piped'),
    consumeDirect: await consume(leader.url, 'direct'),
    consumeViaFollower: await consume(follower.url, 'piped'),
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  await c.close();
}
