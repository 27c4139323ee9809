// Disk faults on purpose (broker.faults.failDisk, storage/io.ts) with real clients: a full (ENOSPC) or
// failing (EIO) disk raises the disk alarm (connection.blocked "low on disk", /api/nodes, the health check,
// Prometheus), nothing that was not written is confirmed: a 0-9-1 publish that waited for the failed write
// is nacked (the broker refuses responsibility, as RabbitMQ nacks what a failed queue held), MQTT PUBACK and
// STOMP RECEIPT wait; consumers keep draining what the broker holds, and once healed Warren recovers by
// itself: the alarm clears, the retried records are written, held acknowledgements go out, publishes read
// from then on are confirmed, and after a restart every confirmed message is there once.
// EIO on read: the consumer waits (no crash, nothing skipped) and gets the messages once reads work.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type ConfirmChannel } from 'amqplib';
import mqtt from 'mqtt';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/index.js';
import { eventually, sleep } from '../helpers/broker.js';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = process.env.WARREN_INTEROP_PYTHON ?? '/usr/bin/python3';
const PIKA_SCRIPT = fileURLToPath(new URL('../../../test/interop/python/disk_faults_pika.py', import.meta.url));
const noPika = spawnSync(PYTHON, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0 ? false : 'no pika';
import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';

const dirs: string[] = [];
/** Every broker started here: a failed test's broker is closed too, so the file does not hang. */
const brokers: RunningBroker[] = [];
after(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-disk-faults-'));
  dirs.push(d);
  return d;
}

const start = async (dataDir: string, more: BrokerOptions = {}): Promise<RunningBroker> => {
  const b = await startBroker({
    amqpPort: 0,
    managementPort: 0,
    prometheusPort: 0,
    bind: '127.0.0.1',
    storage: 'file',
    dataDir,
    logLevel: 'silent',
    diskFreeLimit: 1,
    ...more,
  });
  brokers.push(b);
  return b;
};

/** stompjs over Web-STOMP; send() resolves on the SEND's RECEIPT. */
async function stompClient(
  port: number,
): Promise<{ send(dest: string, body: string): Promise<void>; close(): Promise<void> }> {
  let n = 0;
  const c = await new Promise<Client>((resolve, reject) => {
    const cl = new Client({
      webSocketFactory: () => new WebSocket(`ws://127.0.0.1:${port}/ws`, ['v12.stomp']),
      connectHeaders: { login: 'guest', passcode: 'guest' },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      onConnect: () => resolve(cl),
      onStompError: (f) => reject(new Error(f.headers['message'])),
    });
    cl.activate();
  });
  return {
    send: (destination, body) =>
      new Promise<void>((resolve) => {
        const receipt = `r${n++}`;
        c.watchForReceipt(receipt, () => resolve());
        c.publish({ destination, body, headers: { receipt, persistent: 'true' } });
      }),
    close: () => c.deactivate(),
  };
}

const amqpUrl = (b: RunningBroker) => `amqp://guest:guest@127.0.0.1:${b.amqpPort}`;

async function api(b: RunningBroker, path: string): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`http://127.0.0.1:${b.managementPort}${path}`, {
    headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') },
  });
  return { status: r.status, json: await r.json() };
}

async function diskGauge(b: RunningBroker, name = 'rabbitmq_alarms_free_disk_space_watermark'): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${b.prometheusPort}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

/** Publish persistent messages; resolves with the confirms' outcome per message ('ack' | 'nack'). */
function publish(ch: ConfirmChannel, q: string, bodies: string[]): Promise<string>[] {
  return bodies.map(
    (b) =>
      new Promise<string>((resolve) =>
        ch.sendToQueue(q, Buffer.from(b), { persistent: true }, (err) => resolve(err ? 'nack' : 'ack')),
      ),
  );
}

test('amqplib: ENOSPC: alarm, blocked publisher, a nack for what was not written, consumers drain; healed: confirmed once, all there after a restart', async () => {
  const dir = tempDir();
  let b = await start(dir);
  const pubConn = await amqp.connect(amqpUrl(b));
  const pub = await pubConn.createConfirmChannel();
  await pub.assertQueue('df.work', { durable: true });
  await pub.assertQueue('df.kept', { durable: true });
  await Promise.all(publish(pub, 'df.work', ['w1', 'w2', 'w3', 'w4', 'w5']));
  const blocked: string[] = [];
  pubConn.on('blocked', (reason: string) => blocked.push(reason));
  pubConn.on('unblocked', () => blocked.push('unblocked'));

  b.faults.failDisk('ENOSPC');
  // a publish whose write fails is nacked (not held: the broker cannot say when, or whether, the disk takes
  // it); once the alarm is up (the failed write, or the free-space check reading a full disk) the publisher
  // is blocked: connection.blocked goes to a connection that publishes while an alarm is in effect, as
  // rabbit_reader does, and what it sends is no longer read. Which of these k1..k3 meet depends on timing
  // (a nack, or unread until the heal, then confirmed); none is confirmed while the disk fails.
  const results: string[] = [];
  const track = (ps: Promise<string>[], names: string[]) =>
    ps.forEach((p, i) => void p.then((r) => results.push(`${names[i]}:${r}`)));
  const pending = publish(pub, 'df.kept', ['k1']);
  track(pending, ['k1']);
  await eventually(() => b.broker.alarms.isRaised('disk'));
  const more = publish(pub, 'df.kept', ['k2', 'k3']);
  track(more, ['k2', 'k3']);
  pending.push(...more);
  await eventually(() => blocked.includes('low on disk'));
  await sleep(800);
  assert.ok(
    results.every((r) => r.endsWith('nack')),
    `nothing unwritten is confirmed: ${results.join()}`,
  );
  const [node] = (await api(b, '/api/nodes')).json as Record<string, unknown>[];
  assert.equal(node!['disk_free_alarm'], true);
  // a full disk shows no free space, where the alarm looks and where an operator does
  assert.equal(node!['disk_free'], 0);
  assert.equal(await diskGauge(b, 'rabbitmq_disk_space_available_bytes'), 0);
  const health = await api(b, '/api/health/checks/alarms');
  assert.equal(health.status, 503);
  assert.deepEqual((health.json as { alarms: unknown[] }).alarms, [
    { node: b.broker.nodeName, resource: 'disk space' },
  ]);
  assert.equal(await diskGauge(b), 1);

  // a consumer on another connection drains what the broker holds, and acks (their records wait too)
  const conConn = await amqp.connect(amqpUrl(b));
  const con = await conConn.createChannel();
  const got: string[] = [];
  await con.consume('df.work', (m) => {
    got.push(m!.content.toString());
    con.ack(m!);
  });
  await eventually(() => got.length === 5);
  assert.deepEqual(got, ['w1', 'w2', 'w3', 'w4', 'w5']);
  assert.ok(
    results.every((r) => r.endsWith('nack')),
    `nothing unwritten is confirmed: ${results.join()}`,
  );

  // healed: the alarm clears by itself, the retried records are written, the held publishes are read and
  // confirmed (acks)
  b.faults.healDisk();
  await Promise.all(pending);
  assert.equal(results.length, 3, results.join());
  await eventually(() => blocked.includes('unblocked'));
  assert.equal(b.broker.alarms.isRaised('disk'), false);
  assert.equal(await diskGauge(b), 0);
  assert.ok((await diskGauge(b, 'rabbitmq_disk_space_available_bytes')) > 0);
  await Promise.all(publish(pub, 'df.kept', ['k4']));
  await pubConn.close();
  await conConn.close();
  await b.close();

  // after a restart: each confirmed message once, in order; the acked ones gone. k1 was nacked, but it had
  // reached its queue and its record was kept for the retry: it is there too (a nack refuses responsibility,
  // it does not promise the message is gone)
  b = await start(dir);
  const c = await amqp.connect(amqpUrl(b));
  const ch = await c.createChannel();
  assert.equal((await ch.checkQueue('df.work')).messageCount, 0);
  const kept: string[] = [];
  for (;;) {
    const m = await ch.get('df.kept', { noAck: true });
    if (m === false) break;
    kept.push(m.content.toString());
  }
  const acked = ['k1', 'k2', 'k3'].filter((k) => results.includes(`${k}:ack`));
  const nacked = ['k1', 'k2', 'k3'].filter((k) => results.includes(`${k}:nack`));
  assert.deepEqual(
    kept.filter((k) => !nacked.includes(k)),
    [...acked, 'k4'],
  );
  for (const k of nacked) assert.ok(kept.filter((x) => x === k).length <= 1);
  await c.close();
  await b.close();
});

test('amqplib: EIO on fsync only: written but not durable is nacked, never confirmed by a retry; healed, new publishes are confirmed', async () => {
  const b = await start(tempDir());
  const c = await amqp.connect(amqpUrl(b));
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('df.fsync', { durable: true });
  b.faults.failDisk('EIO', { on: 'fsync' });
  // nacked, not held for the retry: after a real fsync EIO the kernel may have dropped the pages, and a
  // retry that succeeds says nothing about them (PostgreSQL's "fsyncgate")
  assert.deepEqual(await Promise.all(publish(ch, 'df.fsync', ['a'])), ['nack']);
  await eventually(() => b.broker.alarms.isRaised('disk'));
  // the alarm is up: the next publish is read and nacked when the retried fsync fails again, or (its frames
  // split across reads, the connection blocked in between) held unread until the heal, then confirmed
  let second = '';
  const b2 = publish(ch, 'df.fsync', ['b'])[0]!.then((r) => (second = r));
  await sleep(600);
  assert.notEqual(second, 'ack');
  b.faults.healDisk();
  await eventually(() => !b.broker.alarms.isRaised('disk'));
  await b2;
  assert.deepEqual(await Promise.all(publish(ch, 'df.fsync', ['c'])), ['ack']);
  await c.close();
  await b.close();
});

test('EIO on read: a consumer of a backlog on disk waits (no crash, nothing skipped), then gets it all in order', async () => {
  const dir = tempDir();
  let b = await start(dir);
  let c = await amqp.connect(amqpUrl(b));
  const pub = await c.createConfirmChannel();
  await pub.assertQueue('df.read', { durable: true });
  // more than a queue reads back at once (512 a batch): some of it is still on disk when the fault starts
  const bodies = Array.from({ length: 6000 }, (_, i) => `r${i}`);
  await Promise.all(publish(pub, 'df.read', bodies));
  await c.close();
  await b.close();
  // recovered messages start on disk: every delivery reads the log
  b = await start(dir);
  b.faults.failDisk('EIO', { on: 'read' });
  c = await amqp.connect(amqpUrl(b));
  const ch = await c.createChannel();
  const got: string[] = [];
  await ch.consume('df.read', (m) => {
    got.push(m!.content.toString());
    ch.ack(m!);
  });
  await sleep(800);
  // what was already read is served; the rest waits for the disk, in order, nothing skipped
  assert.ok(got.length < bodies.length, `${got.length} delivered with reads failing`);
  assert.deepEqual(got, bodies.slice(0, got.length));
  // the broker keeps serving: other work goes on meanwhile
  const other = await c.createConfirmChannel();
  await other.assertQueue('df.other', { durable: true });
  await Promise.all(publish(other, 'df.other', ['x']));
  assert.equal(b.broker.alarms.isRaised('disk'), false, 'a read error does not block publishers');
  b.faults.healDisk();
  await eventually(() => got.length === bodies.length, 10000);
  assert.deepEqual(got, bodies);
  await c.close();
  await b.close();
});

test('MQTT QoS 1 and STOMP SEND with receipt: the disk fails: MQTT 5 PUBACK 0x83, 3.1.1 no PUBACK, no RECEIPT (as RabbitMQ 3.13)', async () => {
  const b = await start(tempDir(), { mqttPort: 0, webStompPort: 0 });
  // a persistent MQTT session: its subscription queue is durable, so a QoS 1 message is written
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
    clientId: 'df-sub',
    clean: false,
    username: 'guest',
    password: 'guest',
    reconnectPeriod: 0,
  });
  await sub.subscribeAsync('df/t', { qos: 1 });
  await sub.endAsync();
  const stomp = await stompClient(b.webStompPort!);
  await stomp.send('/queue/df.stomp', 'before');

  const pubc = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
    clientId: 'df-pub',
    username: 'guest',
    password: 'guest',
    reconnectPeriod: 0,
  });
  const pub5 = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
    clientId: 'df-pub5',
    protocolVersion: 5,
    username: 'guest',
    password: 'guest',
    reconnectPeriod: 0,
  });
  // EIO on write: the alarm goes up when the write fails (a full disk would also raise it from the free-space
  // check, which could block a publisher before its publish is read)
  b.faults.failDisk('EIO', { on: 'write' });
  // MQTT 5: refused with PUBACK 0x83 (implementation specific error), as RabbitMQ's MQTT plugin refuses a
  // rejected publish; mqtt.js rejects the publish with that reason code
  const refused = await pub5.publishAsync('df/t', 'during5', { qos: 1 }).then(
    () => 'acked',
    (e: { code?: number }) => e.code,
  );
  assert.equal(refused, 0x83);
  b.faults.healDisk();
  await eventually(() => !b.broker.alarms.isRaised('disk'));

  b.faults.failDisk('EIO', { on: 'write' });
  let puback = false;
  // (rejected with "Connection closed" when the client is ended at the end, still waiting)
  pubc.publishAsync('df/t', 'during', { qos: 1 }).then(
    () => (puback = true),
    () => {},
  );
  await eventually(() => b.broker.alarms.isRaised('disk'));
  await sleep(500);
  assert.equal(puback, false, 'no PUBACK for an unwritten message');
  b.faults.healDisk();
  await eventually(() => !b.broker.alarms.isRaised('disk'));
  // MQTT 3.1.1 has no negative acknowledgement: that PUBACK never comes (RabbitMQ sends none either); what is
  // published once the disk works is acknowledged
  await pubc.publishAsync('df/t', 'after', { qos: 1 });
  assert.equal(puback, false, 'no PUBACK for a publish the disk refused');
  // the refused messages had reached the subscription queue before their writes failed (a nack does not
  // take a message back); what matters is that the one acknowledged is there
  const got = b
    .queue('mqtt-subscription-df-subqos1')
    .messages()
    .map((m) => m.content.toString());
  assert.ok(got.includes('after') && got.every((m) => ['during', 'during5', 'after'].includes(m)), got.join());

  // STOMP has no negative receipt: the RECEIPT of a SEND whose write failed never comes (RabbitMQ 3.13's
  // adapter sends nothing for a rejected publish); a SEND once the disk works gets its RECEIPT
  b.faults.failDisk('EIO', { on: 'write' });
  let receipt = false;
  void stomp.send('/queue/df.stomp', 'during').then(() => (receipt = true));
  await eventually(() => b.broker.alarms.isRaised('disk'));
  b.faults.healDisk();
  await eventually(() => !b.broker.alarms.isRaised('disk'));
  await stomp.send('/queue/df.stomp', 'after');
  await sleep(200);
  assert.equal(receipt, false, 'no RECEIPT for a SEND the disk refused');
  const sent = b
    .queue('df.stomp')
    .messages()
    .map((m) => m.content.toString());
  assert.deepEqual(
    sent.filter((m) => m !== 'during'),
    ['before', 'after'],
  );
  await pubc.endAsync(true); // (not forced, mqtt.js waits for the PUBACK that never comes)
  await pub5.endAsync();
  await stomp.close();
  await b.close();
});

test('read-only data directory (EROFS through the seam: root ignores chmod): a durable declare is refused with 541, nothing half applied; healed, it works and survives a restart', async () => {
  const dir = tempDir();
  let b = await start(dir);
  let c = await amqp.connect(amqpUrl(b));
  let ch = await c.createChannel();
  await ch.assertExchange('df.x', 'direct', { durable: true });
  b.faults.failDisk('EROFS');
  // a transient queue needs no disk
  await ch.assertQueue('df.transient', { durable: false });
  await ch.bindQueue('df.transient', 'df.x', 'k');
  const closed = new Promise<string>((r) => c.on('error', (e: Error) => r(e.message)));
  await assert.rejects(ch.assertQueue('df.durable', { durable: true }));
  assert.match(
    await closed,
    /541 \(INTERNAL-ERROR\) with message "INTERNAL_ERROR - cannot store the definition change: EROFS/,
  );
  const v = b.broker.vhosts.get('/')!;
  assert.equal(v.queues.has('df.durable'), false, 'not half applied');
  // an exchange and a binding between durable ends: refused the same way, and taken back
  c = await amqp.connect(amqpUrl(b));
  ch = await c.createChannel();
  const closed2 = new Promise<string>((r) => c.on('error', (e: Error) => r(e.message)));
  await assert.rejects(ch.assertExchange('df.x2', 'fanout', { durable: true }));
  assert.match(await closed2, /541 \(INTERNAL-ERROR\)/);
  assert.equal(v.exchanges.has('df.x2'), false);
  b.faults.healDisk();
  c = await amqp.connect(amqpUrl(b));
  ch = await c.createChannel();
  await ch.assertQueue('df.durable', { durable: true });
  await ch.bindQueue('df.durable', 'df.x', 'k');
  await c.close();
  await b.close();
  b = await start(dir);
  c = await amqp.connect(amqpUrl(b));
  ch = await c.createChannel();
  await ch.checkQueue('df.durable');
  const x = b.broker.vhosts.get('/')!.exchanges.get('df.x')!;
  assert.equal([...x.bindings.values()].filter((bd) => bd.routingKey === 'k').length, 1);
  await c.close();
  await b.close();
});

test(
  'pika: blocked "low on disk", nothing confirmed while the disk fails (NackError for what was written); healed, unblocked and confirmed',
  { skip: noPika },
  async () => {
    const b = await start(tempDir());
    const p = spawn(PYTHON, [PIKA_SCRIPT, String(b.amqpPort)], { timeout: 30000 });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => p.on('exit', r));
    await eventually(() => out.includes('ready'), 10000).catch(() => assert.fail(out));
    b.faults.failDisk('ENOSPC');
    await eventually(() => b.broker.alarms.isRaised('disk'));
    p.stdin.write('\n');
    // pika's BlockingConnection runs its blocked callback only after basic_publish returns: the broker says
    // it meanwhile (the connection is blocked, as /api/connections shows it)
    await eventually(() => [...b.broker.connections.values()].some((c) => c.blocked));
    // p1 is read and nacked when its write fails (NackError), or, its frames split across reads with the
    // connection blocked in between, held unread until the heal and then confirmed: never confirmed before
    await sleep(700);
    assert.doesNotMatch(out, /confirmed/, 'no confirm while the disk is full');
    b.faults.healDisk();
    assert.equal(await exited, 0, out);
    assert.match(out, /(nacked|confirmed) p1/);
    assert.match(out, /blocked: low on disk\n(.|\n)*unblocked\n(.|\n)*confirmed p2/);
    // p1 reached the queue before its write failed: nacked (the broker refused responsibility), it may still be there
    const bodies = b
      .queue('df.pika')
      .messages()
      .map((m) => m.content.toString());
    assert.ok(bodies.includes('p2') && bodies.every((x) => x === 'p1' || x === 'p2'), bodies.join());
    await b.close();
  },
);
