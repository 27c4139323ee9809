#!/usr/bin/env node
// Disk bounded by live data (issue 12): queue `old` holds one persistent 100-byte message nobody consumes;
// then ROUNDS rounds of N persistent 1 KiB messages are published to queue `work` with confirms and all
// consumed. After every round (once compaction has had a moment) and after a restart, the message
// directory must hold at most live bytes + 3 segments. Prints the sizes; exits 1 on a violation.
// With --mostly-live, 9 of every 10 messages go to queue `keep` and stay (only the tenth, to `work`, is
// consumed): every segment is ~90% live and the garbage is spread thinly over all of them, which the bound
// must hold against too (live bytes then count every kept message).
//   node bench/durability/disk-bound.mjs [--rounds 50] [--per-round 20000] [--segment-size 4MiB] [--settle-ms 20000] [--mostly-live]
import amqp from 'amqplib';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers';
import { startServer } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const ROUNDS = Number(opt('--rounds', 50));
const PER_ROUND = Number(opt('--per-round', 20000));
const SEGMENT = opt('--segment-size', '4MiB');
const SETTLE_MS = Number(opt('--settle-ms', 20000));
const units = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const m = /^(\d+)(KiB|MiB|GiB)?$/.exec(SEGMENT);
if (!m) throw new Error(`--segment-size: ${SEGMENT}`);
const segBytes = Number(m[1]) * (units[m[2]] ?? 1);

const dir = mkdtempSync(join(tmpdir(), 'warren-bound-'));
/** The one live message's record (100-byte body, header fields, frame): generously counted. */
const LIVE = 512;
/** A kept 1 KiB message's PUBLISH record (body, header fields, frame: 1,083 bytes from amqplib), rounded up. */
const KEPT = 1024 + 96;
const MOSTLY_LIVE = args.includes('--mostly-live');
let kept = 0;
const bound = () => LIVE + kept * KEPT + 3 * segBytes;

function dirBytes() {
  let n = 0;
  const d = join(dir, 'messages');
  for (const f of readdirSync(d)) {
    if (!/\.(seg|idx)$/.test(f)) continue;
    // compaction may delete a segment between the listing and the stat: it no longer counts
    n += statSync(join(d, f), { throwIfNoEntry: false })?.size ?? 0;
  }
  return n;
}

/** Wait until the directory is within the bound (compaction runs in the background); the size then. */
async function settled() {
  const end = Date.now() + SETTLE_MS;
  let n = dirBytes();
  while (n > bound() && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    n = dirBytes();
  }
  return n;
}

const sizes = [];
let s = await startServer(dir, ['--segment-size', SEGMENT]);
const c = await amqp.connect(s.url);
const pub = await c.createConfirmChannel();
await pub.assertQueue('old', { durable: true });
await pub.assertQueue('work', { durable: true });
await pub.assertQueue('keep', { durable: true });
pub.sendToQueue('old', Buffer.alloc(100, 1), { persistent: true });
await pub.waitForConfirms();
const con = await c.createChannel();
await con.prefetch(500);
let got = 0;
let roundDone = null;
await con.consume('work', (msg) => {
  con.ack(msg);
  if (++got === PER_ROUND) roundDone?.();
});
const body = Buffer.alloc(1024, 2);
const t0 = Date.now();
let violations = 0;
for (let r = 0; r < ROUNDS; r++) {
  got = 0;
  const done = new Promise((res) => (roundDone = res));
  for (let i = 0; i < PER_ROUND; i++) {
    if (MOSTLY_LIVE)
      for (let k = 0; k < 9; k++) {
        pub.sendToQueue('keep', body, { persistent: true });
        kept++;
      }
    pub.sendToQueue('work', body, { persistent: true });
    if (i % 1000 === 999) await pub.waitForConfirms();
  }
  await pub.waitForConfirms();
  await done;
  // the acks are processed once a round trip on the consumer's channel is answered
  await con.checkQueue('work');
  const n = await settled();
  sizes.push(n);
  if (n > bound()) violations++;
  process.stderr.write(
    `\rround ${r + 1}/${ROUNDS}: ${(n / 1e6).toFixed(2)} MB (bound ${(bound() / 1e6).toFixed(2)})   `,
  );
}
await c.close();
s.child.kill('SIGTERM');
await s.exited;
// after a restart: the one message is still there, and the directory still within the bound
s = await startServer(dir, ['--segment-size', SEGMENT]);
const afterRestart = await settled();
if (afterRestart > bound()) violations++;
const c2 = await amqp.connect(s.url);
const ch = await c2.createChannel();
const old = (await ch.checkQueue('old')).messageCount;
const work = (await ch.checkQueue('work')).messageCount;
const keep = (await ch.checkQueue('keep')).messageCount;
await c2.close();
s.child.kill('SIGKILL');
await s.exited;
rmSync(dir, { recursive: true, force: true });
process.stderr.write('\n');
const ok = violations === 0 && old === 1 && work === 0 && keep === kept;
console.log(
  JSON.stringify({
    rounds: ROUNDS,
    perRound: PER_ROUND,
    segmentBytes: segBytes,
    boundBytes: bound(),
    keptMessages: keep,
    maxAfterRoundBytes: Math.max(...sizes),
    afterRestartBytes: afterRestart,
    sizes,
    oldMessages: old,
    workMessages: work,
    violations,
    seconds: Math.round((Date.now() - t0) / 1000),
    ok,
  }),
);
process.exit(ok ? 0 : 1);
