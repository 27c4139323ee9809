// Definitions round trip in RabbitMQ's format: users (hash and algorithm), permissions, topic permissions,
// vhost metadata and limits, parameters survive export → import; a file store keeps them across restarts.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Broker } from '../../../src/core/broker.js';
import { exportDefinitions, importDefinitions, setParameter } from '../../../src/storage/definitions.js';
import { startBroker } from '../../../src/index.js';

function populate(b: Broker): void {
  b.addVHost('/');
  b.addVHost('prod', { description: 'production', tags: ['a', 'b'], limits: { 'max-queues': 10 } });
  b.users.add('alice', 'pw', ['monitoring']);
  b.users.setPermissions('alice', 'prod', { configure: '^a', write: '', read: '.*' });
  b.users.setTopicPermission('alice', 'prod', { exchange: 'amq.topic', write: '^x', read: '^y' });
  setParameter(b, 'prod', 'shovel', 's1', { 'src-uri': 'amqp://' });
}

test('export then import keeps access definitions', () => {
  const a = new Broker({ loopbackUsers: [] });
  populate(a);
  const d = exportDefinitions(a);
  assert.deepEqual(d.topic_permissions, [
    { user: 'alice', vhost: 'prod', exchange: 'amq.topic', write: '^x', read: '^y' },
  ]);
  const b = new Broker({ loopbackUsers: [] });
  importDefinitions(b, JSON.parse(JSON.stringify(d)));
  assert.deepEqual(exportDefinitions(b), d);
  assert.ok(b.users.authenticate('alice', 'pw'));
  assert.deepEqual(b.vhostSettings.get('prod'), {
    description: 'production',
    tags: ['a', 'b'],
    defaultQueueType: 'classic',
    limits: { 'max-queues': 10 },
  });
});

test('file storage keeps users, permissions and topic permissions across restarts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'warren-defs-'));
  try {
    const opts = { amqpPort: null, storage: 'file' as const, dataDir: dir, logLevel: 'silent' as const };
    let r = await startBroker(opts);
    populate(r.broker);
    await r.close();
    r = await startBroker(opts);
    const alice = r.broker.users.users.get('alice')!;
    assert.equal(alice.permissions.get('prod')!.configure, '^a');
    assert.equal(alice.topicPermissions.get('prod')!.get('amq.topic')!.write, '^x');
    assert.ok(r.broker.users.authenticate('guest', 'guest'));
    await r.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
