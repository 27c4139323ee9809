// Memory at scale, CI-sized (issue #6; the full runs are bench/memory/): 500 idle connections with a channel
// and a 2 s heartbeat, then 2,000 durable queues, against a `warren server` child (file storage, the default)
// whose RSS is read from /proc. Asserts what a client sees: every connection gets its heartbeats on time, a
// fresh connection's round trip stays quick, and each connection / queue costs far less than RabbitMQ's
// (~130 KiB and ~53 KiB measured; the bounds here are generous, for noisy CI machines).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { M, RawConnection, roundTrip, type RawOptions } from '../../bench/memory/raw-amqp.js';
import { rss } from '../../bench/memory/proc.js';
import { kill9, OTHER_LISTENERS_OFF, spawnWarren, tempDir } from '../helpers/warren-child.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startServer(): Promise<{ pid: number; opts: Omit<RawOptions, 'heartbeat'>; stop(): Promise<void> }> {
  const dir = tempDir('warren-scale-');
  const s = await spawnWarren([
    '--amqp-port',
    '0',
    '--bind',
    '127.0.0.1',
    '--data-dir',
    dir,
    '--log-level',
    'info',
    ...OTHER_LISTENERS_OFF,
  ]);
  return {
    pid: s.child.pid!,
    opts: { host: '127.0.0.1', port: s.port, user: 'guest', pass: 'guest', vhost: '/' },
    stop: () => kill9(s),
  };
}

test('500 idle connections and 2,000 durable queues: heartbeats on time, quick round trips, small RSS', async () => {
  const s = await startServer();
  try {
    const opts = s.opts;
    await roundTrip({ ...opts, heartbeat: 0 }, 'scale.warmup'); // loads the code paths before the baseline
    await sleep(500);
    const base = rss(s.pid).nowMiB;

    const conns: RawConnection[] = [];
    const beat = setInterval(() => {
      for (const c of conns) c.sendHeartbeat();
    }, 1000);
    try {
      for (let i = 0; i < 500; i += 50) {
        conns.push(
          ...(await Promise.all(Array.from({ length: 50 }, () => RawConnection.open({ ...opts, heartbeat: 2 })))),
        );
      }
      await sleep(5000);
      const rt = await roundTrip({ ...opts, heartbeat: 0 }, 'scale.rt1');
      const held = rss(s.pid).nowMiB;
      const perConnKiB = ((held - base) * 1024) / conns.length;
      let maxGap = 0;
      for (const c of conns) {
        assert.equal(c.closed, null, 'no connection dropped');
        assert.ok(c.beats >= 1, 'every connection got heartbeats');
        maxGap = Math.max(maxGap, c.gapNow());
      }
      // Warren beats every interval/2 on a 1 s ticker: ≤ 2 s here; 3.5 s leaves room for a loaded machine
      assert.ok(maxGap <= 3500, `max heartbeat gap ${maxGap} ms for a 2 s interval`);
      assert.ok(rt < 1000, `round trip with 500 connections: ${rt.toFixed(0)} ms`);
      assert.ok(perConnKiB < 64, `RSS per connection ${perConnKiB.toFixed(1)} KiB`);

      // 2,000 durable queues over 2 connections, 200 declares in flight on each
      const before = rss(s.pid).nowMiB;
      const [a, b] = [conns[0]!, conns[1]!];
      const declare = async (c: RawConnection, from: number): Promise<void> => {
        for (let i = from; i < 2000; i += 400) {
          const waits: Promise<unknown>[] = [];
          for (let j = i; j < i + 200; j++) {
            c.declareQueue(`scale.q.${j}`, true);
            waits.push(c.expect([M.QueueDeclareOk]));
          }
          await Promise.all(waits);
        }
      };
      await Promise.all([declare(a, 0), declare(b, 200)]);
      await sleep(500);
      const rt2 = await roundTrip({ ...opts, heartbeat: 0 }, 'scale.rt2');
      const perQueueKiB = ((rss(s.pid).nowMiB - before) * 1024) / 2000;
      assert.ok(rt2 < 1000, `round trip with 2,000 queues: ${rt2.toFixed(0)} ms`);
      assert.ok(perQueueKiB < 32, `RSS per queue ${perQueueKiB.toFixed(1)} KiB`);
      for (const c of conns) assert.equal(c.closed, null, 'no connection dropped while declaring');
    } finally {
      clearInterval(beat);
      for (const c of conns) c.destroy();
    }
  } finally {
    await s.stop();
  }
});
