// A stream's tracking (tracking.ts): publisher sequences with the chunk that recorded them, kept in chunk
// trailers (a segment's first chunk repeats them all, each with its own chunk, as osiris's snapshot does), and
// stored offsets in offsets.json; what trackingInfo reports for rabbitmq-streams' tracking commands.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StreamTrackingState } from '../../../src/storage/streams/tracking.js';

test('sequences carry the chunk that recorded them, through a snapshot trailer and a reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-tracking-'));
  try {
    const t = new StreamTrackingState(dir, true);
    t.setPublisherSequence('a', 5);
    assert.ok(t.takeTrailer(100) !== undefined);
    t.setPublisherSequence('b', 1);
    assert.equal(t.takeTrailer(150)?.length, 18 + 1, 'only what changed since the last chunk');
    t.setPublisherSequence('b', 2);
    t.snapshotNext();
    const snapshot = t.takeTrailer(200)!;
    assert.equal(t.takeTrailer(250), undefined, 'nothing changed');
    const info = t.trackingInfo();
    assert.deepEqual(info.sequences, [
      { reference: 'a', chunkId: 100, sequence: 5 },
      { reference: 'b', chunkId: 200, sequence: 2 },
    ]);
    t.storeOffset('c', 7);
    t.close();
    // a reopen that kept only the snapshot's segment (retention deleted the older ones)
    const again = new StreamTrackingState(dir);
    again.readTrailer(snapshot);
    assert.deepEqual(again.trackingInfo(), {
      sequences: [
        { reference: 'a', chunkId: 100, sequence: 5 },
        { reference: 'b', chunkId: 200, sequence: 2 },
      ],
      offsets: [{ reference: 'c', offset: 7 }],
    });
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
