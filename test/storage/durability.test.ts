// Message durability as a user sees it: `warren server` as a child process, amqplib publishing with
// confirms, SIGKILL, restart, consume and compare byte for byte. Also torn tails, format refusal,
// redelivered after a crash, transient vs persistent, disk reclaimed, the disk alarm and tx.commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, statSync, truncateSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { startBroker } from '../../src/index.js';
import { eventually } from '../helpers/broker.js';
import { kill9, OTHER_LISTENERS_OFF, spawnWarren, tempDir, type WarrenChild } from '../helpers/warren-child.js';
import { txSelect, txCommit } from '../clients/amqplib/util.js';

/** A connection to a server this test will SIGKILL: its unexpected close is expected. */
async function connect(url: string): Promise<amqp.ChannelModel> {
  const c = await amqp.connect(url);
  c.on('error', () => {});
  return c;
}

/** `warren server` on `dir` with the other listeners off. */
function start(dir: string, extra: string[] = []): Promise<WarrenChild> {
  return spawnWarren(['--amqp-port', '0', '--bind', '127.0.0.1', '--data-dir', dir, ...OTHER_LISTENERS_OFF, ...extra]);
}

const tmp = (): string => tempDir('warren-dur-');

/** Consume n messages (ack each) and return them. */
async function take(ch: amqp.Channel, queue: string, n: number): Promise<amqp.ConsumeMessage[]> {
  const got: amqp.ConsumeMessage[] = [];
  if (n === 0) return got;
  await new Promise<void>((resolve) => {
    void ch.consume(queue, (m) => {
      if (m === null) return;
      got.push(m);
      ch.ack(m);
      if (got.length === n) resolve();
    });
  });
  return got;
}

test('confirmed persistent messages survive kill -9 in order, properties byte for byte; transient ones do not', async () => {
  const dir = tmp();
  let s = await start(dir, ['--segment-size', '256KiB']);
  let c = await connect(s.url);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('dq', { durable: true });
  await ch.assertQueue('tq', { durable: false });
  await ch.assertQueue('xq', { durable: true, exclusive: true });
  const N = 6000; // more than the in-memory window: part of the queue is paged to disk
  const sent: { body: Buffer; persistent: boolean }[] = [];
  for (let i = 0; i < N; i++) {
    const persistent = i % 7 !== 3;
    const body = Buffer.alloc(200 + (i % 50), i % 256);
    body.writeUInt32BE(i, 0);
    sent.push({ body, persistent });
    ch.publish('', 'dq', body, {
      persistent,
      contentType: 'application/x-test',
      contentEncoding: 'identity',
      headers: { i, nested: { a: [1, 'two', true] }, bin: Buffer.from([0, 255]) },
      priority: 3,
      correlationId: `c${i}`,
      replyTo: 'somewhere',
      expiration: '86400000',
      messageId: `m${i}`,
      timestamp: 1700000000,
      type: 't',
      userId: 'guest',
      appId: 'durability-test',
    });
  }
  ch.publish('', 'tq', Buffer.from('transient queue'), { persistent: true });
  await ch.waitForConfirms();
  await kill9(s);

  s = await start(dir, ['--segment-size', '256KiB']);
  c = await connect(s.url);
  const ch2 = await c.createChannel();
  const expected = sent.filter((m) => m.persistent);
  assert.equal((await ch2.checkQueue('dq')).messageCount, expected.length);
  const got = await take(ch2, 'dq', expected.length);
  for (let k = 0; k < expected.length; k++) {
    const m = got[k]!;
    const i = expected[k]!.body.readUInt32BE(0);
    assert.ok(m.content.equals(expected[k]!.body), `body ${k}`);
    assert.equal(m.fields.redelivered, false);
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(m.properties.correlationId, `c${i}`);
    assert.equal(m.properties.messageId, `m${i}`);
    assert.equal(m.properties.expiration, '86400000');
    assert.equal(m.properties.appId, 'durability-test');
    assert.deepEqual(m.properties.headers, { i, nested: { a: [1, 'two', true] }, bin: Buffer.from([0, 255]) });
  }
  await c.close();
  // the transient queue and the exclusive durable one are gone (each check closes its connection)
  for (const q of ['tq', 'xq']) {
    const c2 = await connect(s.url);
    const chq = await c2.createChannel();
    chq.on('error', () => {});
    await assert.rejects(chq.checkQueue(q), /404/);
    await c2.close().catch(() => {});
  }
  await kill9(s);
});

test('delivered-unacked messages come back redelivered after kill -9; acked ones never come back', async () => {
  const dir = tmp();
  let s = await start(dir);
  let c = await connect(s.url);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('rq', { durable: true });
  for (let i = 0; i < 30; i++) ch.sendToQueue('rq', Buffer.from(String(i)), { persistent: true });
  await ch.waitForConfirms();
  const cons = await c.createChannel();
  await cons.prefetch(20);
  // ack 0..9, leave 10..19 delivered and unacked, 20..29 never delivered
  const seen: amqp.ConsumeMessage[] = [];
  let tag = '';
  await new Promise<void>((resolve) => {
    void cons
      .consume('rq', (m) => {
        if (m === null) return;
        seen.push(m);
        if (seen.length === 20) resolve();
      })
      .then((ok) => (tag = ok.consumerTag));
  });
  // cancelled first, so the acks free no credit for 20..29; its unacked messages stay on the channel
  await cons.cancel(tag);
  for (let i = 0; i < 10; i++) cons.ack(seen[i]!);
  // the ack records are written at the end of the turn; a confirm after them proves they reached the file
  ch.sendToQueue('rq', Buffer.from('30'), { persistent: true });
  await ch.waitForConfirms();
  await kill9(s);

  s = await start(dir);
  c = await connect(s.url);
  const ch2 = await c.createChannel();
  const got = await take(ch2, 'rq', 21);
  assert.deepEqual(
    got.map((m) => m.content.toString()),
    Array.from({ length: 21 }, (_, k) => String(k + 10)),
  );
  assert.deepEqual(
    got.map((m) => m.fields.redelivered),
    Array.from({ length: 21 }, (_, k) => k < 10),
  );
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await ch2.checkQueue('rq')).messageCount, 0);
  await c.close();
  await kill9(s);
});

test('a torn tail (last record cut short or corrupted) is discarded at start; everything before it stays', async () => {
  for (const damage of ['truncate', 'corrupt', 'garbage'] as const) {
    const dir = tmp();
    let s = await start(dir);
    let c = await connect(s.url);
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('tt', { durable: true });
    for (let i = 0; i < 10; i++) ch.sendToQueue('tt', Buffer.alloc(100, i), { persistent: true });
    await ch.waitForConfirms();
    await kill9(s);
    const segDir = join(dir, 'messages');
    const seg = join(
      segDir,
      readdirSync(segDir)
        .filter((f) => f.endsWith('.seg'))
        .sort()
        .pop()!,
    );
    const size = statSync(seg).size;
    if (damage === 'truncate') truncateSync(seg, size - 30);
    else if (damage === 'corrupt') {
      const { openSync, writeSync, closeSync } = await import('node:fs');
      const fd = openSync(seg, 'r+');
      writeSync(fd, Buffer.from([0xde, 0xad]), 0, 2, size - 20);
      closeSync(fd);
    } else appendFileSync(seg, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    s = await start(dir);
    assert.match(s.stderr(), damage === 'garbage' ? /torn tail/ : /torn tail/);
    c = await connect(s.url);
    const ch2 = await c.createChannel();
    const expect = damage === 'garbage' ? 10 : 9;
    assert.equal((await ch2.checkQueue('tt')).messageCount, expect, damage);
    const got = await take(ch2, 'tt', expect);
    got.forEach((m, i) => assert.ok(m.content.equals(Buffer.alloc(100, i))));
    await c.close();
    await kill9(s);
  }
});

test('a data directory of an unknown format is refused with a clear message and left alone', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'format_version'), '99\n');
  await assert.rejects(start(dir), /format version 99.*Refusing to start/s);
});

test('disk space of acked messages is reclaimed while the broker runs', async () => {
  const dir = tmp();
  const s = await start(dir, ['--segment-size', '64KiB']);
  const c = await connect(s.url);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('rc', { durable: true });
  for (let i = 0; i < 2000; i++) ch.sendToQueue('rc', Buffer.alloc(1024, 1), { persistent: true });
  await ch.waitForConfirms();
  const segs = () => readdirSync(join(dir, 'messages')).filter((f) => f.endsWith('.seg')).length;
  assert.ok(segs() > 20, `segments: ${segs()}`);
  const cons = await c.createChannel();
  await take(cons, 'rc', 2000);
  // a few more publishes roll the log on so the last acked segments are sealed and deleted
  for (let i = 0; i < 100; i++) ch.sendToQueue('rc', Buffer.alloc(1024, 2), { persistent: true });
  await ch.waitForConfirms();
  await eventually(() => segs() <= 4, 5000);
  await c.close();
  await kill9(s);
});

test('tx.commit of persistent messages survives kill -9; uncommitted ones do not exist', async () => {
  const dir = tmp();
  let s = await start(dir);
  let c = await connect(s.url);
  const ch = await c.createChannel();
  await ch.assertQueue('txq', { durable: true });
  await txSelect(ch);
  ch.sendToQueue('txq', Buffer.from('committed'), { persistent: true });
  await txCommit(ch);
  ch.sendToQueue('txq', Buffer.from('uncommitted'), { persistent: true });
  await new Promise((r) => setTimeout(r, 50));
  await kill9(s);
  s = await start(dir);
  c = await connect(s.url);
  const ch2 = await c.createChannel();
  const got = await take(ch2, 'txq', 1);
  assert.equal(got[0]!.content.toString(), 'committed');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await ch2.checkQueue('txq')).messageCount, 0);
  await c.close();
  await kill9(s);
});

test('deleting a durable queue drops its messages for good, also when redeclared', async () => {
  const dir = tmp();
  let s = await start(dir);
  let c = await connect(s.url);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('dd', { durable: true });
  ch.sendToQueue('dd', Buffer.from('old'), { persistent: true });
  await ch.waitForConfirms();
  await ch.deleteQueue('dd');
  await ch.assertQueue('dd', { durable: true });
  ch.sendToQueue('dd', Buffer.from('new'), { persistent: true });
  await ch.waitForConfirms();
  await kill9(s);
  s = await start(dir);
  c = await connect(s.url);
  const ch2 = await c.createChannel();
  assert.equal((await ch2.checkQueue('dd')).messageCount, 1);
  assert.equal((await take(ch2, 'dd', 1))[0]!.content.toString(), 'new');
  await c.close();
  await kill9(s);
});

test('free disk under diskFreeLimit raises the disk alarm: connection.blocked "low on disk"', async () => {
  const dir = tmp();
  const b = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    dataDir: dir,
    logLevel: 'silent',
    diskFreeLimit: '1000000TB',
  });
  try {
    // the disk monitor raised the alarm at start (free space is under the limit)
    assert.ok(b.broker.alarms.isRaised('disk'));
    b.broker.alarms.set('disk', false);
    const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('alarmq', { durable: true });
    const blocked = new Promise<string>((resolve) => c.on('blocked', (r: string) => resolve(r)));
    b.broker.alarms.set('disk', true);
    // as RabbitMQ, the connection is blocked (and told so) when it publishes during the alarm; that
    // publisher is paused: its confirm comes only after the alarm clears
    let confirmed = false;
    ch.sendToQueue('alarmq', Buffer.from('x'), { persistent: true }, () => (confirmed = true));
    assert.equal(await blocked, 'low on disk');
    await new Promise((r) => setTimeout(r, 200));
    ch.sendToQueue('alarmq', Buffer.from('y'), { persistent: true });
    await new Promise((r) => setTimeout(r, 200));
    const unblocked = new Promise<void>((resolve) => c.on('unblocked', () => resolve()));
    b.broker.alarms.set('disk', false);
    await unblocked;
    await ch.waitForConfirms();
    assert.ok(confirmed);
    assert.equal((await ch.checkQueue('alarmq')).messageCount, 2);
    await c.close();
  } finally {
    await b.close();
  }
});

test('--disk-free-limit-relative: a limit of many times the memory raises the disk alarm at start', async () => {
  const dir = tmp();
  // no disk has a million times the machine's memory free
  const s = await start(dir, ['--disk-free-limit-relative', '1000000']);
  try {
    const c = await connect(s.url);
    const ch = await c.createChannel();
    await ch.assertQueue('relq', { durable: true });
    const blocked = new Promise<string>((resolve) => c.on('blocked', (r: string) => resolve(r)));
    ch.sendToQueue('relq', Buffer.from('x'), { persistent: true });
    assert.equal(await blocked, 'low on disk');
    await c.close().catch(() => {});
  } finally {
    await kill9(s);
  }
});

test('a priority queue keeps its persistent messages across kill -9, highest priority first', async () => {
  const dir = tmp();
  let s = await start(dir);
  let c = await connect(s.url);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('pq', { durable: true, arguments: { 'x-max-priority': 5 } });
  for (let i = 0; i < 10; i++) ch.sendToQueue('pq', Buffer.from(String(i)), { persistent: true, priority: i % 3 });
  await ch.waitForConfirms();
  await kill9(s);
  s = await start(dir);
  c = await connect(s.url);
  const got = await take(await c.createChannel(), 'pq', 10);
  assert.deepEqual(
    got.map((m) => m.content.toString()),
    ['2', '5', '8', '1', '4', '7', '0', '3', '6', '9'],
  );
  await c.close();
  await kill9(s);
});

test('messages paged to disk still expire by x-message-ttl', async () => {
  const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', dataDir: tmp(), logLevel: 'silent' });
  try {
    const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('ttlq', { durable: true, arguments: { 'x-message-ttl': 300 } });
    // beyond the 4096-message window: the tail is on disk
    for (let i = 0; i < 6000; i++) ch.sendToQueue('ttlq', Buffer.alloc(16), { persistent: true });
    await ch.waitForConfirms();
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await ch.get('ttlq', { noAck: true }), false);
    await eventually(async () => (await ch.checkQueue('ttlq')).messageCount === 0, 3000);
    await c.close();
  } finally {
    await b.close();
  }
});

test('journaled definitions survive kill -9: queues, exchanges, bindings, deletes, and a message in a new queue', async () => {
  const dir = tmp();
  const s = await start(dir);
  const c = await connect(s.url);
  const ch = await c.createConfirmChannel();
  for (let i = 0; i < 300; i++) await ch.assertQueue(`jq.${i}`, { durable: true });
  await ch.assertExchange('jx', 'topic', { durable: true });
  await ch.assertExchange('jx.gone', 'fanout', { durable: true });
  await ch.bindQueue('jq.1', 'jx', 'a.#');
  await ch.bindQueue('jq.2', 'jx', 'b.*');
  await ch.bindQueue('jq.3', 'amq.direct', 'k');
  await ch.bindQueue('jq.4', 'jx.gone', '');
  await ch.unbindQueue('jq.2', 'jx', 'b.*');
  for (let i = 100; i < 300; i++) await ch.deleteQueue(`jq.${i}`);
  await ch.deleteExchange('jx.gone');
  ch.sendToQueue('jq.5', Buffer.from('kept'), { persistent: true });
  await ch.waitForConfirms();
  assert.ok(
    readdirSync(dir).some((f) => /^definitions\.\d+\.log$/.test(f)),
    'a journal is written',
  );
  await kill9(s);

  const s2 = await start(dir);
  const c2 = await connect(s2.url);
  const ch2 = await c2.createChannel();
  ch2.on('error', () => {});
  for (const i of [0, 1, 50, 99]) await ch2.checkQueue(`jq.${i}`);
  await assert.rejects(ch2.checkQueue('jq.100'), /404/);
  const ch3 = await c2.createChannel();
  await ch3.checkExchange('jx');
  // bindings: a.# still routes to jq.1, b.* (unbound) routes nowhere, amq.direct k to jq.3
  ch3.publish('jx', 'a.x', Buffer.from('1'));
  ch3.publish('jx', 'b.x', Buffer.from('2'));
  ch3.publish('amq.direct', 'k', Buffer.from('3'));
  await eventually(async () => (await ch3.checkQueue('jq.1')).messageCount === 1);
  await eventually(async () => (await ch3.checkQueue('jq.3')).messageCount === 1);
  assert.equal((await ch3.checkQueue('jq.2')).messageCount, 0);
  const m = await ch3.get('jq.5', { noAck: true });
  assert.ok(m && m.content.toString() === 'kept');
  const ch4 = await c2.createChannel();
  ch4.on('error', () => {});
  await assert.rejects(ch4.checkExchange('jx.gone'), /404/);
  await kill9(s2);
});

test('a format 1 data directory (before the journals) is read and upgraded to format 3', async () => {
  const dir = tmp();
  const s0 = await start(dir);
  s0.child.kill('SIGTERM');
  await s0.exited;
  // what format 1 wrote: definitions.json alone, no journal generation
  const defs = JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8')) as Record<string, unknown>;
  delete defs['warren_journal'];
  defs['queues'] = [{ name: 'v1q', vhost: '/', durable: true, auto_delete: false, arguments: {} }];
  writeFileSync(join(dir, 'definitions.json'), JSON.stringify(defs));
  writeFileSync(join(dir, 'format_version'), '1\n');
  const s = await start(dir);
  assert.equal(readFileSync(join(dir, 'format_version'), 'utf8'), '3\n');
  const c = await connect(s.url);
  const ch = await c.createChannel();
  await ch.checkQueue('v1q');
  await ch.assertQueue('v2q', { durable: true });
  await c.close();
  await kill9(s);
  const s2 = await start(dir);
  const c2 = await connect(s2.url);
  const ch2 = await c2.createChannel();
  await ch2.checkQueue('v1q');
  await ch2.checkQueue('v2q');
  await c2.close();
  await kill9(s2);
});

test('a message dead-lettered by x-delivery-limit does not come back after kill -9', async (t) => {
  const dir = tmp();
  let s = await start(dir);
  t.after(() => s.child.kill('SIGKILL'));
  let c = await connect(s.url);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('dlq-target', { durable: true });
  await ch.assertQueue('limited', {
    durable: true,
    arguments: { 'x-delivery-limit': 1, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq-target' },
  });
  ch.sendToQueue('limited', Buffer.from('poison'), { persistent: true });
  ch.sendToQueue('limited', Buffer.from('fine'), { persistent: true });
  await ch.waitForConfirms();
  const cons = await c.createChannel();
  // rejected with requeue until over the limit (the second return): dead-lettered to dlq-target
  for (let i = 0; i < 2; i++) {
    const m = await cons.get('limited');
    assert.ok(m && m.content.toString() === 'poison');
    cons.nack(m, false, true);
  }
  // a confirm after the nacks proves their records reached the file (written at the end of the turn)
  ch.sendToQueue('other', Buffer.from('x'), { persistent: true });
  await ch.waitForConfirms();
  await kill9(s);

  s = await start(dir);
  c = await connect(s.url);
  const ch2 = await c.createChannel();
  assert.deepEqual(
    (await take(ch2, 'limited', 1)).map((m) => m.content.toString()),
    ['fine'],
  );
  assert.deepEqual(
    (await take(ch2, 'dlq-target', 1)).map((m) => m.content.toString()),
    ['poison'],
  );
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await ch2.checkQueue('limited')).messageCount, 0);
  await c.close();
  await kill9(s);
});

test('returns before kill -9 still count: x-delivery-count and x-delivery-limit go on where they were', async (t) => {
  const dir = tmp();
  let s = await start(dir);
  t.after(() => s.child.kill('SIGKILL'));
  let c = await connect(s.url);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('dlq-target', { durable: true });
  await ch.assertQueue('counted', {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': 2,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'dlq-target',
    },
  });
  ch.sendToQueue('counted', Buffer.from('poison'), { persistent: true });
  await ch.waitForConfirms();
  const cons = await c.createChannel();
  for (let i = 0; i < 2; i++) {
    const m = await cons.get('counted');
    assert.ok(m);
    assert.equal(m.properties.headers?.['x-delivery-count'], i);
    cons.nack(m, false, true);
  }
  ch.sendToQueue('other', Buffer.from('x'), { persistent: true });
  await ch.waitForConfirms();
  await kill9(s);

  s = await start(dir);
  c = await connect(s.url);
  const ch2 = await c.createChannel();
  // two returns before the crash: the third delivery says so, and its return is over the limit
  const m = await ch2.get('counted');
  assert.ok(m);
  assert.equal(m.fields.redelivered, true);
  assert.equal(m.properties.headers?.['x-delivery-count'], 2);
  ch2.nack(m, false, true);
  assert.deepEqual(
    (await take(ch2, 'dlq-target', 1)).map((x) => x.content.toString()),
    ['poison'],
  );
  assert.equal((await ch2.checkQueue('counted')).messageCount, 0);
  await c.close();
  await kill9(s);
});
