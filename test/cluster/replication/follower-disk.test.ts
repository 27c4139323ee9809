// A follower whose disk fails (issue 15): the follower's file calls go through storage/io.ts, so failDisk on
// its data directory makes its writes (or fsyncs) fail. Nothing it could not write is acknowledged, so a
// leader that needs its acknowledgement confirms nothing (AMQP 0-9-1 to a classic queue and to a stream);
// the leader keeps serving; when the disk is healed the follower reconnects, resumes from what its disk
// holds, and the held confirms go out; its directory then has the leader's bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failDisk, healDisk, type DiskFaultKind, type DiskFaultOp } from '../../../src/storage/io.js';
import { eventually } from '../../helpers/broker.js';
import { publish, sameFiles, within, withReplication } from './fixture.js';

for (const [code, on] of [
  ['ENOSPC', 'write'],
  ['EIO', 'fsync'],
] as [DiskFaultKind, DiskFaultOp][]) {
  test(`a follower's disk fails (${code} on ${on}): no acknowledgement, the leader's confirms wait; healed, they go out and the copies match`, () =>
    withReplication({ prefix: 'warren-fdisk', broker: { logLevel: 'silent' } }, async (r) => {
      const b = r.b;
      const f = r.follow();
      const errors: string[] = [];
      f.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
      const c = await r.connect();
      r.defer(() => healDisk(b));
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
      await sameFiles(r, f);
    }));
}
