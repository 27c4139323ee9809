// The short version of bench/durability/crash-loop.mjs (the full run kills Warren 50 times): a publisher
// with confirms and a consumer with acks while `warren server` is SIGKILLed at random moments; every
// confirmed message must be delivered at least once, no processed ack may be undone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../bench/durability/crash-loop.mjs', import.meta.url));

test('crash loop: 4 SIGKILLs at random moments lose no confirmed message and undo no ack', () => {
  const r = spawnSync(process.execPath, [SCRIPT, '4', '--min-ms', '150', '--max-ms', '600'], {
    encoding: 'utf8',
    timeout: 60000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { confirmed: number; confirmedButLost: number; ackedReappeared: number };
  assert.ok(out.confirmed > 0);
  assert.equal(out.confirmedButLost, 0);
  assert.equal(out.ackedReappeared, 0);
});
