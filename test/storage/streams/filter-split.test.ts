// Filtering works by chunk, so a chunk of one kind (every entry with a filter value, or none) is ended before an
// entry of the other kind once it holds 16 entries: a publisher that switches from filtered to unfiltered
// messages (rabbitmq-stream-js-client's filtering test) leaves no large mixed chunk for a filtering consumer to
// receive whole. Under 16 entries a chunk takes both kinds: finely interleaved traffic is not split a message at
// a time.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileStreamLog } from '../../../src/storage/streams/stream-log.js';
import '../../../src/frontend/amqp/format.js';

function msg(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([0x00, 0x53, 0x75, 0xa0, b.length]), b]);
}

const hooks = { appended() {}, failure() {}, deleted() {} };

test('a run of filtered entries and a run of unfiltered ones go to separate chunks; short alternations share one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-filter-split-'));
  const log = new FileStreamLog(dir, 1 << 20, hooks);
  t.after(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const add = (n: number, filter: string | null): void => {
    for (let i = 0; i < n; i++) {
      const m = msg(`m${i}`);
      log.append(m, 0, m.length, filter === null ? null : Buffer.from(filter));
    }
  };
  // one turn: 100 with a filter value, 100 without, 100 with again
  add(100, 'A');
  add(100, null);
  add(100, 'B');
  log.flush();
  assert.deepEqual(
    [0, 100, 200].map((o) => log.chunkStartFor(o + 50)),
    [0, 100, 200],
    'three chunks, one per run',
  );
  // alternating entries: under 16 a chunk, no split
  add(1, 'A');
  add(1, null);
  add(1, 'A');
  add(1, null);
  log.flush();
  assert.equal(log.chunkStartFor(303), 300, 'the four alternating entries share a chunk');
});
