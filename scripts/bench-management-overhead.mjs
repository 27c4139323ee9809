#!/usr/bin/env node
// Does management slow messaging? Runs a Warren server (child process) and an amqplib publisher+consumer
// pair for ROUNDS alternating rounds: one with nothing else, one with a poller doing what the open UI does
// (overview every 2 s; here /api/overview, /api/queues and /api/connections every 500 ms, 4x harsher),
// with 1,000 extra queues declared. Prints msgs/s per round and the median ratio. Bounded: ~ROUNDS*2*SECS s.
//   node scripts/bench-management-overhead.mjs [ROUNDS=3] [SECS=4]
/* global setTimeout, clearTimeout, setImmediate */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';

const ROUNDS = Number(process.argv[2] ?? 3);
const SECS = Number(process.argv[3] ?? 4);
const root = fileURLToPath(new URL('..', import.meta.url));
// on the command line 0 turns management off, so find a free port for it
const srv = net.createServer();
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const mgmtPort = srv.address().port;
await new Promise((r) => srv.close(r));
const child = spawn(
  process.execPath,
  [
    'bin/warren',
    'server',
    '--amqp-port',
    '0',
    '--management-port',
    String(mgmtPort),
    '--prometheus-port',
    'off',
    '--bind',
    '127.0.0.1',
    '--storage',
    'memory',
    '--log-level',
    'info',
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
);
// the ephemeral management port is not printed by port 0 here, so read both from the log
const ports = await new Promise((resolve, reject) => {
  let err = '';
  const t = setTimeout(() => reject(new Error(err)), 10000);
  child.stderr.on('data', (d) => {
    err += d;
    const a = /AMQP 0-9-1 listening on [^"]* port (\d+)/.exec(err);
    const m = /management API and UI listening on [^"]* port (\d+)/.exec(err);
    if (a && m) {
      clearTimeout(t);
      resolve({ amqp: Number(a[1]), mgmt: Number(m[1]) });
    }
  });
});
const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${ports.amqp}/`);
const ch = await conn.createChannel();
for (let i = 0; i < 1000; i++) await ch.assertQueue(`bench.extra.${i}`, { autoDelete: false });
await ch.assertQueue('bench.q');
let received = 0;
await ch.consume('bench.q', () => received++, { noAck: true });
const body = Buffer.alloc(64);
let stop = false;
async function publishLoop() {
  while (!stop) {
    for (let i = 0; i < 500; i++) ch.sendToQueue('bench.q', body);
    await new Promise((r) => setImmediate(r));
    if (received + 20000 < published()) await new Promise((r) => setTimeout(r, 1));
  }
}
let sent = 0;
const published = () => sent;
const origSend = ch.sendToQueue.bind(ch);
ch.sendToQueue = (q, b) => {
  sent++;
  return origSend(q, b);
};
const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };
// the poller is its own process (a browser is), so it does not take the load generator's CPU
const POLLER = `
  const auth = ${JSON.stringify(auth)};
  (async () => { for (;;) {
    for (const p of ['/api/overview', '/api/queues', '/api/connections'])
      await (await fetch('http://127.0.0.1:${ports.mgmt}' + p, { headers: auth })).arrayBuffer();
    await new Promise((r) => setTimeout(r, 500));
  } })();`;
async function poll(active) {
  const p = spawn(process.execPath, ['-e', POLLER], { stdio: 'ignore' });
  while (active()) await new Promise((r) => setTimeout(r, 100));
  p.kill();
}
const loop = publishLoop();
await new Promise((r) => setTimeout(r, 4000)); // warm up (JIT)
const results = { idle: [], polled: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['idle', 'polled']) {
    let on = true;
    const poller = mode === 'polled' ? poll(() => on) : Promise.resolve();
    const r0 = received;
    await new Promise((r) => setTimeout(r, SECS * 1000));
    const rate = (received - r0) / SECS;
    on = false;
    await poller;
    results[mode].push(rate);
    console.log(`round ${round + 1} ${mode}: ${Math.round(rate)} msg/s`);
  }
}
stop = true;
await loop;
await conn.close();
child.kill('SIGTERM');
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `median idle ${Math.round(med(results.idle))} msg/s, with management polling ${Math.round(med(results.polled))} msg/s, ratio ${(med(results.polled) / med(results.idle)).toFixed(3)}`,
);
