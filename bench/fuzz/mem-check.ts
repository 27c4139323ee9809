// What a fuzz run leaves in the broker's heap: one broker child, a warm-up, a heap snapshot, N cases, the
// cleanup (what the cases declared deleted through the management API), a second snapshot, then the objects
// counted by constructor in both and the largest differences printed (count and self size). A leak shows as
// a constructor whose count grows with N; a bounded cache as one that stops growing.
//   node dist/bench/fuzz/mem-check.js amqp [--cases 20000] [--concurrency 256] [--seed 7] [--dir /tmp] [--keep]
//     [--options '{"handshakeTimeout":120000}']
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FuzzBroker, runCases } from '../../test/fuzz/lib/harness.js';
import { cleanup } from '../../test/fuzz/lib/cleanup.js';
import { TARGETS } from '../../test/fuzz/lib/targets.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    cases: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '256' },
    seed: { type: 'string', default: '7' },
    dir: { type: 'string', default: '/tmp' },
    top: { type: 'string', default: '25' },
    keep: { type: 'boolean', default: false },
    // broker options as JSON, e.g. '{"handshakeTimeout":120000}' (what a timer of that length holds stays)
    options: { type: 'string', default: '{}' },
  },
});
const target = TARGETS[positionals[0] ?? 'amqp'];
if (!target) throw new Error(`unknown protocol; one of ${Object.keys(TARGETS).join(', ')}`);

interface Count {
  n: number;
  size: number;
}

/** Objects by "type name" (V8's heap snapshot node types: object, closure, string, array, ...). */
function countByConstructor(file: string): Map<string, Count> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const w = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const m = new Map<string, Count>();
  for (let i = 0; i < snap.nodes.length; i += w) {
    const type = types[snap.nodes[i + iType]!]!;
    // strings, code and numbers by type only (their "name" is their content)
    const name =
      type === 'object' || type === 'closure' || type === 'native' ? snap.strings[snap.nodes[i + iName]!]! : '';
    const k = `${type} ${name.slice(0, 60)}`;
    const c = m.get(k) ?? { n: 0, size: 0 };
    c.n++;
    c.size += snap.nodes[i + iSize]!;
    m.set(k, c);
  }
  return m;
}

const mb = (n: number): string => `${(n / 1048576).toFixed(2)} MiB`;
const broker = await FuzzBroker.start(JSON.parse(values.options) as object);
await runCases({ target, broker, seed: Number(values.seed) + 1000003, cases: 1000, concurrency: 16 });
await cleanup(broker.ports.management);
await new Promise((r) => setTimeout(r, 2000));
const a = join(values.dir, `fuzz-mem-${process.pid}-a.heapsnapshot`);
const b = join(values.dir, `fuzz-mem-${process.pid}-b.heapsnapshot`);
const m0 = await broker.mem();
await broker.snapshot(a);
const r = await runCases({
  target,
  broker,
  seed: Number(values.seed),
  cases: Number(values.cases),
  concurrency: Number(values.concurrency),
});
await cleanup(broker.ports.management);
// the broker's close grace (a connection.close waits up to 3 s for close-ok) and timers of the last cases
await new Promise((r) => setTimeout(r, 5000));
const m1 = await broker.mem();
await broker.snapshot(b);
await broker.stop();
const ca = countByConstructor(a);
const cb = countByConstructor(b);
if (!values.keep) {
  rmSync(a);
  rmSync(b);
} else console.log(`snapshots: ${a} ${b}`);
const diff = [...cb]
  .map(([k, v]) => {
    const o = ca.get(k) ?? { n: 0, size: 0 };
    return { k, n: v.n - o.n, size: v.size - o.size, before: o.n, after: v.n };
  })
  .sort((x, y) => y.size - x.size);
console.log(
  `${positionals[0] ?? 'amqp'}: ${r.cases} cases, hangs ${r.hangs.length}, failures ${broker.failures.length}; live memory ${mb(m0.heapUsed + m0.arrayBuffers)} → ${mb(m1.heapUsed + m1.arrayBuffers)} (heap ${mb(m0.heapUsed)} → ${mb(m1.heapUsed)}, arrayBuffers ${mb(m0.arrayBuffers)} → ${mb(m1.arrayBuffers)})`,
);
console.log('| objects (type constructor) | count before → after | self size change |');
console.log('|---|---|---|');
for (const d of diff.slice(0, Number(values.top)))
  console.log(`| ${d.k} | ${d.before} → ${d.after} | ${(d.size / 1024).toFixed(1)} KiB |`);
