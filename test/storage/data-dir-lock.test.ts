// One broker per data directory (storage/data-dir-lock.ts): a second `warren server` on a directory in use
// is refused with a clear error before it touches anything (two would corrupt one segment log); a lock left
// by a kill -9 is taken over; a clean stop removes it; a file where the directory should be is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import { failDisk, healDisk } from '../../src/storage/io.js';
import { startBroker } from '../../src/index.js';
import { kill9, OTHER_LISTENERS_OFF, spawnWarren, tempDir, WARREN_BIN } from '../helpers/warren-child.js';

const args = (dir: string) => ['--amqp-port', '0', '--bind', '127.0.0.1', '--data-dir', dir, ...OTHER_LISTENERS_OFF];

/** `warren server` expected to refuse: its exit code and stderr. */
function refused(dir: string): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [WARREN_BIN, 'server', ...args(dir)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
  // 'close', not 'exit': the exit can come before the last of stderr is read
  return new Promise((r) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      r({ code, err });
    }),
  );
}

test('a second warren server on a data directory in use is refused; a kill -9 leaves a lock taken over', async () => {
  const dir = tempDir('warren-lock-');
  try {
    const first = await spawnWarren(args(dir));
    const lock = join(dir, 'warren.lock');
    assert.ok(existsSync(lock));
    const second = await refused(dir);
    assert.equal(second.code, 1);
    assert.match(second.err, /data directory .* is in use by another Warren \(pid \d+ on /);
    assert.doesNotMatch(second.err, /listening/);
    // the first broker still works, its message intact
    const c = await amqp.connect(first.url);
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('q', { durable: true });
    ch.sendToQueue('q', Buffer.from('kept'), { persistent: true });
    await ch.waitForConfirms();
    await c.close();
    await kill9(first);
    // the lock of a broker that is gone does not stop the next one
    assert.ok(existsSync(lock));
    const again = await spawnWarren(args(dir));
    const c2 = await amqp.connect(again.url);
    const ch2 = await c2.createChannel();
    const m = await ch2.get('q', { noAck: true });
    assert.ok(m);
    assert.equal(m.content.toString(), 'kept');
    await c2.close();
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
    assert.equal(existsSync(lock), false, 'a clean stop removes the lock');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file where the data directory should be is named, not a stack trace', async () => {
  const dir = tempDir('warren-lock-');
  try {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await refused(file);
    assert.equal(r.code, 1);
    assert.match(r.err, /data directory .*not-a-dir is not a directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read-only data directory is one clear error (the seam stands in for it: CI runs as root)', async () => {
  const dir = tempDir('warren-lock-');
  failDisk(dir, 'EROFS');
  try {
    await assert.rejects(
      startBroker({ amqpPort: 0, bind: '127.0.0.1', dataDir: dir, logLevel: 'silent' }),
      /data directory .* is not writable \(EROFS: read-only file system/,
    );
  } finally {
    healDisk(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
