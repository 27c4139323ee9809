#!/usr/bin/env node
// Runs every compiled test file with node:test. Node 20's `node --test` takes no glob patterns, so the
// files are found here; extra arguments are passed to node --test (e.g. --test-name-pattern).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const dirs = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const files = (dirs.length ? dirs : ['dist/test']).flatMap((d) => (d.endsWith('.js') ? [d] : find(d, [])));
if (files.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}
// a test that hangs fails after 5 minutes (the longest take ~15 s) instead of stalling CI for its 90
const timeout = flags.some((f) => f.startsWith('--test-timeout')) ? [] : ['--test-timeout=300000'];
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', ...timeout, ...flags, ...files],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
