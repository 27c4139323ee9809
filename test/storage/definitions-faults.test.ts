// The definitions file on a failing disk (broker.faults.failDisk), through the management API: a user or
// vhost changed while definitions.json cannot be written is written by itself once the disk works again,
// with nothing else changing (the snapshot is retried, storage/definitions-file.ts), so a crash after the
// heal keeps it; a durable queue declared meanwhile is refused (management 400 here, AMQP 541: disk-faults.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBroker, type DiskFaultKind } from '../../src/index.js';
import { eventually } from '../helpers/broker.js';

const AUTH = {
  authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64'),
  'content-type': 'application/json',
};

for (const kind of ['EROFS', 'ENOSPC', 'EIO'] as DiskFaultKind[]) {
  test(`${kind}: a user and a vhost added during the fault reach definitions.json by themselves once healed`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-defs-faults-'));
    const b = await startBroker({
      amqpPort: 0,
      managementPort: 0,
      bind: '127.0.0.1',
      dataDir: dir,
      logLevel: 'silent',
    });
    t.after(async () => {
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const api = (method: string, path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${b.managementPort}${path}`, { method, headers: AUTH, body: JSON.stringify(body) });
    // on disk as it is now (read past the fault seam: node:fs itself)
    const onDisk = () => readFileSync(join(dir, 'definitions.json'), 'utf8');

    b.faults.failDisk(kind);
    assert.equal((await api('PUT', '/api/users/bob', { password: 'pw', tags: '' })).status, 201);
    assert.equal((await api('PUT', '/api/vhosts/v2', {})).status, 201);
    const refused = await api('PUT', '/api/queues/%2F/dq', { durable: true });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { reason: string }).reason, /cannot store the definition change/);
    await new Promise((r) => setTimeout(r, 400)); // the snapshot is tried (and fails) meanwhile
    assert.doesNotMatch(onDisk(), /"bob"/);

    b.faults.healDisk();
    await eventually(() => /"name": ?"bob"/.test(onDisk()) && /"name": ?"v2"/.test(onDisk()), 3000);
  });
}
