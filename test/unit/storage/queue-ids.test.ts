// The message store's queue ids (queue-ids.ts): journaled assignments and removals, replayed over the
// snapshot; compaction once the journal outgrows it; a torn last line; flush and flushSync.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { QueueIds } from '../../../src/storage/queue-ids.js';

test('ids survive through the journal; removals too; a torn last line is ignored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-ids-'));
  const a = new QueueIds(dir);
  a.load();
  const id1 = a.assign('/', 'q1');
  const id2 = a.assign('/', 'q2');
  a.assign('v', 'q1');
  await a.flush();
  a.remove('/', 'q2', id2);
  a.remove('/', 'q1', 999); // not its id: nothing
  a.flushSync();
  a.close();
  appendFileSync(join(dir, 'queues.log'), '[7,"/","tor');
  const b = new QueueIds(dir);
  b.load();
  assert.equal(b.get('/', 'q1'), id1);
  assert.equal(b.has('/', 'q2'), false);
  assert.equal(b.get('v', 'q1'), 3);
  assert.equal(b.nextId, 4);
  b.close();
});

test('the journal is folded into queues.json once it outgrows it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-ids-'));
  const a = new QueueIds(dir);
  a.load();
  for (let i = 0; i < 5000; i++) a.assign('/', `q${i}`);
  await a.flush();
  assert.equal(statSync(join(dir, 'queues.log')).size, 0);
  const snap = JSON.parse(readFileSync(join(dir, 'queues.json'), 'utf8')) as { next_id: number; queues: unknown[] };
  assert.equal(snap.queues.length, 5000);
  assert.equal(snap.next_id, 5001);
  a.assign('/', 'more');
  const f = a.flush();
  assert.notEqual(f, null);
  await f;
  assert.equal(a.flush(), null);
  a.close();
  const b = new QueueIds(dir);
  b.load();
  assert.equal(b.get('/', 'more'), 5001);
  assert.equal(b.get('/', 'q4999'), 5000);
  b.close();
});

test('queues declared and deleted with no message (no group commit) do not pile up lines: a snapshot instead', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-ids-'));
  const a = new QueueIds(dir);
  a.load();
  a.assign('/', 'stays');
  for (let i = 0; i < 20000; i++) a.remove('/', `t${i}`, a.assign('/', `t${i}`));
  assert.equal(a.dirty, true);
  await a.flush();
  assert.equal(statSync(join(dir, 'queues.log')).size, 0);
  const snap = JSON.parse(readFileSync(join(dir, 'queues.json'), 'utf8')) as { next_id: number; queues: unknown[] };
  assert.deepEqual(snap, { next_id: 20002, queues: [{ vhost: '/', name: 'stays', id: 1 }] });
  a.close();
});
