// The definitions journal (definitions-file.ts): replay over a snapshot with RabbitMQ's cascades, idempotent
// records, a torn last line, generations across a compaction, and a snapshot written a slice at a time.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyJournal, type Definitions, type JournalRecord } from '../../../src/storage/definitions.js';
import { DefinitionsFile } from '../../../src/storage/definitions-file.js';
import { createLogger } from '../../../src/util/logger.js';

const log = createLogger('silent');
const q = (name: string, vhost = '/') => ({ name, vhost, durable: true, auto_delete: false, arguments: {} });
const x = (name: string, vhost = '/') => ({
  name,
  vhost,
  type: 'direct',
  durable: true,
  auto_delete: false,
  internal: false,
  arguments: {},
});
const b = (source: string, destination: string, type: 'queue' | 'exchange' = 'queue', key = 'k') => ({
  source,
  vhost: '/',
  destination,
  destination_type: type,
  routing_key: key,
  arguments: {},
});
const empty = (): Definitions => ({ users: [], vhosts: [], permissions: [], exchanges: [], queues: [], bindings: [] });

test('replay: a deleted queue takes its bindings, a deleted exchange those from and to it', () => {
  const d = empty();
  applyJournal(d, [
    { op: 'add-queue', def: q('a') },
    { op: 'add-queue', def: q('b') },
    { op: 'add-exchange', def: x('x1') },
    { op: 'add-exchange', def: x('x2') },
    { op: 'add-binding', def: b('x1', 'a') },
    { op: 'add-binding', def: b('x1', 'b') },
    { op: 'add-binding', def: b('amq.direct', 'b') },
    { op: 'add-binding', def: b('x1', 'x2', 'exchange') },
    { op: 'delete-queue', def: { vhost: '/', name: 'a' } },
    { op: 'delete-exchange', def: { vhost: '/', name: 'x2' } },
  ]);
  assert.deepEqual(
    d.queues.map((e) => e.name),
    ['b'],
  );
  assert.deepEqual(
    d.exchanges.map((e) => e.name),
    ['x1'],
  );
  assert.deepEqual(
    d.bindings.map((e) => `${e.source}->${e.destination}`),
    ['x1->b', 'amq.direct->b'],
  );
});

test('replay is idempotent: records a snapshot already holds change nothing; a binding to nothing is dropped', () => {
  const recs: JournalRecord[] = [
    { op: 'add-queue', def: q('a') },
    { op: 'add-exchange', def: x('x1') },
    { op: 'add-binding', def: b('x1', 'a') },
    { op: 'delete-binding', def: b('x1', 'a') },
    { op: 'add-binding', def: b('x1', 'a', 'queue', 'k2') },
    { op: 'add-binding', def: b('x1', 'gone') },
  ];
  const once = empty();
  applyJournal(once, recs);
  const twice = JSON.parse(JSON.stringify(once)) as Definitions;
  applyJournal(twice, recs);
  assert.deepEqual(twice, once);
  assert.deepEqual(
    once.bindings.map((e) => e.routing_key),
    ['k2'],
  );
});

test('load: snapshot plus journals; a torn last line is ignored, damage elsewhere refuses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-defs-'));
  writeFileSync(join(dir, 'definitions.json'), JSON.stringify({ ...empty(), queues: [q('s')], warren_journal: 3 }));
  // generation 2 is older than the snapshot: deleted, not replayed
  writeFileSync(join(dir, 'definitions.2.log'), JSON.stringify({ op: 'add-queue', def: q('old') }) + '\n');
  writeFileSync(join(dir, 'definitions.3.log'), JSON.stringify({ op: 'add-queue', def: q('j3') }) + '\n');
  writeFileSync(
    join(dir, 'definitions.4.log'),
    JSON.stringify({ op: 'delete-queue', def: { vhost: '/', name: 's' } }) + '\n{"op":"add-qu',
  );
  const { defs, replayed } = DefinitionsFile.load(dir, log, empty);
  assert.equal(replayed, 2);
  assert.deepEqual(
    defs!.queues.map((e) => e.name),
    ['j3'],
  );
  assert.ok(!readdirSync(dir).includes('definitions.2.log'));
  appendFileSync(join(dir, 'definitions.3.log'), 'garbage\n' + JSON.stringify({ op: 'add-queue', def: q('z') }) + '\n');
  assert.throws(() => DefinitionsFile.load(dir, log, empty), /definitions\.3\.log: unreadable record on line 2/);
});

test('append, flush, snapshot: a new generation, the old journal gone, everything back on load', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-defs-'));
  let state = empty();
  const { file } = DefinitionsFile.load(dir, log, () => state);
  file.requestSnapshot();
  await file.settle();
  for (let i = 0; i < 5000; i++) {
    state.queues.push(q(`q${i}`));
    file.append({ op: 'add-queue', def: q(`q${i}`) });
  }
  await file.flush();
  const logs = () => readdirSync(dir).filter((f) => f.endsWith('.log'));
  assert.deepEqual(logs(), ['definitions.2.log']);
  const reloaded = DefinitionsFile.load(dir, log, empty);
  assert.equal(reloaded.defs!.queues.length, 5000);
  // a snapshot of 5,000 queues is written a slice at a time; appends meanwhile go to the next journal
  state = JSON.parse(JSON.stringify(state)) as Definitions;
  file.requestSnapshot();
  file.append({ op: 'add-queue', def: q('during') });
  await file.settle();
  assert.deepEqual(logs(), ['definitions.3.log']);
  const snap = JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8')) as Definitions;
  assert.equal(snap.warren_journal, 3);
  assert.equal(snap.queues.length, 5000);
  const after = DefinitionsFile.load(dir, log, empty);
  assert.equal(after.defs!.queues.length, 5001);
  assert.equal(after.defs!.queues[5000]!.name, 'during');
  await file.close();
});
