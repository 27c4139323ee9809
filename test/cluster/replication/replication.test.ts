// Replication with the leader in this process: the confirm gate (requiredAcks, changed at run time), the
// shared secret, a follower's directory byte-identical to the leader's (segments, indexes, journals,
// definitions, stream logs, MQTT state), resuming after a reconnect, a former leader's extra records
// truncated, and compaction on the leader while a follower is attached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import type { Divergence, ReplicationFollower } from '../../../src/cluster/replication/index.js';
import { eventually } from '../../helpers/broker.js';
import { fileBroker, publish, sameFiles, within, withReplication } from './fixture.js';

test('confirms wait for requiredAcks followers; the count changes at run time; a wrong secret is refused', () =>
  withReplication({}, async (r) => {
    const l = r.leader;
    const c = await r.connect();
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    // no follower: the message is on the leader's disk, but a majority does not have it
    const first = publish(ch, 'q', 'one');
    assert.equal(await within(first, 500), false);
    // a follower with the wrong secret does not count
    const bad = r.follow('wrong');
    const refused = await new Promise<Error>((res) => bad.once('error', res));
    assert.match(refused.message, /bad cluster secret/);
    await bad.close();
    assert.equal(await within(first, 200), false);
    assert.deepEqual(l.followers(), []);
    // the follower syncs; the held confirm goes out
    const f = r.follow();
    const inSync = new Promise((res) => l.once('follower-in-sync', res));
    assert.equal(await within(first, 5000), true);
    assert.equal(await inSync, 'f');
    const [info] = l.followers();
    assert.equal(info!.name, 'f');
    assert.equal(info!.inSync, true);
    await publish(ch, 'q', 'two');
    // the follower goes: confirms wait again, until the cluster says one node is enough
    const lost = new Promise((res) => l.once('follower-lost', res));
    await f.close();
    assert.equal(await lost, 'f');
    const third = publish(ch, 'q', 'three');
    assert.equal(await within(third, 500), false);
    l.setRequiredAcks(0);
    assert.equal(await within(third, 2000), true);
    await publish(ch, 'q', 'four');
  }));

test('with voters named, only their acks count: a follower in sync but out of the in-sync set stands in for no one', () =>
  withReplication({}, async (r) => {
    const l = r.leader;
    const c = await r.connect();
    r.follow(); // node name 'f'
    await new Promise((res) => l.once('follower-in-sync', res));
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    await publish(ch, 'q', 'counted'); // voters unset: any follower in sync counts
    // the in-sync set is {leader, g}: f is shipping and acknowledging, but its ack is not g's
    l.setRequiredAcks(1, ['g']);
    const held = publish(ch, 'q', 'held');
    assert.equal(await within(held, 700), false);
    assert.equal(l.followers()[0]!.inSync, true);
    // f enters the set (and the requirement with it): the held confirm goes out
    l.setRequiredAcks(1, ['f']);
    assert.equal(await within(held, 3000), true);
    // two voters required, one connected: held again
    l.setRequiredAcks(2, ['f', 'g']);
    const two = publish(ch, 'q', 'two');
    assert.equal(await within(two, 500), false);
    l.setRequiredAcks(1, ['f', 'g']);
    assert.equal(await within(two, 3000), true);
  }));

test('an MQTT QoS 2 PUBREC waits for the followers to have the session state file', () =>
  withReplication({ broker: { mqttPort: 0 } }, async (r) => {
    const m = await mqtt.connectAsync(`mqtt://127.0.0.1:${r.broker.mqttPort}`, { clientId: 'q2', clean: false });
    r.defer(() => m.endAsync());
    const sent = m.publishAsync('t/x', 'once', { qos: 2 });
    assert.equal(await within(sent, 500), false);
    r.follow();
    assert.equal(await within(sent, 5000), true);
    assert.ok(readdirSync(r.b).includes('mqtt_qos2.json'));
  }));

test('the follower directory is byte-identical (messages, streams, definitions, MQTT state) and resumes after a reconnect', () =>
  withReplication({ broker: { mqttPort: 0, segmentSize: 64 * 1024 } }, async (r) => {
    const { a, b, leader: l } = r;
    let f = r.follow();
    const c = await r.connect();
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    await ch.assertQueue('s', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    await ch.assertExchange('x', 'topic', { durable: true });
    await ch.bindQueue('q', 'x', 'k.#');
    for (let i = 0; i < 2000; i++) {
      ch.publish('x', 'k.1', Buffer.alloc(100, i), { persistent: true });
      ch.sendToQueue('s', Buffer.alloc(50, i));
    }
    await ch.waitForConfirms();
    // MQTT: a retained message and a persistent session's QoS 2 state (small JSON files replaced whole)
    const m = await mqtt.connectAsync(`mqtt://127.0.0.1:${r.broker.mqttPort}`, { clientId: 'c1', clean: false });
    await m.publishAsync('t/retained', 'kept', { qos: 1, retain: true });
    await m.publishAsync('t/q2', 'x', { qos: 2 });
    await m.endAsync();
    // the retained store writes its file a little after the PUBACK (coalesced)
    await eventually(() => readdirSync(a).includes('mqtt_retained.json'));
    await sameFiles(r, f);
    assert.ok(readdirSync(join(b, 'messages')).filter((n) => n.endsWith('.seg')).length > 3);
    for (const n of ['mqtt_retained.json', 'mqtt_qos2.json', 'definitions.json', 'format_version']) {
      assert.ok(readdirSync(b).includes(n), n);
    }

    // away for a while: the leader goes on alone (a 2-node cluster that lost a node is told 0)
    await f.close();
    const sealed = readdirSync(join(b, 'messages'))
      .filter((n) => n.endsWith('.seg'))
      .sort()
      .slice(0, -1)
      .map((n) => [n, statSync(join(b, 'messages', n)).mtimeMs] as const);
    l.setRequiredAcks(0);
    for (let i = 0; i < 1000; i++) ch.sendToQueue('q', Buffer.alloc(100, i), { persistent: true });
    await ch.waitForConfirms();
    await ch.deleteQueue('s');
    l.setRequiredAcks(1);
    const resumed = r.follow();
    f = resumed;
    await new Promise((res) => resumed.once('synced', res));
    await sameFiles(r, f);
    // it resumed: the segments it had whole were not sent again
    for (const [n, mtime] of sealed) assert.equal(statSync(join(b, 'messages', n)).mtimeMs, mtime, n);
  }));

test("a former leader's records past the new leader's are truncated and reported", () =>
  withReplication({}, async (r) => {
    const b = r.b;
    let f: ReplicationFollower = r.follow();
    const c = await r.connect();
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    for (let i = 0; i < 100; i++) ch.sendToQueue('q', Buffer.alloc(100, i), { persistent: true });
    await ch.waitForConfirms();
    await sameFiles(r, f);
    await f.close();
    // the follower's copy gets records the leader never had (as a leader cut off before replicating them)
    const seg = readdirSync(join(b, 'messages'))
      .filter((n) => n.endsWith('.seg'))
      .sort()
      .pop()!;
    const before = statSync(join(b, 'messages', seg)).size;
    appendFileSync(join(b, 'messages', seg), Buffer.alloc(500, 7));
    f = r.follow();
    const d = await new Promise<Divergence>((res) => f.once('diverged', res));
    assert.equal(d.path, `messages/${seg}`);
    assert.equal(d.had, before + 500);
    assert.ok(d.leader <= before + 500);
    await sameFiles(r, f);
  }));

test('compaction on the leader while a follower is attached: the follower ends with the same live data', () =>
  withReplication({ broker: { segmentSize: 32 * 1024, logLevel: 'info' } }, async (r) => {
    const { a, b } = r;
    const f = r.follow();
    const c = await r.connect();
    const segs = (d: string): string[] => readdirSync(join(d, 'messages')).filter((n) => n.endsWith('.seg'));
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('keep', { durable: true });
    await ch.assertQueue('flow', { durable: true });
    for (let i = 0; i < 300; i++) {
      const body = Buffer.alloc(64, 1);
      body.writeUInt32BE(i, 0);
      ch.sendToQueue('keep', body, { persistent: true });
      for (let j = 0; j < 5; j++) ch.sendToQueue('flow', Buffer.alloc(300, 2), { persistent: true });
    }
    await ch.waitForConfirms();
    const segsBefore = segs(a).length;
    const fc = await c.createChannel();
    await fc.consume('flow', (m) => m && fc.ack(m));
    await eventually(async () => (await fc.checkQueue('flow')).messageCount === 0, 20000);
    // keep's records are copied forward and the old segments deleted, on the leader and so on the follower
    await eventually(() => segs(a).length < segsBefore / 3, 20000);
    await publish(ch, 'keep', 'after');
    await sameFiles(r, f);
    await f.close();
    await c.close();
    await r.stop();
    // the follower's copy, opened as a broker: keep's 300 messages and the last one, in order
    const nb = await fileBroker(b, { segmentSize: 32 * 1024 });
    try {
      const c2 = await amqp.connect(`amqp://guest:guest@127.0.0.1:${nb.amqpPort}/`);
      const ch2 = await c2.createChannel();
      const got: Buffer[] = [];
      await ch2.consume('keep', (m) => m && got.push(m.content), { noAck: true });
      await eventually(() => got.length === 301);
      for (let i = 0; i < 300; i++) assert.equal(got[i]!.readUInt32BE(0), i);
      assert.equal(got[300]!.toString(), 'after');
      assert.equal((await ch2.checkQueue('flow')).messageCount, 0);
      await c2.close();
    } finally {
      await nb.close();
    }
  }));

test('a follower of a leader that has written nothing since it started is in sync, both sides', () =>
  withReplication({}, async (r) => {
    const inSync = new Promise((res) => r.leader.once('follower-in-sync', res));
    const f = r.follow();
    await new Promise((res) => f.once('synced', res));
    assert.equal(await within(inSync, 5000), true);
    assert.equal(f.synced, true);
    await sameFiles(r, f);
  }));
