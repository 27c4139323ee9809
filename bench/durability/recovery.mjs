#!/usr/bin/env node
// Recovery time: a data directory with QUEUES durable queues holding MESSAGES persistent messages in all
// (SIZE bytes each) is written through the core (no AMQP, to fill fast), the writer exits without a clean
// shutdown once everything is fsynced (as after a crash), then `warren server` is started on it and the
// time to accept connections is measured; one message per queue is read back to check.
//   node bench/durability/recovery.mjs [QUEUES=1000] [MESSAGES=5000000] [SIZE=1024]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { setTimeout, setImmediate } from 'node:timers';
import { rss, startServer } from './lib.mjs';

const [QUEUES = 1000, MESSAGES = 5000000, SIZE = 1024] = process.argv.slice(2).map(Number);

if (process.env.WARREN_RECOVERY_FILL) {
  // child: fill the directory, then exit without closing (like a crash after the last fsync)
  const { startBroker } = await import('../../dist/src/index.js');
  const { Message } = await import('../../dist/src/core/message.js');
  const { amqpFormat } = await import('../../dist/src/frontend/amqp/format.js');
  const dir = process.env.WARREN_RECOVERY_FILL;
  const b = await startBroker({ amqpPort: null, dataDir: dir, logLevel: 'warn' });
  const v = b.broker.vhosts.get('/');
  const qs = [];
  for (let i = 0; i < QUEUES; i++) {
    qs.push(v.declareQueue(`rq-${i}`, { durable: true, exclusive: false, autoDelete: false, args: {} }, null));
  }
  const props = Buffer.from([0x10, 0x00, 0x02]); // delivery-mode 2
  const body = Buffer.alloc(SIZE, 0x62);
  const t0 = Date.now();
  for (let n = 0; n < MESSAGES;) {
    for (let k = 0; k < 5000 && n < MESSAGES; k++, n++) {
      const q = qs[n % QUEUES];
      q.enqueue(new Message(amqpFormat, '', q.name, props, body, true, 0, null, Date.now(), 0));
    }
    await new Promise((r) => setImmediate(r));
  }
  const store = b.broker.store;
  while (store.synced < store.appended) await new Promise((r) => setTimeout(r, 10));
  console.error(`filled ${MESSAGES} messages in ${QUEUES} queues in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(0);
}

const dir = mkdtempSync(join(process.env.WARREN_BENCH_DIR ?? tmpdir(), 'warren-recovery-'));
const fill = spawnSync(
  process.execPath,
  [fileURLToPath(import.meta.url), String(QUEUES), String(MESSAGES), String(SIZE)],
  {
    env: { ...process.env, WARREN_RECOVERY_FILL: dir },
    stdio: 'inherit',
  },
);
if (fill.status !== 0) process.exit(1);
// drop the page cache? not possible unprivileged; this measures a warm restart (as after a process crash)
const s = await startServer(dir);
const recovered = /"queues":(\d+),"messages":(\d+),"segments":(\d+),"tornBytes":\d+,"ms":(\d+)/.exec(s.stderr());
const mem = rss(s.child.pid);
const c = await amqp.connect(s.url);
const ch = await c.createChannel();
let total = 0;
for (let i = 0; i < QUEUES; i++) total += (await ch.checkQueue(`rq-${i}`)).messageCount;
const m = await ch.get('rq-0', { noAck: true });
await c.close();
s.child.kill('SIGTERM');
await s.exited;
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify(
    {
      queues: QUEUES,
      messages: MESSAGES,
      size: SIZE,
      countedAfterRestart: total,
      startToListeningMs: s.startMs,
      recoveryMs: recovered ? Number(recovered[4]) : null,
      segments: recovered ? Number(recovered[3]) : null,
      rssAfterStartMiB: Math.round(mem.nowMiB),
      firstMessageOk: m !== false && m.content.length === SIZE,
    },
    null,
    1,
  ),
);
process.exit(total === MESSAGES ? 0 : 1);
