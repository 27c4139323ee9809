// A follower whose disk fails (issue 15): the follower's file calls go through storage/io.ts, so failDisk on
// its data directory makes its writes (or fsyncs) fail. Nothing it could not write is acknowledged, so a
// leader that needs its acknowledgement confirms nothing (AMQP 0-9-1 to a classic queue and to a stream);
// the leader keeps serving; when the disk is healed the follower reconnects, resumes from what its disk
// holds, and the held confirms go out; its directory then has the leader's bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import amqp from 'amqplib';
import { startBroker } from '../../../src/index.js';
import { startReplicationFollower, startReplicationLeader } from '../../../src/cluster/replication/index.js';
import { manifest } from '../../../src/cluster/replication/manifest.js';
import { failDisk, healDisk, type DiskFaultKind, type DiskFaultOp } from '../../../src/storage/io.js';
import { createLogger } from '../../../src/util/logger.js';
import { eventually } from '../../helpers/broker.js';
import { tempDir } from '../../helpers/warren-child.js';

const SECRET = 'test-cookie';
const quiet = createLogger('silent');

function publish(ch: amqp.ConfirmChannel, q: string, body: string): Promise<void> {
  return new Promise((resolve, reject) =>
    ch.sendToQueue(q, Buffer.from(body), { persistent: true }, (err) => (err ? reject(err) : resolve())),
  );
}

const within = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

for (const [code, on] of [
  ['ENOSPC', 'write'],
  ['EIO', 'fsync'],
] as [DiskFaultKind, DiskFaultOp][]) {
  test(`a follower's disk fails (${code} on ${on}): no acknowledgement, the leader's confirms wait; healed, they go out and the copies match`, async () => {
    const a = tempDir('warren-fdisk-a-');
    const b = tempDir('warren-fdisk-b-');
    const broker = await startBroker({
      amqpPort: 0,
      bind: '127.0.0.1',
      storage: 'file',
      dataDir: a,
      logLevel: 'silent',
    });
    const l = await startReplicationLeader(
      broker,
      { port: 0, host: '127.0.0.1', secret: SECRET, requiredAcks: 1 },
      quiet,
    );
    const f = startReplicationFollower(
      { dataDir: b, leader: { host: '127.0.0.1', port: l.port }, secret: SECRET, nodeName: 'f', retryMs: 100 },
      quiet,
    );
    const errors: string[] = [];
    f.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${broker.amqpPort}/`);
    try {
      const ch = await c.createConfirmChannel();
      await ch.assertQueue('q', { durable: true });
      await ch.assertQueue('s', { durable: true, arguments: { 'x-queue-type': 'stream' } });
      await publish(ch, 'q', 'before');
      await publish(ch, 's', 'before');

      failDisk(b, code, on);
      const held = [publish(ch, 'q', 'during'), publish(ch, 's', 'during')];
      await eventually(() => errors.includes(code), 5000);
      for (const p of held)
        assert.equal(await within(p, 600), false, 'nothing the follower could not write is confirmed');
      // the leader still serves: a consumer gets what it holds
      const got = await ch.get('q', { noAck: true });
      assert.ok(got !== false && got.content.toString() === 'before');

      healDisk(b);
      for (const p of held) assert.equal(await within(p, 10000), true, 'confirmed once the follower has it');
      await eventually(async () => {
        if (f.position < l.seq) return false;
        assert.deepEqual(await manifest(b), await manifest(a));
        return true;
      }, 10000);
    } finally {
      healDisk(b);
      await c.close();
      await f.close();
      await l.close();
      await broker.close();
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });
}
