// RabbitMQ's own API client, rabbitmqadmin (Debian's rabbitmq-server package), against Warren's management
// API: declare, publish, get, bind, users, permissions, policies, export/import, list. Skipped when
// /usr/bin/rabbitmqadmin is missing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startApi, type Api } from './helpers.js';

const ADMIN = '/usr/bin/rabbitmqadmin';
const skip = existsSync(ADMIN) ? false : 'rabbitmqadmin is not installed';
let api: Api;
let dir: string;
before(async () => {
  if (skip) return;
  api = await startApi();
  dir = await mkdtemp(join(tmpdir(), 'warren-admin-'));
});
after(async () => {
  await api?.b.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function admin(...args: string[]): Promise<string> {
  const port = String(api.b.managementPort);
  return new Promise((resolve, reject) =>
    execFile(ADMIN, ['-H', '127.0.0.1', '-P', port, '-u', 'guest', '-p', 'guest', ...args], (e, out, err) =>
      e ? reject(new Error(`${args.join(' ')}: ${err || out}`)) : resolve(out),
    ),
  );
}

test('rabbitmqadmin drives Warren as it drives RabbitMQ', { skip }, async () => {
  assert.match(await admin('declare', 'queue', 'name=adm.q', 'durable=true'), /queue declared/);
  assert.match(await admin('declare', 'exchange', 'name=adm.x', 'type=fanout'), /exchange declared/);
  assert.match(await admin('declare', 'binding', 'source=adm.x', 'destination=adm.q'), /binding declared/);
  assert.match(await admin('publish', 'exchange=adm.x', 'routing_key=', 'payload=hello'), /Message published/);
  assert.match(await admin('-f', 'tsv', '-q', 'list', 'queues', 'name', 'messages'), /^adm\.q\t1$/m);
  assert.match(await admin('-f', 'tsv', 'get', 'queue=adm.q', 'ackmode=ack_requeue_false'), /\thello\t/);
  assert.match(await admin('-f', 'tsv', '-q', 'list', 'bindings', 'source', 'destination'), /^adm\.x\tadm\.q$/m);
  await admin('declare', 'user', 'name=adm', 'password=pw', 'tags=management');
  await admin('declare', 'permission', 'vhost=/', 'user=adm', 'configure=.*', 'write=.*', 'read=.*');
  assert.match(await admin('-f', 'tsv', '-q', 'list', 'users', 'name', 'tags'), /^adm\tmanagement$/m);
  await admin('declare', 'policy', 'name=p1', 'pattern=^adm', 'definition={"max-length":1}');
  assert.match(await admin('-f', 'tsv', '-q', 'list', 'policies', 'name', 'pattern'), /^p1\t\^adm$/m);
  const file = join(dir, 'defs.json');
  assert.match(await admin('export', file), /Exported definitions/);
  await admin('delete', 'queue', 'name=adm.q');
  assert.match(await admin('import', file), /Uploaded definitions/);
  assert.match(await admin('-f', 'tsv', '-q', 'list', 'queues', 'name'), /^adm\.q$/m);
  assert.match(await admin('-f', 'tsv', '-q', 'show', 'overview', 'rabbitmq_version'), /^3\.\d+\.\d+$/m);
  assert.match(await admin('-f', 'tsv', '-q', 'list', 'nodes', 'name'), /^warren@/m);
});
