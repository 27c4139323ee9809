// The management API fuzz target: requests over raw TCP (so malformed HTTP too) to every route, with vhost
// and name segments encoded oddly, list query strings (sort, paging, filters, columns), JSON bodies built
// from the API's shapes with wrong types and values, random JSON, mutated JSON text and garbage. Guarded so
// the run keeps working: the guest user, its permissions on /, the / vhost, its limits and the memory
// watermark are never changed (a fuzz case that locks the fuzzer out would end the run, not find a bug).
import { chop, mutate } from './mutate.js';
import type { FuzzCase, FuzzTarget } from './harness.js';
import type { Rng } from './rng.js';

const ROUTES: [string, string][] = [
  ['GET', '/api/overview'],
  ['GET', '/api/nodes'],
  ['GET', '/api/nodes/:node'],
  ['GET', '/api/connections'],
  ['GET', '/api/connections/:name'],
  ['DELETE', '/api/connections/:name'],
  ['GET', '/api/connections/:name/channels'],
  ['GET', '/api/channels'],
  ['GET', '/api/channels/:name'],
  ['GET', '/api/consumers/:vhost'],
  ['GET', '/api/exchanges/:vhost'],
  ['GET', '/api/exchanges/:vhost/:name'],
  ['PUT', '/api/exchanges/:vhost/:name'],
  ['DELETE', '/api/exchanges/:vhost/:name'],
  ['GET', '/api/exchanges/:vhost/:name/bindings/source'],
  ['POST', '/api/exchanges/:vhost/:name/publish'],
  ['GET', '/api/queues'],
  ['GET', '/api/queues/:vhost'],
  ['GET', '/api/queues/:vhost/:name'],
  ['PUT', '/api/queues/:vhost/:name'],
  ['DELETE', '/api/queues/:vhost/:name'],
  ['DELETE', '/api/queues/:vhost/:name/contents'],
  ['POST', '/api/queues/:vhost/:name/actions'],
  ['POST', '/api/queues/:vhost/:name/get'],
  ['GET', '/api/queues/:vhost/:name/browse'],
  ['POST', '/api/queues/:vhost/:name/redrive'],
  ['GET', '/api/bindings/:vhost'],
  ['GET', '/api/bindings/:vhost/e/:name/q/:name2'],
  ['POST', '/api/bindings/:vhost/e/:name/q/:name2'],
  ['POST', '/api/bindings/:vhost/e/:name/e/:name2'],
  ['DELETE', '/api/bindings/:vhost/e/:name/q/:name2/:props'],
  ['GET', '/api/vhosts'],
  ['GET', '/api/vhosts/:vhost'],
  ['PUT', '/api/vhosts/:vhost'],
  ['DELETE', '/api/vhosts/:vhost'],
  ['GET', '/api/users'],
  ['PUT', '/api/users/:user'],
  ['DELETE', '/api/users/:user'],
  ['POST', '/api/users/bulk-delete'],
  ['GET', '/api/permissions/:vhost/:user'],
  ['PUT', '/api/permissions/:vhost/:user'],
  ['DELETE', '/api/permissions/:vhost/:user'],
  ['PUT', '/api/topic-permissions/:vhost/:user'],
  ['GET', '/api/policies/:vhost'],
  ['PUT', '/api/policies/:vhost/:name'],
  ['DELETE', '/api/policies/:vhost/:name'],
  ['PUT', '/api/operator-policies/:vhost/:name'],
  ['PUT', '/api/parameters/:component/:vhost/:name'],
  ['DELETE', '/api/parameters/:component/:vhost/:name'],
  ['PUT', '/api/global-parameters/:name'],
  ['PUT', '/api/vhost-limits/:vhost/:limit'],
  ['DELETE', '/api/vhost-limits/:vhost/:limit'],
  ['PUT', '/api/user-limits/:user/:limit'],
  ['GET', '/api/definitions'],
  ['POST', '/api/definitions'],
  ['POST', '/api/definitions/:vhost'],
  ['GET', '/api/aliveness-test/:vhost'],
  ['GET', '/api/health/checks/alarms'],
  ['GET', '/api/health/checks/port-listener/:port'],
  ['GET', '/api/health/checks/protocol-listener/:name'],
  ['GET', '/api/health/checks/certificate-expiration/:port/:name'],
  ['GET', '/api/whoami'],
  ['GET', '/api/extensions'],
  ['GET', '/api/cluster-name'],
  ['GET', '/metrics'],
  ['GET', '/'],
  ['GET', '/js/app.js'],
  ['GET', '/../../etc/passwd'],
];
const VHOSTS = ['%2F', 'fz', 'fz', 'nope', '%2', '%ZZ', '..', '%2F%2F', '', 'fz%00', '%E9'];
const NAMES = ['fz.h1', 'fz.h2', 'amq.direct', 'amq.default', '', 'fz%2Fslash', '%', '~', 'x'.repeat(300), 'fz.q1'];
const USERS = ['fzuser', 'fz%20u', 'nobody', ''];
const COMPONENTS = ['federation-upstream', 'shovel', 'bogus', 'x-message-deduplication'];
const QUERY_KEYS = [
  'sort',
  'sort_reverse',
  'page',
  'page_size',
  'name',
  'use_regex',
  'columns',
  'pagination',
  'lengths_age',
  'lengths_incr',
  'msg_rates_age',
  'disable_stats',
  'enable_queue_totals',
  'download',
];
const QUERY_VALUES = [
  '1',
  '0',
  '-1',
  'true',
  'false',
  'name',
  'messages',
  'name,vhost',
  '.*',
  '(',
  '[',
  '100000000',
  '1e309',
  '',
  '%',
  'x',
];
const BODY_KEYS = [
  'durable',
  'auto_delete',
  'arguments',
  'type',
  'internal',
  'routing_key',
  'properties',
  'payload',
  'payload_encoding',
  'count',
  'ackmode',
  'encoding',
  'truncate',
  'pattern',
  'definition',
  'priority',
  'apply-to',
  'value',
  'password',
  'password_hash',
  'hashing_algorithm',
  'tags',
  'configure',
  'write',
  'read',
  'exchange',
  'description',
  'default_queue_type',
  'tracing',
  'action',
  'users',
  'queues',
  'exchanges',
  'bindings',
  'policies',
  'vhosts',
  'name',
  'vhost',
  'destination',
  'destination_type',
  'source',
  'x-message-ttl',
  'max-length',
  'expires',
  'dead-letter-exchange',
  'ha-mode',
];

function randomJson(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, 1, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 4294967296, 65535, 256]);
    case 3:
      return rng.pick([
        '',
        'x',
        'fz',
        'true',
        '1',
        'base64',
        'string',
        'ack_requeue_true',
        'reject_requeue_false',
        'ab=',
        '.*',
        'all',
        'queues',
        'exchanges',
        'classic',
        'quorum',
        'stream',
        'administrator',
        'é\u0000',
      ]);
    case 4:
      return rng.bytes(rng.size(50)).toString('latin1');
    case 5:
      return rng.int(1000);
    case 6:
      return Array.from({ length: rng.size(5) }, () => randomJson(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let n = rng.size(6); n > 0; n--) o[rng.pick(BODY_KEYS)] = randomJson(rng, depth + 1);
      return o;
    }
  }
}

/** A body shaped like what the route takes, then bent. */
function templateBody(rng: Rng, path: string): unknown {
  const t: Record<string, unknown> = {};
  if (path.includes('/publish'))
    Object.assign(t, {
      routing_key: 'fz.q1',
      payload: 'x',
      payload_encoding: rng.pick(['string', 'base64', 'x']),
      properties: {},
    });
  else if (path.endsWith('/get'))
    Object.assign(t, {
      count: rng.int(5),
      ackmode: rng.pick(['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'x']),
      encoding: rng.pick(['auto', 'base64', 'x']),
      truncate: rng.int(100),
    });
  else if (path.includes('/policies'))
    Object.assign(t, {
      pattern: rng.pick(['^fz', '.*', '(', '']),
      definition: {
        [rng.pick(['max-length', 'message-ttl', 'expires', 'dead-letter-exchange', 'queue-mode', 'x'])]:
          randomJson(rng),
      },
      priority: rng.int(3),
      'apply-to': rng.pick(['queues', 'exchanges', 'all', 'x']),
    });
  else if (path.includes('/users/bulk-delete')) Object.assign(t, { users: ['fzuser', 'nobody'] });
  else if (path.includes('/users/'))
    Object.assign(t, { password: 'p', tags: rng.pick(['', 'administrator', ['management'], 5]) });
  else if (path.includes('permissions'))
    Object.assign(t, { configure: '.*', write: rng.pick(['.*', '(', '']), read: '.*', exchange: 'amq.topic' });
  else if (path.includes('/definitions'))
    Object.assign(t, {
      queues: [{ name: 'fz.d', vhost: 'fz', durable: rng.chance(0.5), arguments: randomJson(rng) }],
      exchanges: [{ name: 'fz.dx', vhost: rng.pick(['fz', '/']), type: rng.pick(['direct', 'x']) }],
      bindings: [
        {
          source: 'fz.dx',
          vhost: 'fz',
          destination: 'fz.d',
          destination_type: rng.pick(['queue', 'x']),
          routing_key: 'k',
          arguments: {},
        },
      ],
    });
  else if (path.includes('limits')) Object.assign(t, { value: randomJson(rng) });
  else if (path.includes('/actions')) Object.assign(t, { action: rng.pick(['sync', 'cancel_sync', 'x']) });
  else
    Object.assign(t, {
      durable: rng.chance(0.5),
      auto_delete: rng.chance(0.2),
      arguments: { 'x-message-ttl': randomJson(rng) },
      type: rng.pick(['direct', 'topic', 'x']),
    });
  for (let n = rng.int(3); n > 0; n--) t[rng.pick(BODY_KEYS)] = randomJson(rng);
  return t;
}

function fill(rng: Rng, method: string, template: string): string | null {
  let p = template
    .replace(':vhost', rng.pick(VHOSTS))
    .replace(':name2', encodeURIComponent(rng.pick(NAMES)).replace(/%25/g, '%'))
    .replace(':name', encodeURIComponent(rng.pick(NAMES)).replace(/%25/g, '%'))
    .replace(':user', rng.pick(USERS))
    .replace(':component', rng.pick(COMPONENTS))
    .replace(':limit', rng.pick(['max-connections', 'max-queues', 'max-channels', 'x']))
    .replace(':node', rng.pick(['warren@localhost', 'x']))
    .replace(':port', String(rng.pick([5672, 1, 99999, 0])))
    .replace(':props', rng.pick(['~', 'k', '%', '']));
  // keep the run's own access: the / vhost, its limits and guest's permissions are left alone
  if (
    method !== 'GET' &&
    /\/api\/(vhosts|vhost-limits|permissions|topic-permissions)\/%2F(\/|$)/.test(p) &&
    !p.includes('/fzuser')
  )
    p = p.replace('/%2F', '/fz');
  return p;
}

function request(rng: Rng): Buffer {
  const [m0, tmpl] = rng.pick(ROUTES);
  const method = rng.chance(0.95) ? m0 : rng.pick(['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'BREW']);
  const path = fill(rng, method, tmpl)!;
  let qs = '';
  if (rng.chance(0.3)) {
    const parts: string[] = [];
    for (let n = 1 + rng.size(4); n > 0; n--)
      parts.push(`${rng.pick(QUERY_KEYS)}=${encodeURIComponent(rng.pick(QUERY_VALUES))}`);
    qs = '?' + parts.join('&');
  }
  let body: Buffer = Buffer.alloc(0);
  if (method !== 'GET' && method !== 'DELETE' ? rng.chance(0.95) : rng.chance(0.05)) {
    const r = rng.int(100);
    if (r < 60) body = Buffer.from(JSON.stringify(templateBody(rng, path)));
    else if (r < 75) body = Buffer.from(JSON.stringify(randomJson(rng)));
    else if (r < 90) body = mutate(rng, Buffer.from(JSON.stringify(templateBody(rng, path))));
    else if (r < 97) body = rng.bytes(rng.size(500));
    else
      body = Buffer.from(
        JSON.stringify({ queues: Array.from({ length: 5000 }, (_, i) => ({ name: `fz.big${i % 50}`, vhost: 'fz' })) }),
      );
  }
  const auth = rng.chance(0.95) ? 'Z3Vlc3Q6Z3Vlc3Q=' : rng.pick(['', 'eDp5', '!!!', 'Z3Vlc3Q6']);
  const headers = [
    `${method} ${path}${qs} HTTP/1.1`,
    'Host: localhost',
    auth === '' ? '' : `Authorization: Basic ${auth}`,
    `Content-Type: ${rng.chance(0.9) ? 'application/json' : rng.pick(['text/plain', 'application/x-www-form-urlencoded', ''])}`,
    `Content-Length: ${rng.chance(0.97) ? body.length : rng.pick([body.length + 10, 0, -1, 99999999999])}`,
    'Connection: close',
  ].filter((h) => h !== '');
  const head = Buffer.from(headers.join('\r\n') + '\r\n\r\n', 'latin1');
  return Buffer.concat([head, body]);
}

/** Raw mutations must not turn a request into one that touches guest or / (the guards above). */
function safe(b: Buffer): boolean {
  const s = b.toString('latin1');
  return !/guest|vm-memory|\/api\/vhosts\/%2F|\/api\/vhosts\/\/|vhost-limits\/%2F|\/api\/definitions/i.test(
    s.slice(0, s.indexOf('\r\n')),
  );
}

function generate(rng: Rng): FuzzCase {
  const req = request(rng);
  if (rng.chance(0.1)) {
    const m = mutate(rng, req);
    if (safe(m)) return { kind: 'http-mutated', chunks: chop(rng, m), holdMs: 0 };
  }
  return { kind: 'http-grammar', chunks: chop(rng, req), holdMs: 0 };
}

/** The response's status ("status 404"), or "closed". */
export function classifyHttp(reply: Buffer): string {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(reply.subarray(0, 20).toString('latin1'));
  return m ? `status ${m[1]}` : reply.length ? 'other' : 'closed';
}

export const httpTarget: FuzzTarget = { name: 'http', port: (p) => p.management, generate, classify: classifyHttp };
