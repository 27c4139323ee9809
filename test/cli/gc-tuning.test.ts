// `warren server` turns V8's parallel scavenge off unless the operator named it (src/cli/gc-tuning.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS, tuneGc } from '../../src/cli/gc-tuning.js';

test('one scavenger thread unless the operator named the flag', () => {
  const set: string[] = [];
  assert.deepEqual(
    tuneGc([], undefined, (f) => set.push(f)),
    ['--no-parallel-scavenge'],
  );
  assert.deepEqual(set, ['--no-parallel-scavenge']);
  assert.deepEqual(
    tuneGc(['--parallel-scavenge'], undefined, () => assert.fail('set')),
    [],
  );
  assert.deepEqual(
    tuneGc([], '--max-old-space-size=512 --no-parallel-scavenge', () => assert.fail('set')),
    [],
  );
});

test("bin/warren's first line and npm start launch node with the server's flags", () => {
  const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
  const first = readFileSync(root('bin/warren'), 'utf8').split('\n')[0]!;
  const start = (JSON.parse(readFileSync(root('package.json'), 'utf8')) as { scripts: { start: string } }).scripts
    .start;
  for (const f of SERVER_NODE_FLAGS) {
    assert.ok(first.includes(f), first);
    assert.ok(start.includes(f), start);
  }
});
