// Disk faults on a stream (issue 15): failDisk under a Stream protocol publisher and a 0-9-1 publisher to a
// stream queue. Nothing that was not written (or not fsynced) is confirmed: what waited for the failed write
// gets a PublishError (internal error, 0x0f) or a basic.nack, the disk alarm goes up; once the disk is healed
// the alarm clears, publishing works again, and after a restart the stream holds every confirmed message once
// (a refused one may be there too: the broker refused responsibility for it, as RabbitMQ's nack does).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import * as rs from 'rabbitmq-stream-js-client';
import type { DiskFaultKind, DiskFaultOp } from '../../../src/storage/io.js';
import { connectClient, RawClient, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

const brokers: StreamTestBroker[] = [];
after(async () => {
  for (const t of brokers) await t.close().catch(() => {});
});

/** An AMQP 1.0 message of one data section (what stream clients read back). */
function amqp10(body: string): Buffer {
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from([0x00, 0x53, 0x75, 0xa0, b.length]), b]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const [code, on] of [
  ['ENOSPC', 'write'],
  ['EIO', 'fsync'],
] as [DiskFaultKind, DiskFaultOp][]) {
  test(`${code} on ${on}: PublishError / basic.nack for what is not on disk, alarm; healed, publishing works and every confirmed message is there after a restart`, async () => {
    const t = await startStreamBroker({ diskFreeLimit: 1 });
    brokers.push(t);
    const raw = await RawClient.connect(t.port);
    await raw.open();
    const created = await raw.request('CreateRequest', { stream: 'sdf', arguments: {} }, 'CreateResponse');
    assert.equal(created.responseCode, 1);
    const decl = await raw.request(
      'DeclarePublisherRequest',
      { publisherId: 1, publisherReference: '', stream: 'sdf' },
      'DeclarePublisherResponse',
    );
    assert.equal(decl.responseCode, 1);
    const confirmed = new Set<number>();
    const errored = new Set<number>();
    const seen = (): void => {
      for (const f of raw.frames) {
        if (f.name === 'PublishConfirm') for (const id of f.publishingIds) confirmed.add(id);
        if (f.name === 'PublishError') for (const e of f.errors) errored.add(e.publishingId);
      }
    };
    const send = (ids: number[]): void =>
      raw.send('Publish', {
        publisherId: 1,
        messages: ids.map((publishingId) => ({ publishingId, message: amqp10(`m${publishingId}`) })),
      });
    send([1, 2]);
    await until(() => (seen(), confirmed.has(2)), 5000, 'confirms before the fault');

    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${t.b.amqpPort}`);
    const ch = await conn.createConfirmChannel();
    const amqpResults: string[] = [];
    const amqpPublish = (body: string): void => {
      ch.sendToQueue('sdf', Buffer.from(body), { persistent: true }, (err) =>
        amqpResults.push(`${body}:${err ? 'nack' : 'ack'}`),
      );
    };

    t.b.faults.failDisk(code, { on });
    send([3, 4]);
    await until(() => (seen(), errored.has(3) && errored.has(4)), 5000, 'a PublishError for what is not on disk');
    assert.ok(!confirmed.has(3) && !confirmed.has(4), 'no PublishConfirm for what is not on disk');
    const error = raw.frames.find((f) => f.name === 'PublishError');
    assert.deepEqual(
      error?.errors.map((e: { code: number }) => e.code),
      [0x0f, 0x0f],
      'internal error',
    );
    await until(() => t.b.broker.alarms.isRaised('disk'), 5000, 'the disk alarm');
    // a 0-9-1 publish while the alarm is up: nacked if it was read before the connection was blocked, else
    // held unread; never confirmed while the disk fails
    amqpPublish('m-amqp');
    await sleep(800);
    assert.ok(!amqpResults.includes('m-amqp:ack'), 'no 0-9-1 confirm for what is not on disk');

    t.b.faults.healDisk();
    await until(() => !t.b.broker.alarms.isRaised('disk'), 5000, 'the alarm to clear');
    await until(() => amqpResults.length === 1, 10000, 'the 0-9-1 publish settled');
    // healed: publishing works again on both protocols
    send([5]);
    amqpPublish('m-amqp2');
    await until(() => (seen(), confirmed.has(5)), 5000, 'a PublishConfirm once healed');
    await until(() => amqpResults.includes('m-amqp2:ack'), 5000, 'a 0-9-1 confirm once healed');
    await conn.close();
    raw.close();

    await t.restart();
    const c = await connectClient(t);
    const got: string[] = [];
    await c.declareConsumer({ stream: 'sdf', offset: rs.Offset.first() }, (m) => void got.push(m.content.toString()));
    const mustHave = ['m1', 'm2', 'm5', 'm-amqp2', ...(amqpResults.includes('m-amqp:ack') ? ['m-amqp'] : [])];
    await until(() => mustHave.every((m) => got.includes(m)), 5000, 'every confirmed message after the restart');
    await sleep(200);
    for (const m of got) assert.ok([...mustHave, 'm3', 'm4', 'm-amqp'].includes(m), `unexpected ${m}`);
    assert.equal(new Set(got).size, got.length, 'each message once');
    await c.close();
  });
}
