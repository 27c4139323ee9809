// The definitions file through the management API, with the disk working and failing on purpose
// (broker.faults.failDisk): a user, vhost or policy is answered with a success only once definitions.json
// holds it (as RabbitMQ answers after its mnesia transaction), so a crash right after the 201 keeps it; while
// the disk does not take it the answer is 500 (the change stays in effect), and once the disk works again it
// is written by itself, nothing else changing (the snapshot is retried: storage/definitions-file.ts). A
// durable queue declared meanwhile is refused and not applied (500 here; AMQP 541: disk-faults.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startBroker, type DiskFaultKind, type RunningBroker } from '../../src/index.js';
import { eventually } from '../helpers/broker.js';

const AUTH = {
  authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64'),
  'content-type': 'application/json',
};

async function start(t: TestContext): Promise<{ b: RunningBroker; onDisk: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-defs-faults-'));
  const b = await startBroker({ amqpPort: 0, managementPort: 0, bind: '127.0.0.1', dataDir: dir, logLevel: 'silent' });
  t.after(async () => {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // definitions.json as it is on disk now (read past the fault seam: node:fs itself)
  return { b, onDisk: () => readFileSync(join(dir, 'definitions.json'), 'utf8') };
}

function api(b: RunningBroker, method: string, path: string, body: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${b.managementPort}${path}`, { method, headers: AUTH, body: JSON.stringify(body) });
}

test('a 201 for a user, vhost or policy comes once definitions.json holds it', async (t) => {
  const { b, onDisk } = await start(t);
  assert.equal((await api(b, 'PUT', '/api/users/carol', { password: 'pw', tags: '' })).status, 201);
  assert.match(onDisk(), /"name": ?"carol"/);
  assert.equal((await api(b, 'PUT', '/api/vhosts/v3', {})).status, 201);
  assert.match(onDisk(), /"name": ?"v3"/);
  const policy = { pattern: '^x', definition: { 'max-length': 1 } };
  assert.equal((await api(b, 'PUT', '/api/policies/v3/p1', policy)).status, 201);
  assert.match(onDisk(), /"name": ?"p1"/);
  assert.equal((await api(b, 'DELETE', '/api/users/carol', undefined)).status, 204);
  assert.doesNotMatch(onDisk(), /"carol"/);
});

for (const kind of ['EROFS', 'ENOSPC', 'EIO'] as DiskFaultKind[]) {
  test(`${kind}: no success for a change the disk did not take; it is written by itself once healed`, async (t) => {
    const { b, onDisk } = await start(t);
    b.faults.failDisk(kind);
    for (const [path, body] of [
      ['/api/users/bob', { password: 'pw', tags: '' }],
      ['/api/vhosts/v2', {}],
      ['/api/queues/%2F/dq', { durable: true }],
    ] as const) {
      const res = await api(b, 'PUT', path, body);
      assert.equal(res.status, 500, path);
      const json = (await res.json()) as { error: string; reason: string };
      assert.equal(json.error, 'internal_server_error');
      assert.match(json.reason, /^cannot store the definition change: /);
    }
    assert.notEqual(b.broker.users.authenticate('bob', 'pw'), null, 'in effect, though not stored');
    assert.equal(b.broker.vhosts.get('/')!.queues.has('dq'), false, 'a refused declare is not applied');
    assert.doesNotMatch(onDisk(), /"bob"/);

    b.faults.healDisk();
    await eventually(() => /"name": ?"bob"/.test(onDisk()) && /"name": ?"v2"/.test(onDisk()), 3000);
    assert.equal((await api(b, 'PUT', '/api/users/dave', { password: 'pw', tags: '' })).status, 201);
  });
}
