// A publisher confirm released by an fsync leaves in the fsync's completion callback, not at the end of that
// event-loop turn: the rest of the turn may be other clients' work (issue 12's probe waited, after its fsync,
// for a draining consumer's ack and the 500 deliveries it released). Here the "rest of the turn" is 400 ms of
// busy work run right after every fdatasync's callback; the publisher is another process (its clock keeps
// running while this one is busy), and its confirm must arrive long before those 400 ms are over.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../../../src/index.js';

const BUSY_MS = 400;

// CommonJS in a child: amqplib from the repository's node_modules (the child runs with the repository as cwd)
const PUBLISHER = `
const amqp = require('amqplib');
(async () => {
  const c = await amqp.connect(process.argv[1]);
  const ch = await c.createConfirmChannel();
  await ch.assertQueue('confirm-flush', { durable: true });
  const once = () => new Promise((res, rej) => {
    const t = process.hrtime.bigint();
    ch.sendToQueue('confirm-flush', Buffer.from('x'), { persistent: true }, (e) =>
      e ? rej(e) : res(Number(process.hrtime.bigint() - t) / 1e6));
  });
  await once();
  process.stdout.write('ready\\n');
  await new Promise((r) => process.stdin.once('data', r));
  process.stdout.write('rtt ' + (await once()) + '\\n');
  await c.close();
})().catch((e) => { process.stderr.write(String(e)); process.exit(1); });
`;

test('a persistent publish is confirmed in its fsync callback, not after the rest of that turn', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-confirm-flush-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'file', dataDir: dir, logLevel: 'silent' });
  t.after(() => b.close());

  // after each fdatasync's callback (once armed): BUSY_MS of synchronous work in the same turn
  let armed = false;
  const orig = fs.fdatasync;
  fs.fdatasync = ((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) =>
    orig(fd, (e) => {
      cb(e);
      if (!armed) return;
      const until = performance.now() + BUSY_MS;
      while (performance.now() < until);
    })) as typeof fs.fdatasync;
  syncBuiltinESMExports();
  t.after(() => {
    fs.fdatasync = orig;
    syncBuiltinESMExports();
  });

  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const child = spawn(process.execPath, ['-e', PUBLISHER, `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => child.kill());
  // the child's output line by line: the next one starting with `prefix`
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = async (prefix: string): Promise<string> => {
    for (;;) {
      const r = await lines.next();
      if (r.done === true) throw new Error(`the publisher exited before a line starting with '${prefix}'`);
      if (r.value.startsWith(prefix)) return r.value;
    }
  };
  await line('ready');
  armed = true;
  child.stdin.write('go\n');
  const rtt = Number((await line('rtt ')).slice(4));
  armed = false;
  assert.ok(rtt < BUSY_MS / 2, `confirmed after ${rtt.toFixed(1)} ms: it waited for the rest of the fsync's turn`);
});
