// A retained message is kept for good, so it keeps its bytes in buffers of their own: a payload as it came is a
// slice of the socket's read or of Node's 8 KiB pool, and kept as such it kept all of that alive (the MQTT fuzz
// run: 8.5 KiB of buffers per retained message whose payload averaged a few hundred bytes). The file store
// reads its messages back into the same per-vhost topic trees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileRetainedStore,
  MemoryRetainedStore,
  type RetainedMessage,
} from '../../../../src/frontend/mqtt/retained.js';
import { createLogger } from '../../../../src/util/logger.js';

test('a retained payload and its properties are copied out of the buffer they were read into', () => {
  const store = new MemoryRetainedStore();
  const read = Buffer.alloc(65536, 0x61); // a socket read
  const payload = read.subarray(100, 110);
  const props = Buffer.from([1, 2, 3]); // from the 8 KiB pool
  store.put('/', { topic: 't', payload, qos: 1, props, storedAt: 0 });
  const [m] = [...store.all('/')];
  assert.ok(m);
  assert.deepEqual(m.payload, payload);
  assert.deepEqual(m.props, props);
  assert.equal(m.payload.buffer.byteLength, 10);
  assert.equal(m.props.buffer.byteLength, 3);
  // a buffer that is its own is kept as it is
  const whole = Buffer.allocUnsafeSlow(5).fill(1);
  store.put('/', { topic: 'u', payload: whole, qos: 0, props: Buffer.alloc(0), storedAt: 0 });
  assert.equal([...store.all('/')].find((x) => x.topic === 'u')!.payload, whole);
  // an empty payload still clears the topic (§3.3.1.3)
  store.put('/', { topic: 't', payload: Buffer.alloc(0), qos: 0, props: Buffer.alloc(0), storedAt: 0 });
  assert.deepEqual(
    [...store.all('/')].map((x) => x.topic),
    ['u'],
  );
});

test('the file store keeps its topic trees across a restart: lookups, wildcard walks and clears', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-retained-'));
  const log = createLogger('silent');
  const msg = (topic: string, payload: string): RetainedMessage => ({
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    props: Buffer.alloc(0),
    storedAt: 1,
  });
  try {
    const a = await FileRetainedStore.open(dir, log);
    for (const t of ['a/b', 'a//b', '$SYS/x', 'c']) a.put('/', msg(t, t));
    a.put('v2', msg('a/b', 'other vhost'));
    a.put('/', msg('c', ''));
    await a.close();
    const b = await FileRetainedStore.open(dir, log);
    const walk = (vhost: string, filter: string): string[] => {
      const m = b.matching(vhost, filter);
      const out: string[] = [];
      while (!m.done) {
        const r = m.next(m.visited + 1000);
        if (r !== undefined) out.push(`${r.topic}=${r.payload.toString()}`);
      }
      return out.sort();
    };
    assert.deepEqual(walk('/', '#'), ['a//b=a//b', 'a/b=a/b']);
    assert.deepEqual(walk('/', '$SYS/+'), ['$SYS/x=$SYS/x']);
    assert.deepEqual(walk('v2', 'a/+'), ['a/b=other vhost']);
    assert.deepEqual(walk('no-such-vhost', '#'), []);
    assert.equal(b.get('/', 'a//b')?.payload.toString(), 'a//b');
    assert.equal(b.get('/', 'c'), undefined);
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
