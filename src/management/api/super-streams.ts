// Super streams in the management API, as rabbitmq_stream_management's rabbit_stream_super_stream_mgmt and
// rabbit_stream_super_streams_mgmt (RabbitMQ 4.x; the 3.10-3.13 plugin has none, and `rabbitmq-streams`
// talks to the node directly, so `warren ctl add_super_stream` uses these):
//   PUT  /api/stream/super-streams/VHOST/NAME  {"partitions": N | "binding-keys": "a,b,c", "arguments": {...}}
//   GET  /api/stream/super-streams[/VHOST]     [{name, vhost, arguments, partition_count, partitions}]
// and Warren's own DELETE /api/stream/super-streams/VHOST/NAME (rabbit_stream_manager:delete_super_stream),
// which `warren ctl delete_super_stream` uses. Errors: 400 with rabbit_stream_manager's reason as RabbitMQ
// prints it ({validation_failed,"..."}), 401 "Access refused." for a missing permission.
import {
  createSuperStream,
  deleteSuperStream,
  isSuperStreamExchange,
  layoutFromBindingKeys,
  layoutFromPartitions,
  superStreamPartitions,
  superStreamPermissions,
  StreamManagerError,
  PARTITION_ORDER_ARG,
} from '../../core/super-stream.js';
import type { VHost } from '../../core/vhost.js';
import { badRequest, bodyObject, notFound, sendJson, sendStatus, type Ctx } from '../context.js';
import { canSeeVHost, checkAccess, vhostParam } from '../auth.js';
import { listResult } from '../list.js';
import type { Router } from '../router.js';
import type { Json } from '../views.js';

/** rabbit_stream_utils:max_super_stream_partitions default. */
const MAX_PARTITIONS = 1000;

/** How RabbitMQ's io_lib:format("~p", [Reason]) renders a rabbit_stream_manager error. */
function reasonText(e: StreamManagerError): string {
  return e.message === e.reason ? e.reason : `{${e.reason},${JSON.stringify(e.message)}}`;
}

function checkPermissions(c: Ctx, vhost: string, name: string, partitions: string[]): void {
  for (const p of superStreamPermissions(name, partitions)) checkAccess(c, vhost, p.kind, p.name, p.perm);
}

function superStreamJson(v: VHost, name: string): Json {
  const x = v.exchanges.get(name)!;
  const parts = superStreamPartitions(v, name);
  const bindings = [...x.bindings.values()];
  const first = parts.length === 0 ? undefined : v.queues.get(parts[0]!);
  return {
    name,
    vhost: v.name,
    arguments: first?.args ?? {},
    partition_count: parts.length,
    partitions: parts.map((p) => {
      const b = bindings.find((k) => k.destination.name === p)!;
      return {
        routing_key: b.routingKey,
        name: p,
        order: b.args[PARTITION_ORDER_ARG] ?? 'not_found',
        state: 'running',
      };
    }),
  };
}

function list(c: Ctx): void {
  const b = c.m.broker;
  const vs =
    c.params['vhost'] !== undefined
      ? [b.vhosts.get(vhostParam(c))!]
      : [...b.vhosts.values()].filter((v) => canSeeVHost(c, v.name));
  const items: Json[] = [];
  for (const v of vs) {
    for (const x of v.exchanges.values()) if (isSuperStreamExchange(x)) items.push(superStreamJson(v, x.name));
  }
  sendJson(c, 200, listResult(c, items));
}

function create(c: Ctx): void {
  const vhost = vhostParam(c);
  const v = c.m.broker.vhosts.get(vhost)!;
  const name = c.params['name']!;
  checkAccess(c, vhost, 'exchange', name, 'configure');
  const body = bodyObject(c);
  const n = body['partitions'];
  const keys = body['binding-keys'];
  if (n === undefined && keys === undefined) throw badRequest('Must specify partitions or binding keys');
  if (n !== undefined && keys !== undefined) throw badRequest('Specify partitions or binding keys, not both');
  let layout;
  if (n !== undefined) {
    const count = typeof n === 'number' ? n : typeof n === 'string' && /^-?\d+$/.test(n) ? Number(n) : NaN;
    if (!Number.isInteger(count)) throw badRequest('The partitions must be a number');
    if (count < 1) throw badRequest('The partition number must be greater than 0');
    if (count > MAX_PARTITIONS) throw badRequest(`The partition number must not exceed ${MAX_PARTITIONS}`);
    layout = layoutFromPartitions(name, count);
  } else {
    layout = layoutFromBindingKeys(name, String(keys));
    if (layout.bindingKeys.length === 0) throw badRequest('The number of binding keys must be greater than 0');
    if (layout.bindingKeys.length > MAX_PARTITIONS)
      throw badRequest(`The number of binding keys must not exceed ${MAX_PARTITIONS}`);
  }
  const a = body['arguments'] ?? {};
  if (typeof a !== 'object' || a === null || Array.isArray(a)) throw badRequest('arguments must be an object');
  checkPermissions(c, vhost, name, layout.partitions);
  try {
    createSuperStream(v, name, layout.partitions, a as Record<string, string | number>, layout.bindingKeys);
  } catch (e) {
    if (e instanceof StreamManagerError) throw badRequest(reasonText(e));
    throw e;
  }
  sendStatus(c, 204);
}

function remove(c: Ctx): void {
  const vhost = vhostParam(c);
  const v = c.m.broker.vhosts.get(vhost)!;
  const name = c.params['name']!;
  const x = v.exchanges.get(name);
  if (x === undefined || !isSuperStreamExchange(x)) throw notFound();
  checkPermissions(c, vhost, name, superStreamPartitions(v, name));
  deleteSuperStream(v, name);
  sendStatus(c, 204);
}

export function registerSuperStreams(r: Router): void {
  r.on('GET', '/api/stream/super-streams', list);
  r.on('GET', '/api/stream/super-streams/:vhost', list);
  r.on('PUT', '/api/stream/super-streams/:vhost/:name', create);
  r.on('DELETE', '/api/stream/super-streams/:vhost/:name', remove);
}
