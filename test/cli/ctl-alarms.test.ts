// `warrenctl set_disk_free_limit` as rabbitmqctl's: a limit over the free space raises the disk alarm at once
// (amqplib's publisher gets connection.blocked, /api/nodes and status say so), lowering it clears the alarm
// (connection.unblocked); `mem_relative <fraction>` takes a multiple of the total memory; rabbitmqctl's
// banners and refusals.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from 'amqplib';
import { startApi, type Api } from '../management/helpers.js';
import { eventually } from '../helpers/broker.js';
import { warrenctl, type CtlResult } from '../helpers/warrenctl.js';

let api: Api;
let dir: string;

before(async () => {
  // file storage: the disk monitor watches the data directory's file system
  dir = await mkdtemp(join(tmpdir(), 'warren-ctl-disk-'));
  api = await startApi({ storage: 'file', dataDir: dir, totalMemoryAvailableOverrideValue: '1GiB' });
});
after(async () => {
  await api.b.close();
  await rm(dir, { recursive: true, force: true });
});

const ctl = (...args: string[]): Promise<CtlResult> => warrenctl(api.base, ...args);
type NodeRow = { disk_free: number; disk_free_limit: number; disk_free_alarm: boolean };
const nodeRow = async () => ((await api.get('/api/nodes')) as NodeRow[])[0]!;

test('set_disk_free_limit over the free space blocks publishers; lowering it unblocks them', async () => {
  const node = api.b.broker.nodeName;
  const conn = await connect(`amqp://guest:guest@127.0.0.1:${api.b.amqpPort!}/`);
  const events: string[] = [];
  conn.on('blocked', (reason: string) => events.push(`blocked ${reason}`));
  conn.on('unblocked', () => events.push('unblocked'));
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('disk-limit', { durable: true });
    ch.sendToQueue('disk-limit', Buffer.from('before'), { persistent: true });
    await ch.waitForConfirms();
    assert.equal((await nodeRow()).disk_free_limit, 50_000_000);

    // far more than any disk here has free: 1,000,000 GB
    assert.deepEqual(await ctl('set_disk_free_limit', '1000000GB'), {
      code: 0,
      out: `Setting disk free limit on ${node} to 1000000GB bytes ...\n`,
      err: '',
    });
    await eventually(async () => (await nodeRow()).disk_free_alarm);
    assert.equal((await nodeRow()).disk_free_limit, 1e15);
    // as RabbitMQ, the connection is blocked when it publishes during the alarm
    ch.sendToQueue('disk-limit', Buffer.from('during'), { persistent: true });
    const during = ch.waitForConfirms();
    await eventually(() => events.includes('blocked low on disk'));
    assert.match((await ctl('status')).out, new RegExp(`\nAlarms\n\nFree disk space alarm on node ${node}\n`));
    assert.match((await ctl('status')).out, /\nLow free disk space watermark: 1000000000000000 bytes\n/);

    // lowered: the alarm clears and the publisher goes on
    assert.equal((await ctl('set_disk_free_limit', '50000000')).code, 0);
    await eventually(() => events.includes('unblocked'));
    assert.equal((await nodeRow()).disk_free_alarm, false);
    await during;
    ch.sendToQueue('disk-limit', Buffer.from('after'), { persistent: true });
    await ch.waitForConfirms();
    assert.equal((await ch.checkQueue('disk-limit')).messageCount, 3);

    // mem_relative: a multiple of the total memory (overridden to 1 GiB here)
    const rel = await ctl('set_disk_free_limit', 'mem_relative', '1.5');
    assert.deepEqual(rel, {
      code: 0,
      out: `Setting disk free limit on ${node} to 1.5 times the total RAM ...\n`,
      err: '',
    });
    assert.equal((await nodeRow()).disk_free_limit, Math.round(1.5 * 1024 ** 3));
    const got = (await api.get(`/api/nodes/${encodeURIComponent(node)}/disk-free-limit`)) as Record<string, unknown>;
    assert.deepEqual(got['setting'], { relative: 1.5 });
    assert.equal((await ctl('set_disk_free_limit', '1GiB')).code, 0);
    assert.equal((await nodeRow()).disk_free_limit, 1024 ** 3);
  } finally {
    await conn.close();
    api.b.diskFreeLimit.set({ absolute: 50_000_000 });
  }
});

test("set_disk_free_limit's refusals are rabbitmqctl's", async () => {
  const none = await ctl('set_disk_free_limit');
  assert.deepEqual([none.code, none.err], [64, 'Error: not enough arguments.\n']);
  const bare = await ctl('set_disk_free_limit', 'mem_relative');
  assert.deepEqual([bare.code, bare.err], [64, 'Error: not enough arguments.\n']);
  const two = await ctl('set_disk_free_limit', '1GB', '2GB');
  assert.deepEqual([two.code, two.err], [64, 'Error: too many arguments.\n']);
  const unit = await ctl('set_disk_free_limit', '1.5XX');
  assert.deepEqual([unit.code, unit.err], [65, 'Error: Bad argument: 1.5XX\n']);
  const frac = await ctl('set_disk_free_limit', 'mem_relative', 'abc');
  assert.deepEqual([frac.code, frac.err], [65, 'Error: Bad argument: abc\n']);
  assert.equal((await nodeRow()).disk_free_limit, 50_000_000, 'a refused setting changes nothing');
  const api400 = await api.req('PUT', `/api/nodes/${encodeURIComponent(api.b.broker.nodeName)}/disk-free-limit`, {
    absolute: 'lots',
  });
  assert.equal(api400.status, 400);
});
