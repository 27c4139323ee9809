// The short CI run of bench/stream/big-stream.mjs: a stream of 64 MiB in a `warren server` child, consumers
// at spread offsets (first to last) and again after a restart, server RSS under 256 MiB throughout. The
// 2 GiB and 10 GiB runs are the script's (BENCHMARKS.md).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

test('a 64 MiB stream, four consumers at spread offsets, a restart: RSS < 256 MiB', { timeout: 180_000 }, async () => {
  const out = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        join(ROOT, 'bench/stream/big-stream.mjs'),
        ...['--gib', '0.0625', '--msg-bytes', '4096', '--consume', '2000', '--max-rss-mib', '256'],
      ],
      { encoding: 'utf8', timeout: 170_000 },
      (e, stdout, stderr) =>
        resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
  assert.equal(out.code, 0, out.out);
  assert.match(out.out, /OK: peak RSS \d+ MiB/);
});
