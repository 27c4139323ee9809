// The replication frames: actions round-trip, a stream split anywhere reassembles, a damaged frame is
// refused (the follower then resumes from its disk), paths cannot leave the data directory, and the
// shared secret resolves as RabbitMQ's Erlang cookie does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FrameReader,
  T_ACK,
  T_WRITE,
  decodeAction,
  encodeAction,
  encodeSeq,
} from '../../../src/cluster/replication/protocol.js';
import { localPath } from '../../../src/cluster/replication/manifest.js';
import { clusterSecret } from '../../../src/cluster/replication/index.js';

test('actions round-trip through the frame reader, whatever the chunking', () => {
  const data = Buffer.from('0123456789abcdef');
  const stream = Buffer.concat([
    encodeAction(T_WRITE, 7, 4096, 'messages/00000001.seg', data, 2, 10),
    encodeSeq(T_ACK, 12345),
    encodeAction(T_WRITE, 8, 0, 'streams/ab/name', null),
  ]);
  for (const step of [1, 3, 7, stream.length]) {
    const r = new FrameReader();
    const bodies: Buffer[] = [];
    for (let i = 0; i < stream.length; i += step) bodies.push(...r.push(stream.subarray(i, i + step)));
    assert.equal(bodies.length, 3);
    const a = decodeAction(bodies[0]!);
    assert.deepEqual(
      [a.type, a.seq, a.off, a.path, a.data.toString()],
      [T_WRITE, 7, 4096, 'messages/00000001.seg', '23456789'],
    );
    assert.equal(bodies[1]![0], T_ACK);
    assert.equal(bodies[1]!.readDoubleLE(1), 12345);
    assert.equal(decodeAction(bodies[2]!).data.length, 0);
  }
});

test('a damaged or oversized frame is refused', () => {
  const f = encodeAction(T_WRITE, 1, 0, 'a', Buffer.from('hello'));
  f[f.length - 1]! ^= 1;
  assert.throws(() => new FrameReader().push(f), /bad CRC/);
  const big = Buffer.alloc(8);
  big.writeUInt32LE(1024, 0);
  assert.throws(() => new FrameReader(100).push(big), /frame of 1024 bytes/);
});

test('a replicated path stays inside the data directory', () => {
  assert.equal(localPath('/d', 'messages/00000001.seg'), '/d/messages/00000001.seg');
  for (const bad of ['../etc/passwd', 'a/../../b', '/abs', 'a//b', '', 'a/./b']) {
    assert.throws(() => localPath('/d', bad), /bad replicated path/, bad);
  }
});

test('the cluster secret: option, then WARREN_CLUSTER_SECRET, then ~/.warren.cookie', () => {
  const home = mkdtempSync(join(tmpdir(), 'warren-cookie-'));
  try {
    assert.equal(clusterSecret(undefined, { HOME: home }), null);
    writeFileSync(join(home, '.warren.cookie'), 'COOKIE\n');
    assert.equal(clusterSecret(undefined, { HOME: home }), 'COOKIE');
    assert.equal(clusterSecret(undefined, { HOME: home, WARREN_CLUSTER_SECRET: 'env' }), 'env');
    assert.equal(clusterSecret('opt', { HOME: home, WARREN_CLUSTER_SECRET: 'env' }), 'opt');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
