// Segment files are removed in steps (src/storage/log/segment-removal.ts): renamed out of the way at once, cut
// from the end, then unlinked; whatever a crash leaves half removed is deleted when the store or stream opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeSegmentFile } from '../../../src/storage/log/segment-removal.js';
import { FileStreamLog } from '../../../src/storage/streams/stream-log.js';
import { startBroker } from '../../../src/index.js';
import { tempDir as makeTempDir } from '../../helpers/warren-child.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = makeTempDir('warren-removal-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a segment is renamed away at once, shrinks from its end, and is gone when the callback runs', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, '00000001.seg'), Buffer.alloc(5 * 1024 * 1024 + 100, 7));
  const sizes: number[] = [];
  const done = new Promise<Error | null>((resolve) => removeSegmentFile(dir, '00000001.seg', resolve));
  // while it runs, the file is no segment any more (recovery would not read it) and gets smaller
  const watch = setInterval(() => {
    // one stat, not exists-then-stat: the file can be unlinked between the two (a CI run failed on that)
    const st = statSync(join(dir, '00000001.seg.del'), { throwIfNoEntry: false });
    if (st !== undefined) sizes.push(st.size);
  }, 1);
  const err = await done;
  clearInterval(watch);
  assert.equal(err, null);
  assert.deepEqual(readdirSync(dir), []);
  assert.ok(sizes.every((s) => s <= 5 * 1024 * 1024 + 100));
});

test('removing a segment that is gone already is no error', async (t) => {
  const dir = tempDir(t);
  const err = await new Promise<Error | null>((resolve) => removeSegmentFile(dir, '00000009.seg', resolve));
  assert.equal(err, null);
});

test('a half-removed segment a crash left is deleted when a stream opens', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, '00000003.seg.del'), Buffer.alloc(1000, 1));
  const log = new FileStreamLog(dir, 1 << 20, { appended() {}, failure() {}, deleted() {} });
  t.after(() => log.close());
  assert.equal(existsSync(join(dir, '00000003.seg.del')), false);
});

test('a half-removed message segment a crash left is deleted at recovery, and the broker starts', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'messages'));
  writeFileSync(join(dir, 'messages', '00000002.seg.del'), Buffer.alloc(1000, 1));
  const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', dataDir: dir, logLevel: 'silent' });
  t.after(() => b.close());
  assert.equal(existsSync(join(dir, 'messages', '00000002.seg.del')), false);
});
