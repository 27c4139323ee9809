// amqplib: the community deduplication plugin's exchange type, `x-message-deduplication`, as its README and
// exchange module define it: a fanout that drops a message whose `x-deduplication-header` it has seen
// within `x-cache-ttl` (or the message's own `x-cache-ttl` header), at most `x-cache-size` values (required),
// no key without the header (message_id is not used), duplicates confirmed and not returned; the plugin's
// 406s for bad arguments; `x-cache-persistence` 'disk' keeps the cache across a restart, 'memory' does not.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ConfirmChannel } from 'amqplib';
import { uniqueName, useTestBroker } from '../../helpers/broker.js';
import { startBroker } from '../../../src/index.js';
import { buf, channelCloseMessage, Client, closedWith, drain, within } from './util.js';

function pub(ch: ConfirmChannel, x: string, body: string, headers: Record<string, unknown>, messageId?: string) {
  return new Promise<void>((resolve, reject) =>
    ch.publish(x, 'any-key', buf(body), { headers, messageId, mandatory: true }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );
}

// on the virtual clock: the windows pass with broker.advance, not by waiting
describe('amqplib: x-message-deduplication exchange type', () => {
  const broker = useTestBroker({ clock: 'virtual' });

  test('a fanout that drops repeated x-deduplication-header values within the window', async (t) => {
    const c = await Client.open(t, broker.url);
    const ch = await c.confirmChannel();
    const returned: string[] = [];
    ch.on('return', (m) => returned.push(m.content.toString()));
    const x = uniqueName('dedup-type');
    await ch.assertExchange(x, 'x-message-deduplication', {
      durable: false,
      arguments: { 'x-cache-size': 2, 'x-cache-ttl': 400 },
    });
    const qs = [uniqueName('dedup-type-a'), uniqueName('dedup-type-b')];
    for (const q of qs) {
      await ch.assertQueue(q, { exclusive: true });
      await ch.bindQueue(q, x, 'whatever');
    }
    const key = (k: string) => ({ 'x-deduplication-header': k });
    await pub(ch, x, '1', key('a'));
    await pub(ch, x, '2', key('a')); // duplicate: confirmed, not returned, not routed
    await pub(ch, x, '3', {}, 'id-1');
    await pub(ch, x, '4', {}, 'id-1'); // no header: never a duplicate (message_id is not a key here)
    await pub(ch, x, '5', { ...key('b'), 'x-cache-ttl': 50 }); // its own, shorter window
    await within(ch.waitForConfirms());
    for (const q of qs) assert.deepEqual(await drain(ch, q), ['1', '3', '4', '5']);
    await broker.advance(50);
    await pub(ch, x, '6', key('b')); // b's 50 ms are over
    await pub(ch, x, '7', key('a')); // a's 400 ms are not
    await pub(ch, x, '8', key('c')); // the cache holds 2: a, the oldest, goes
    await pub(ch, x, '9', key('a'));
    await within(ch.waitForConfirms());
    for (const q of qs) assert.deepEqual(await drain(ch, q), ['6', '8', '9']);
    assert.deepEqual(returned, []);
  });

  test("the plugin's argument errors: 406 PRECONDITION_FAILED", async (t) => {
    const c = await Client.open(t, broker.url);
    const cases: [Record<string, unknown>, string][] = [
      [{}, "Missing or invalid argument, 'x-cache-size' must be an integer greater than 0"],
      [{ 'x-cache-size': 0 }, "Missing or invalid argument, 'x-cache-size' must be an integer greater than 0"],
      [{ 'x-cache-size': 5, 'x-cache-ttl': -1 }, "Invalid argument, 'x-cache-ttl' must be an integer greater than 0"],
      [
        { 'x-cache-size': 5, 'x-cache-persistence': 'tape' },
        "Invalid argument, 'x-cache-persistence' must be either 'disk' or 'memory'",
      ],
    ];
    for (const [args, text] of cases) {
      const ch = await c.channel();
      await assert.rejects(ch.assertExchange(uniqueName('dedup-bad'), 'x-message-deduplication', { arguments: args }));
      assert.equal(
        (await closedWith(ch)).message,
        channelCloseMessage(406, 'PRECONDITION-FAILED', `PRECONDITION_FAILED - ${text}`),
      );
    }
    const ch = await c.channel();
    await ch.assertExchange(uniqueName('dedup-ok'), 'x-message-deduplication', {
      autoDelete: true,
      arguments: { 'x-cache-size': '100' }, // a numeric string, as the plugin accepts
    });
  });
});

test("x-cache-persistence: 'disk' keeps a durable exchange's cache across a restart, 'memory' does not", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-dedup-type-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const opts = { amqpPort: 0, bind: '127.0.0.1', storage: 'file' as const, dataDir: dir, logLevel: 'warn' as const };
  const disk = uniqueName('dedup-disk');
  const mem = uniqueName('dedup-mem');
  const q = uniqueName('dedup-restart');
  let b = await startBroker(opts);
  {
    const c = await Client.open(t, `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    const ch = await c.confirmChannel();
    await ch.assertQueue(q, { durable: true });
    for (const [x, p] of [
      [disk, 'disk'],
      [mem, 'memory'],
    ] as const) {
      await ch.assertExchange(x, 'x-message-deduplication', {
        durable: true,
        arguments: { 'x-cache-size': 10, 'x-cache-persistence': p },
      });
      await ch.bindQueue(q, x, '');
      await pub(ch, x, `${p}-1`, { 'x-deduplication-header': 'k' });
    }
    await within(ch.waitForConfirms());
    assert.deepEqual(await drain(ch, q), ['disk-1', 'memory-1']);
    await c.close();
  }
  await b.close();
  b = await startBroker(opts);
  t.after(() => b.close());
  const c = await Client.open(t, `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
  const ch = await c.confirmChannel();
  await pub(ch, disk, 'disk-2', { 'x-deduplication-header': 'k' });
  await pub(ch, mem, 'memory-2', { 'x-deduplication-header': 'k' });
  await within(ch.waitForConfirms());
  assert.deepEqual(await drain(ch, q), ['memory-2']);
});
