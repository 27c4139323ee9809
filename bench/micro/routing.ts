// Micro-benchmark of routing through the real core (not run by the tests): VHost.route() with each exchange
// type, as the publish path calls it once per message. Direct with 1,000 keys; fanout to 4 and to 100
// queues; topic with 10,000 bindings, wildcards at every position, routing keys that repeat (the per-key
// cache hits) and keys that never repeat (every publish walks the trie); headers with 100 bindings, each
// publish a new message whose AMQP headers are decoded once, as a real publish's are. Prints ops/s
// (messages routed per second) and the queues per message as a check.
// Run: npx tsc -p tsconfig.json && node dist/bench/micro/routing.js [seconds per case, default 2] [case filter]
import { VHost } from '../../src/core/vhost.js';
import { Message } from '../../src/core/message.js';
import { amqpFormat } from '../../src/frontend/amqp/format.js';
import { measure } from './measure.js';
import { BasicProperties, encodeProperties } from '../../src/codec/amqp/properties.js';
import { Writer } from '../../src/codec/buffer/writer.js';

/** Only the cases whose name contains this (e.g. "topic"), for profiling one at a time. */
const only = process.argv[3] ?? '';
const BODY = Buffer.alloc(16, 0x61);
const NO_PROPS = Buffer.from([0, 0]);

function run(name: string, fn: () => number): void {
  if (!name.includes(only)) return;
  let routed = 0;
  let ops = 0;
  const r = measure(() => {
    routed += fn();
    ops += BATCH;
    return BATCH;
  });
  console.log(`${name.padEnd(68)} ${r}  (${(routed / ops).toFixed(2)} queues/msg)`);
}

const BATCH = 1000;

function message(key: string, props = NO_PROPS): Message {
  return new Message(amqpFormat, 'x', key, props, BODY, false, 0, null, 0, 0);
}

function vhostWith(type: string, queues: number): VHost {
  const v = new VHost('/');
  v.declareExchange('x', { type, durable: false, autoDelete: false, internal: false, args: {} });
  for (let i = 0; i < queues; i++) {
    v.declareQueue(`q${i}`, { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
  }
  return v;
}

// ---- direct: 1,000 queues, one key each; every message routes to one queue
{
  const v = vhostWith('direct', 1000);
  for (let i = 0; i < 1000; i++) v.bindQueue(`q${i}`, 'x', `key.${i}`, {}, null);
  const x = v.getExchange('x');
  const msgs = Array.from({ length: BATCH }, (_, i) => message(`key.${(i * 7) % 1000}`));
  run('direct, 1,000 bindings, 1 queue per message', () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) n += v.route(x, msgs[i]!).length;
    return n;
  });
}

// ---- fanout to 4 and to 100 queues
for (const queues of [4, 100]) {
  const v = vhostWith('fanout', queues);
  for (let i = 0; i < queues; i++) v.bindQueue(`q${i}`, 'x', '', {}, null);
  const x = v.getExchange('x');
  const m = message('');
  run(`fanout, ${queues} queues`, () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) n += v.route(x, m).length;
    return n;
  });
}

// ---- topic: 10,000 bindings over 1,000 queues, patterns like an IoT or event-bus deployment has: per
// device an exact key and `*` / `#` in every position, plus a few broad ones (`sensor.eu.#`, `#.temp`);
// a message matches about 7 of them
{
  const v = vhostWith('topic', 1000);
  const regions = ['eu', 'us', 'ap', 'sa', 'af'];
  const kinds = ['temp', 'humidity', 'pressure', 'battery'];
  let b = 0;
  const bind = (key: string): void => v.bindQueue(`q${b++ % 1000}`, 'x', key, {}, null);
  for (const r of regions) bind(`sensor.${r}.#`); // zero or more, at the end
  for (const k of kinds) bind(`#.${k}`); // in front
  for (let i = 0; b < 10000; i++) {
    const r = regions[i % regions.length]!;
    const k = kinds[i % kinds.length]!;
    bind(`sensor.${r}.${i}.${k}`); // exact
    bind(`sensor.${r}.${i}.*`); // one word
    bind(`sensor.*.${i}.${k}`);
    bind(`*.${r}.${i}.#`);
    if (i % 50 === 0) bind(`sensor.#.${i}.${k}`); // in the middle
  }
  const x = v.getExchange('x');
  const key = (i: number): string => `sensor.${regions[i % 5]!}.${i % 2500}.${kinds[i % 4]!}`;
  // 100 distinct keys, repeating: the per-key cache answers
  const hot = Array.from({ length: BATCH }, (_, i) => message(key(i % 100)));
  run('topic, 10,000 bindings with wildcards, 100 repeating keys', () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) n += v.route(x, hot[i]!).length;
    return n;
  });
  // 2,500 distinct keys in turn, more than the per-key cache holds (1,024): every route walks the trie
  const cold = Array.from({ length: 2500 }, (_, i) => message(key(i)));
  let at = 0;
  run('topic, 10,000 bindings with wildcards, 2,500 keys in turn (trie walk)', () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) {
      n += v.route(x, cold[at]!).length;
      if (++at === cold.length) at = 0;
    }
    return n;
  });
}

// ---- headers: 100 bindings (x-match all and any, 2 or 3 keys each); a new message per publish, so the
// AMQP headers table is decoded once per message, as on the real publish path
{
  const v = vhostWith('headers', 100);
  for (let i = 0; i < 100; i++) {
    const args =
      i % 2 === 0
        ? { 'x-match': 'all', format: 'pdf', type: `report-${i % 10}` }
        : { 'x-match': 'any', region: `r${i % 7}`, priority: i % 3, 'x-ignored': 1 };
    v.bindQueue(`q${i}`, 'x', '', args, null);
  }
  const x = v.getExchange('x');
  const w = new Writer(256);
  const p = new BasicProperties();
  p.headers = { format: 'pdf', type: 'report-4', region: 'r3', size: 1234 };
  encodeProperties(w, p);
  const props = Buffer.from(w.take()!);
  run('headers, 100 bindings, 4 headers, new message per publish', () => {
    let n = 0;
    for (let i = 0; i < BATCH; i++) n += v.route(x, message('', props)).length;
    return n;
  });
}
