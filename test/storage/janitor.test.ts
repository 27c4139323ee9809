// The janitor (storage/janitor.ts): a directory tree removed and a file written on its worker thread, none of
// it on the event loop, and janitorIdle() resolving once everything asked before it is done.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { janitorIdle, removeTree, writeInBackground } from '../../src/storage/janitor.js';

test('removeTree and writeInBackground are done by the time janitorIdle resolves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-janitor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'a', 'b'), { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(tree, 'a', `f${i}`), 'x'.repeat(1000));
  writeFileSync(join(tree, 'a', 'b', 'g'), 'y');
  removeTree(tree);
  writeInBackground(join(dir, 'name'), '{"vhost":"/","name":"s"}');
  await janitorIdle();
  assert.equal(existsSync(tree), false);
  assert.equal(readFileSync(join(dir, 'name'), 'utf8'), '{"vhost":"/","name":"s"}');
});

test('work for a path that is gone is dropped without an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-janitor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  removeTree(join(dir, 'never-was'));
  writeInBackground(join(dir, 'no-such-dir', 'name'), 'x');
  await janitorIdle();
  assert.equal(existsSync(join(dir, 'no-such-dir')), false);
  // and it still works after that
  writeInBackground(join(dir, 'after'), 'ok');
  await janitorIdle();
  assert.equal(readFileSync(join(dir, 'after'), 'utf8'), 'ok');
});
