#!/usr/bin/env node
// Crash loop: a publisher with confirms and a consumer with acks run against `warren server` while it is
// SIGKILLed at random moments, ROUNDS times (default 50). Afterwards every confirmed message must have been
// delivered at least once, and no message whose ack the server processed may come back. An ack counts as
// processed once a later round trip on the consumer's channel (queue.declare passive) has been answered: the
// server handles a channel's frames in order, so the reply proves the ack was handled (a fixed delay would
// not: on a loaded machine acks can wait in the socket for longer). Prints the counts; exits 1 on a violation.
// Every tenth message goes to a second queue whose consumer acks slowly: its messages stay live across
// many small segments while the first queue's die, so segment compaction (issue 12) runs all the time and
// kills land during it too (counted from the server's log: a compaction started and not finished).
//   node bench/durability/crash-loop.mjs [rounds] [--min-ms 200] [--max-ms 1500] [--segment-size 64KiB]
import amqp from 'amqplib';
import { setTimeout } from 'node:timers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 50);
const MIN_MS = opt('--min-ms', 200);
const MAX_MS = opt('--max-ms', 1500);
const Q = 'crash-loop';
const KEEP = 'crash-loop-keep';
const SEG_ARGS = [
  '--segment-size',
  args.includes('--segment-size') ? args[args.indexOf('--segment-size') + 1] : '64KiB',
];
let compactions = 0;
let killedDuringCompaction = 0;

const dir = mkdtempSync(join(tmpdir(), 'warren-crash-'));
const confirmed = new Set();
const delivered = new Set();
/** ids acked, and those of them whose ack the server is known to have processed */
const acked = new Set();
const processed = new Set();
let nextId = 0;
let reappeared = 0;
let reappearedInFlight = 0;
let deliveries = 0;

async function round(killAfter) {
  const s = await startServer(dir, SEG_ARGS);
  const conns = [];
  let stop = false;
  let killedAt = Infinity;
  try {
    const pc = await amqp.connect(s.url);
    const cc = await amqp.connect(s.url);
    for (const c of [pc, cc]) {
      c.on('error', () => {});
      conns.push(c);
    }
    const pub = await pc.createConfirmChannel();
    pub.on('error', () => {});
    await pub.assertQueue(Q, { durable: true });
    await pub.assertQueue(KEEP, { durable: true });
    const con = await cc.createChannel();
    con.on('error', (e) => process.env.CL_DEBUG && console.error('con error', e.message));
    await con.prefetch(50);
    // declared before consuming: recovered messages are delivered at once (before, a delivery that came
    // before this line threw in the callback, which closed the channel: from round 2 on nothing was consumed)
    let unconfirmedAcks = [];
    let slowAcks = [];
    await con.consume(Q, (m) => {
      if (m === null) return;
      const id = m.content.readUInt32BE(0);
      seen(id);
      if (Math.random() < 0.05) {
        con.nack(m, false, true);
        return;
      }
      acked.add(id);
      unconfirmedAcks.push(id);
      con.ack(m);
    });
    // the slow queue: one ack every 100 ms, so most of its messages stay live for many rounds
    const slow = await cc.createChannel();
    slow.on('error', () => {});
    await slow.prefetch(1);
    await slow.consume(KEEP, (m) => {
      if (m === null) return;
      const id = m.content.readUInt32BE(0);
      seen(id);
      setTimeout(() => {
        if (stop) return;
        try {
          slow.ack(m);
        } catch {
          return; // the server was killed meanwhile
        }
        acked.add(id);
        slowAcks.push(id);
      }, 100);
    });
    const slowSyncing = (async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, 50));
        const batch = slowAcks;
        slowAcks = [];
        await slow.checkQueue(KEEP);
        for (const id of batch) processed.add(id);
      }
    })().catch(() => {});
    // every 20 ms, a round trip on the consumer's channel marks the acks sent before it as processed
    const syncing = (async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, 20));
        const batch = unconfirmedAcks;
        unconfirmedAcks = [];
        await con.checkQueue(Q);
        for (const id of batch) processed.add(id);
      }
    })().catch(() => {});
    const publishing = (async () => {
      while (!stop) {
        const batch = [];
        for (let i = 0; i < 100; i++) {
          const id = nextId++;
          const body = Buffer.alloc(64 + (id % 512));
          body.writeUInt32BE(id, 0);
          batch.push(
            new Promise((resolve) =>
              pub.sendToQueue(id % 10 === 0 ? KEEP : Q, body, { persistent: true }, (err) => {
                if (!err) confirmed.add(id);
                resolve();
              }),
            ),
          );
        }
        await Promise.race([Promise.all(batch), s.exited]);
      }
    })().catch(() => {});
    await new Promise((r) => setTimeout(r, killAfter));
    killedAt = Date.now();
    s.child.kill('SIGKILL');
    await s.exited;
    stop = true;
    const log = s.stderr();
    const started = log.match(/compacting segment/g)?.length ?? 0;
    const finished = log.match(/segment compacted/g)?.length ?? 0;
    compactions += finished;
    if (started > finished) killedDuringCompaction++;
    await Promise.race([Promise.all([publishing, syncing, slowSyncing]), new Promise((r) => setTimeout(r, 200))]);
  } finally {
    if (killedAt === Infinity) s.child.kill('SIGKILL');
  }
}

/** A delivery of `id`: one whose processed ack should have removed it is a violation. */
function seen(id) {
  deliveries++;
  if (processed.has(id)) reappeared++;
  else if (acked.has(id)) reappearedInFlight++;
  // delivered again: its next ack is a new one, not yet known to be processed
  acked.delete(id);
  delivered.add(id);
}

const t0 = Date.now();
for (let r = 0; r < ROUNDS; r++) {
  await round(MIN_MS + Math.random() * (MAX_MS - MIN_MS));
  process.stderr.write(`\rround ${r + 1}/${ROUNDS}: confirmed ${confirmed.size}, delivered ${delivered.size}   `);
}
// final: drain everything that is left
const s = await startServer(dir, SEG_ARGS);
const c = await amqp.connect(s.url);
const ch = await c.createChannel();
for (const q of [Q, KEEP]) {
  const left = (await ch.checkQueue(q)).messageCount;
  let drained = 0;
  await new Promise((resolve) => {
    if (left === 0) return resolve();
    void ch.consume(q, (m) => {
      seen(m.content.readUInt32BE(0));
      ch.ack(m);
      if (++drained === left) resolve();
    });
  });
}
await c.close();
s.child.kill('SIGTERM');
await s.exited;
let lost = 0;
for (const id of confirmed) if (!delivered.has(id)) lost++;
process.stderr.write('\n');
console.log(
  JSON.stringify(
    {
      rounds: ROUNDS,
      seconds: Math.round((Date.now() - t0) / 1000),
      published: nextId,
      confirmed: confirmed.size,
      delivered: delivered.size,
      deliveries,
      confirmedButLost: lost,
      ackedReappeared: reappeared,
      ackedInFlightAtKillReappeared: reappearedInFlight,
      compactions,
      killedDuringCompaction,
    },
    null,
    1,
  ),
);
rmSync(dir, { recursive: true, force: true });
process.exit(lost === 0 && reappeared === 0 ? 0 : 1);
