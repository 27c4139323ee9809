// Log shipping as a cluster relies on it (issue 14): a leader broker in a child process replicates its data
// directory to a follower in this process; publishers get confirms only once the follower has the message
// on disk; the leader is killed -9; a broker started on the follower's directory holds every confirmed
// message and stream entry, and no message acked (and covered by a later confirm) comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import amqp from 'amqplib';
import { startBroker } from '../../../src/index.js';
import { startReplicationFollower } from '../../../src/cluster/replication/index.js';
import { createLogger } from '../../../src/util/logger.js';
import { eventually } from '../../helpers/broker.js';
import { spawnReplicationLeader } from '../../helpers/replication-leader.js';
import { tempDir } from '../../helpers/warren-child.js';

const SECRET = 'test-cookie';

test('a follower directory opened after kill -9 of the leader holds every confirmed message and stream entry', async () => {
  const a = tempDir('warren-repl-leader-');
  const b = tempDir('warren-repl-follower-');
  const leader = await spawnReplicationLeader({ dataDir: a, secret: SECRET, requiredAcks: 1, segmentSize: 256 * 1024 });
  const follower = startReplicationFollower(
    { dataDir: b, leader: { host: '127.0.0.1', port: leader.clusterPort }, secret: SECRET, nodeName: 'f1' },
    createLogger('warn'),
  );
  try {
    await new Promise((r) => follower.once('synced', r));
    const c = await amqp.connect(leader.url);
    c.on('error', () => {});
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    await ch.assertQueue('s', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    const N = 3000;
    for (let i = 0; i < N; i++) {
      ch.sendToQueue('q', Buffer.from(`m${i}:` + 'x'.repeat(200)), { persistent: true });
      if (i % 3 === 0) ch.sendToQueue('s', Buffer.from(`s${i / 3}`));
    }
    await ch.waitForConfirms();
    // 500 consumed and acked; the confirm of one more publish covers their REMOVE records
    const con = await c.createChannel();
    await con.prefetch(500);
    const got: amqp.ConsumeMessage[] = [];
    const { consumerTag } = await con.consume('q', (m) => m && got.push(m));
    await eventually(() => got.length === 500);
    await con.cancel(consumerTag);
    for (const m of got) con.ack(m);
    await con.checkQueue('q'); // the acks are processed before the next publish
    ch.sendToQueue('q', Buffer.from('last'), { persistent: true });
    await ch.waitForConfirms();
    await leader.kill9();
    await follower.close();

    const nb = await startBroker({
      amqpPort: 0,
      bind: '127.0.0.1',
      storage: 'file',
      dataDir: b,
      logLevel: 'warn',
      segmentSize: 256 * 1024,
    });
    try {
      const c2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${nb.amqpPort}/`);
      const ch2 = await c2.createChannel();
      assert.equal((await ch2.checkQueue('q')).messageCount, N - 500 + 1);
      const bodies: string[] = [];
      await ch2.consume('q', (m) => m && bodies.push(m.content.toString().split(':')[0]!), { noAck: true });
      await eventually(() => bodies.length === N - 500 + 1);
      const want = [...Array.from({ length: N - 500 }, (_, i) => `m${i + 500}`), 'last'];
      assert.deepEqual(bodies, want);
      // the stream, from its first entry
      await ch2.prefetch(100);
      const entries: string[] = [];
      await ch2.consume(
        's',
        (m) => {
          if (!m) return;
          entries.push(m.content.toString());
          ch2.ack(m);
        },
        { arguments: { 'x-stream-offset': 'first' } },
      );
      await eventually(() => entries.length === N / 3);
      assert.deepEqual(
        entries,
        Array.from({ length: N / 3 }, (_, i) => `s${i}`),
      );
      await c2.close();
    } finally {
      await nb.close();
    }
  } finally {
    await follower.close();
    await leader.kill9().catch(() => {});
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
