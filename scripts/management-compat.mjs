#!/usr/bin/env node
// Management API compatibility: the same calls against RabbitMQ (default http://localhost:15672, guest/guest;
// start one with shared/anchor/start-rabbitmq.sh) and an in-process Warren, comparing status codes and JSON
// keys (top-level keys; for lists, the keys of the first item). Prints a Markdown report; with --write it
// also replaces docs/management-compat.md. Needs a build (npm run build). Creates and deletes its own
// uniquely named objects on RabbitMQ.
//   node scripts/management-compat.mjs [--rabbitmq http://localhost:15672] [--write]
/* global fetch */
import { writeFileSync } from 'node:fs';
import { startBroker } from '../dist/src/index.js';

const argv = process.argv.slice(2);
const rabbit = argv.includes('--rabbitmq') ? argv[argv.indexOf('--rabbitmq') + 1] : 'http://localhost:15672';
const write = argv.includes('--write');
const id = `mc${process.pid}`;
const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64');

const calls = [
  ['GET', '/api/overview'],
  ['GET', '/api/nodes'],
  ['GET', '/api/whoami'],
  ['GET', '/api/cluster-name'],
  ['GET', '/api/vhosts'],
  ['GET', '/api/vhosts/%2F'],
  ['PUT', `/api/vhosts/${id}-vh`, { description: 'compat' }],
  ['GET', `/api/vhosts/${id}-vh`],
  ['PUT', `/api/users/${id}-u`, { password: 'pw', tags: 'management' }],
  ['GET', `/api/users/${id}-u`],
  ['PUT', `/api/permissions/${id}-vh/${id}-u`, { configure: '.*', write: '.*', read: '.*' }],
  ['GET', `/api/permissions/${id}-vh/${id}-u`],
  ['PUT', `/api/topic-permissions/${id}-vh/${id}-u`, { exchange: 'amq.topic', write: '.*', read: '.*' }],
  ['GET', `/api/topic-permissions/${id}-vh/${id}-u`],
  ['GET', '/api/users'],
  ['GET', '/api/permissions'],
  ['PUT', `/api/queues/%2F/${id}-q`, { durable: true, arguments: { 'x-max-length': 10 } }],
  ['PUT', `/api/queues/%2F/${id}-q`, { durable: true, arguments: { 'x-max-length': 10 } }],
  ['PUT', `/api/queues/%2F/${id}-q`, { durable: false }],
  ['GET', `/api/queues/%2F/${id}-q`],
  ['GET', '/api/queues'],
  ['GET', '/api/queues?page=1&page_size=1'],
  ['GET', '/api/queues?page=999&page_size=1'],
  ['GET', '/api/queues/%2F/no-such-queue'],
  ['PUT', `/api/exchanges/%2F/${id}-x`, { type: 'direct', durable: true }],
  ['PUT', `/api/exchanges/%2F/${id}-bad`, { type: 'bogus' }],
  ['PUT', `/api/exchanges/%2F/amq.${id}`, { type: 'direct' }],
  ['GET', `/api/exchanges/%2F/${id}-x`],
  ['GET', '/api/exchanges'],
  ['POST', `/api/bindings/%2F/e/${id}-x/q/${id}-q`, { routing_key: 'rk', arguments: {} }],
  ['GET', `/api/bindings/%2F/e/${id}-x/q/${id}-q`],
  ['GET', `/api/bindings/%2F/e/${id}-x/q/${id}-q/rk`],
  ['GET', `/api/queues/%2F/${id}-q/bindings`],
  ['GET', `/api/exchanges/%2F/${id}-x/bindings/source`],
  ['GET', '/api/bindings'],
  [
    'POST',
    `/api/exchanges/%2F/${id}-x/publish`,
    { properties: {}, routing_key: 'rk', payload: 'hi', payload_encoding: 'string' },
  ],
  ['POST', `/api/queues/%2F/${id}-q/get`, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' }],
  ['DELETE', `/api/queues/%2F/${id}-q/contents`],
  ['DELETE', `/api/bindings/%2F/e/${id}-x/q/${id}-q/rk`],
  ['PUT', `/api/policies/%2F/${id}-p`, { pattern: `^${id}-`, definition: { 'max-length': 5 }, 'apply-to': 'queues' }],
  ['GET', `/api/policies/%2F/${id}-p`],
  ['GET', '/api/policies'],
  ['DELETE', `/api/policies/%2F/${id}-p`],
  ['DELETE', `/api/policies/%2F/${id}-p`],
  ['GET', '/api/connections'],
  ['GET', '/api/channels'],
  ['GET', '/api/consumers'],
  ['GET', '/api/definitions'],
  ['GET', '/api/definitions/%2F'],
  ['GET', '/api/health/checks/alarms'],
  ['GET', '/api/health/checks/local-alarms'],
  ['GET', '/api/health/checks/virtual-hosts'],
  ['GET', '/api/aliveness-test/%2F'],
  ['GET', '/api/vhost-limits'],
  ['PUT', `/api/user-limits/${id}-u/max-connections`, { value: 10 }],
  ['PUT', `/api/user-limits/${id}-u/max-foo`, { value: 10 }],
  ['PUT', `/api/user-limits/${id}-u/max-channels`, { value: 'abc' }],
  ['PUT', `/api/user-limits/${id}-nouser/max-channels`, { value: 3 }],
  ['GET', `/api/user-limits/${id}-u`],
  ['GET', '/api/user-limits'],
  ['DELETE', `/api/user-limits/${id}-u/max-connections`],
  ['GET', '/api/parameters'],
  ['GET', '/api/nosuch'],
  ['POST', '/api/overview'],
  ['PUT', `/api/queues/%2F/${id}-json`, '{not json'],
  ['DELETE', `/api/exchanges/%2F/${id}-x`],
  ['DELETE', `/api/queues/%2F/${id}-q`],
  ['DELETE', `/api/queues/%2F/${id}-q`],
  ['DELETE', `/api/permissions/${id}-vh/${id}-u`],
  ['DELETE', `/api/users/${id}-u`],
  ['DELETE', `/api/users/${id}-u`],
  ['DELETE', `/api/vhosts/${id}-vh`],
];

async function call(base, [method, path, body], user = auth) {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: user, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: r.status, json };
}

function keys(j) {
  if (Array.isArray(j)) return j.length > 0 && j[0] && typeof j[0] === 'object' ? keys(j[0]) : new Set();
  if (j && typeof j === 'object') {
    if ('items' in j && Array.isArray(j.items)) return new Set([...Object.keys(j)]);
    return new Set(Object.keys(j));
  }
  return new Set();
}

// keys RabbitMQ has from Erlang internals or plugins Warren does not run
const IGNORED = new Set([
  'garbage_collection',
  'reductions',
  'reductions_details',
  'backing_queue_status',
  'memory',
  'recoverable_slaves',
  'idle_since',
  'message_bytes',
  'message_bytes_paged_out',
  'message_bytes_persistent',
  'message_bytes_ram',
  'message_bytes_ready',
  'message_bytes_unacknowledged',
  'messages_paged_out',
  'messages_persistent',
  'messages_ram',
  'messages_ready_ram',
  'messages_unacknowledged_ram',
  'statistics_db_event_queue',
]);

const b = await startBroker({
  amqpPort: 0,
  bind: '127.0.0.1',
  storage: 'memory',
  logLevel: 'silent',
  managementPort: 0,
});
const warren = `http://127.0.0.1:${b.managementPort}`;
const rows = [];
let same = 0;
for (const c of calls) {
  const [r, w] = [await call(rabbit, c), await call(warren, c)];
  const rk = keys(r.json);
  const wk = keys(w.json);
  const missing = [...rk].filter((k) => !wk.has(k) && !IGNORED.has(k)).sort();
  const extra = [...wk].filter((k) => !rk.has(k)).sort();
  const ok = r.status === w.status && missing.length === 0;
  if (ok) same++;
  rows.push(
    `| ${c[0]} ${c[1].replace(id, '…').replace(id, '…').replace(id, '…').replace(/\|/g, '\\|')} | ${r.status} | ${w.status} | ${ok ? 'same' : 'differs'} | ${missing.join(', ')} | ${extra.join(', ')} |`,
  );
}
await b.close();
const report = `# Management API compatibility

Recorded by \`node scripts/management-compat.mjs --write\` against RabbitMQ at ${rabbit} and an in-process
Warren: each call made to both, status codes and JSON keys compared (top-level keys; for lists the first
item's). Keys RabbitMQ derives from Erlang internals (garbage_collection, reductions, backing_queue_status,
message_bytes*, …) are not counted as missing. ${same} of ${calls.length} calls agree.

| call | RabbitMQ | Warren | | missing in Warren | only in Warren |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
process.stdout.write(report);
if (write) writeFileSync(new URL('../docs/management-compat.md', import.meta.url), report);
