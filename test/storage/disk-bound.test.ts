// The short version of bench/durability/disk-bound.mjs (issue 12): one unconsumed message in a durable
// queue while rounds of persistent traffic flow through another; with small segments the message directory
// must stay within live bytes + 3 segments after every round and after a restart (it grew without bound
// before compaction: each kept segment held the REMOVE records of the one before it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../bench/durability/disk-bound.mjs', import.meta.url));

interface BoundRun {
  violations: number;
  oldMessages: number;
  workMessages: number;
  keptMessages: number;
}

/** Run the script with `args`; it must exit 0 with no violation of the bound. Its JSON summary. */
function runBound(args: string[], timeout: number): BoundRun {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as BoundRun;
  assert.equal(out.violations, 0, r.stdout);
  return out;
}

test('disk stays within live bytes + 3 segments while traffic flows past one old message, and after restart', () => {
  const out = runBound(
    ['--rounds', '8', '--per-round', '2000', '--segment-size', '64KiB', '--settle-ms', '10000'],
    120000,
  );
  assert.equal(out.oldMessages, 1);
  assert.equal(out.workMessages, 0);
});

test('disk stays within live bytes + 3 segments when every segment is mostly live (garbage spread thinly)', () => {
  // 9 of every 10 messages stay: no segment is ever a quarter dead, yet the dead tenths add up to more
  // than 3 segments after a round; compaction must reclaim them too (it did not: 4/3 x live)
  const out = runBound(
    [
      '--rounds',
      '3',
      '--per-round',
      '1000',
      '--segment-size',
      '64KiB',
      // a round leaves ~150 small segments to compact, each after an fsync: on a loaded machine that takes a while
      '--settle-ms',
      '40000',
      '--mostly-live',
    ],
    240000,
  );
  assert.equal(out.keptMessages, 27000);
  assert.equal(out.workMessages, 0);
});
