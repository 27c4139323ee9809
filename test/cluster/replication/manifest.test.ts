// What a follower lists of its data directory (manifest.ts): temp files, the lock and a deleted stream's
// directory renamed aside for removal (removed in the background: it may still be there when a follower
// connects, and copying it would leave the follower a directory its leader no longer has) are left out.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listFiles } from '../../../src/cluster/replication/manifest.js';

test('listFiles leaves out temp files, the lock and renamed-aside stream directories', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-manifest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const live = join(dir, 'streams', '0123456789abcdef0123456789abcdef');
  const aside = `${live}.deleted-1`;
  for (const d of [live, aside, join(dir, 'messages')]) mkdirSync(d, { recursive: true });
  for (const f of [
    join(live, '00000000.seg'),
    join(live, 'name'),
    join(aside, '00000000.seg'),
    join(aside, 'name'),
    join(dir, 'messages', '00000001.seg'),
    join(dir, 'definitions.json.tmp'),
    join(dir, 'warren.lock'),
  ])
    writeFileSync(f, 'x');
  assert.deepEqual(await listFiles(dir), [
    'messages/00000001.seg',
    'streams/0123456789abcdef0123456789abcdef/00000000.seg',
    'streams/0123456789abcdef0123456789abcdef/name',
  ]);
});
