// /api/exchanges, /api/queues, /api/bindings: list, show, declare (PUT), delete, bindings, publish and
// get, purge — through the same core calls and permission checks AMQP uses, with RabbitMQ's statuses
// (201 created, 204 exists/deleted, 400 bad_request with the core's text, 404 Object Not Found).
import { queueMembers } from './cluster.js';
import { Queue } from '../../core/queue/queue.js';
import { StreamQueue } from '../../core/queue/stream/stream-queue.js';
import type { VHost } from '../../core/vhost.js';
import { badRequest, bodyObject, notFound, sendJson, sendStatus, type Ctx } from '../context.js';
import { canSeeVHost, checkAccess, vhostParam } from '../auth.js';
import { listResult } from '../list.js';
import type { Router } from '../router.js';
import {
  consumerJson,
  externalConsumerJson,
  bindingJson,
  defaultBindingJson,
  exchangeJson,
  propertiesKey,
  queueJson,
  type Json,
} from '../views.js';
import { readMessage, makeMessage } from '../amqp-content.js';

function vhostsOf(c: Ctx, vhost: string | undefined): VHost[] {
  const b = c.m.broker;
  if (vhost !== undefined) return [b.vhosts.get(vhostParam(c, vhost))!];
  return [...b.vhosts.values()].filter((v) => canSeeVHost(c, v.name));
}

function bool(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw badRequest(`${JSON.stringify(v)} is not a boolean`);
}

function args(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null || v === '') return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('arguments must be an object');
  return v as Record<string, unknown>;
}

/** The queue the path names (404 when it or its vhost does not exist). */
export function getQueue(c: Ctx, name = c.params['name']!): { v: VHost; q: Queue } {
  const v = c.m.broker.vhosts.get(vhostParam(c))!;
  const q = v.queues.get(name);
  if (!q) throw notFound();
  return { v, q };
}

function getExchange(c: Ctx, name = c.params['name']!) {
  const v = c.m.broker.vhosts.get(vhostParam(c))!;
  const x = v.exchanges.get(name === 'amq.default' ? '' : name);
  if (!x) throw notFound();
  return { v, x };
}

export function exchangeName(name: string): string {
  return name === '' ? 'amq.default' : name;
}

function listQueues(c: Ctx): void {
  const node = c.m.broker.nodeName;
  const items: Json[] = [];
  const members = queueMembers(c.m.cluster);
  for (const v of vhostsOf(c, c.params['vhost'])) {
    for (const q of v.queues.values()) {
      const j = queueJson(q, v, node, c.m.rates);
      items.push(members === null ? j : Object.assign(j, members));
    }
  }
  sendJson(c, 200, listResult(c, items));
}

function listExchanges(c: Ctx): void {
  const items: Json[] = [];
  for (const v of vhostsOf(c, c.params['vhost'])) {
    for (const x of v.exchanges.values()) items.push(exchangeJson(x, c.m.rates));
  }
  sendJson(c, 200, listResult(c, items));
}

function allBindings(v: VHost): Json[] {
  const out: Json[] = [];
  for (const q of v.queues.values()) out.push(defaultBindingJson(q));
  for (const x of v.exchanges.values()) for (const b of x.bindings.values()) out.push(bindingJson(b));
  return out;
}

export function registerObjects(r: Router): void {
  r.on('GET', '/api/queues', listQueues);
  r.on('GET', '/api/queues/:vhost', listQueues);
  r.on('GET', '/api/queues/:vhost/:name', (c) => {
    const { v, q } = getQueue(c);
    const j = queueJson(q, v, c.m.broker.nodeName, c.m.rates);
    const members = queueMembers(c.m.cluster);
    if (members !== null) Object.assign(j, members);
    const node = c.m.broker.nodeName;
    j['consumer_details'] = q.consumers.map((k) => consumerJson(c.m.broker, q, k, node));
    if (q instanceof StreamQueue) {
      for (const k of q.externalConsumers)
        (j['consumer_details'] as Json[]).push(externalConsumerJson(c.m.broker, q, k, node));
    }
    j['incoming'] = [];
    j['deliveries'] = [];
    sendJson(c, 200, j);
  });
  r.on('PUT', '/api/queues/:vhost/:name', (c) => {
    const vhost = vhostParam(c);
    const v = c.m.broker.vhosts.get(vhost)!;
    const name = c.params['name']!;
    const b = bodyObject(c);
    checkAccess(c, vhost, 'queue', name, 'configure');
    const existed = v.queues.has(name);
    v.declareQueue(
      name,
      {
        durable: bool(b['durable'], true),
        exclusive: false,
        autoDelete: bool(b['auto_delete'], false),
        args: args(b['arguments']),
      },
      null,
    );
    sendStatus(c, existed ? 204 : 201);
  });
  r.on('DELETE', '/api/queues/:vhost/:name', (c) => {
    const { v, q } = getQueue(c);
    checkAccess(c, v.name, 'queue', q.name, 'configure');
    const ifUnused = c.query.get('if-unused') === 'true';
    const ifEmpty = c.query.get('if-empty') === 'true';
    // management deletes regardless of the exclusive owner (RabbitMQ's mgmt does, as an admin action)
    if (ifUnused && q.consumerCount > 0) throw badRequest(`queue '${q.name}' in vhost '${v.name}' in use`);
    if (ifEmpty && q.messageCount > 0) throw badRequest(`queue '${q.name}' in vhost '${v.name}' not empty`);
    v.deleteQueueObject(q);
    sendStatus(c, 204);
  });
  r.on('DELETE', '/api/queues/:vhost/:name/contents', (c) => {
    const { v, q } = getQueue(c);
    checkAccess(c, v.name, 'queue', q.name, 'read');
    q.purge();
    sendStatus(c, 204);
  });
  r.on('POST', '/api/queues/:vhost/:name/actions', (c) => {
    getQueue(c);
    const action = bodyObject(c)['action'];
    if (action !== 'sync' && action !== 'cancel_sync') throw badRequest(`Unknown action: ${String(action)}`);
    sendStatus(c, 204);
  });
  r.on('GET', '/api/queues/:vhost/:name/bindings', (c) => {
    const { q } = getQueue(c);
    const items = [defaultBindingJson(q), ...[...q.bindings].map(bindingJson)];
    sendJson(c, 200, items);
  });
  r.on('POST', '/api/queues/:vhost/:name/get', (c) => {
    const { v, q } = getQueue(c);
    checkAccess(c, v.name, 'queue', q.name, 'read');
    const b = bodyObject(c);
    const count = Number(b['count'] ?? 1);
    const ackmode = String(b['ackmode'] ?? 'ack_requeue_true');
    const requeue = ackmode === 'ack_requeue_true' || ackmode === 'reject_requeue_true';
    if (!['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'].includes(ackmode)) {
      throw badRequest(`Unknown ackmode: ${ackmode}`);
    }
    if (!Number.isInteger(count) || count < 1) throw badRequest('count must be a positive integer');
    const encoding = String(b['encoding'] ?? 'auto');
    const truncate = b['truncate'] === undefined ? null : Number(b['truncate']);
    const got = [];
    for (let i = 0; i < count; i++) {
      const e = q.get(false);
      if (!e) break;
      e.deliveryCount++;
      got.push(e);
    }
    const out = got.map((e, i) => readMessage(e, got.length - 1 - i + q.messageCount, encoding, truncate));
    if (requeue) q.requeue(got);
    else for (const e of got) q.ack(e);
    sendJson(c, 200, out);
  });

  r.on('GET', '/api/exchanges', listExchanges);
  r.on('GET', '/api/exchanges/:vhost', listExchanges);
  r.on('GET', '/api/exchanges/:vhost/:name', (c) => {
    const { x } = getExchange(c);
    sendJson(c, 200, { ...exchangeJson(x, c.m.rates), incoming: [], outgoing: [] });
  });
  r.on('PUT', '/api/exchanges/:vhost/:name', (c) => {
    const vhost = vhostParam(c);
    const v = c.m.broker.vhosts.get(vhost)!;
    const name = c.params['name']!;
    const b = bodyObject(c);
    checkAccess(c, vhost, 'exchange', name, 'configure');
    const existed = v.exchanges.has(name);
    v.declareExchange(name, {
      type: String(b['type'] ?? ''),
      durable: bool(b['durable'], true),
      autoDelete: bool(b['auto_delete'], false),
      internal: bool(b['internal'], false),
      args: args(b['arguments']),
    });
    sendStatus(c, existed ? 204 : 201);
  });
  r.on('DELETE', '/api/exchanges/:vhost/:name', (c) => {
    const { v, x } = getExchange(c);
    checkAccess(c, v.name, 'exchange', x.name, 'configure');
    v.deleteExchange(x.name, c.query.get('if-unused') === 'true');
    sendStatus(c, 204);
  });
  r.on('GET', '/api/exchanges/:vhost/:name/bindings/source', (c) => {
    const { v, x } = getExchange(c);
    const items =
      x.name === '' ? [...v.queues.values()].map(defaultBindingJson) : [...x.bindings.values()].map(bindingJson);
    sendJson(c, 200, items);
  });
  r.on('GET', '/api/exchanges/:vhost/:name/bindings/destination', (c) => {
    const { x } = getExchange(c);
    sendJson(c, 200, [...x.incoming].map(bindingJson));
  });
  r.on('POST', '/api/exchanges/:vhost/:name/publish', (c) => {
    const { v, x } = getExchange(c);
    checkAccess(c, v.name, 'exchange', x.name, 'write');
    const b = bodyObject(c);
    const rk = String(b['routing_key'] ?? '');
    if (x.internal) throw badRequest(`cannot publish to internal exchange '${x.name}' in vhost '${v.name}'`);
    const msg = makeMessage(x.name, rk, b);
    const queues = v.route(x, msg);
    const routed = queues.length > 0;
    for (const q of [...queues]) q.enqueue(msg);
    sendJson(c, 200, { routed });
  });

  const listBindings = (c: Ctx) => {
    const items: Json[] = [];
    for (const v of vhostsOf(c, c.params['vhost'])) items.push(...allBindings(v));
    sendJson(c, 200, listResult(c, items));
  };
  r.on('GET', '/api/bindings', listBindings);
  r.on('GET', '/api/bindings/:vhost', listBindings);
  for (const kind of ['q', 'e'] as const) {
    const destKind = kind === 'q' ? 'queue' : 'exchange';
    const between = (c: Ctx) => {
      const vhost = vhostParam(c);
      const v = c.m.broker.vhosts.get(vhost)!;
      const src = v.exchanges.get(c.params['source']!);
      const dest = kind === 'q' ? v.queues.get(c.params['dest']!) : v.exchanges.get(c.params['dest']!);
      if (!src || !dest) throw notFound();
      return { v, vhost, src, dest };
    };
    r.on('GET', `/api/bindings/:vhost/e/:source/${kind}/:dest`, (c) => {
      const { src, dest } = between(c);
      sendJson(c, 200, [...src.bindings.values()].filter((b) => b.destination === dest).map(bindingJson));
    });
    r.on('POST', `/api/bindings/:vhost/e/:source/${kind}/:dest`, (c) => {
      const { v, vhost, src, dest } = between(c);
      const b = bodyObject(c);
      const rk = String(b['routing_key'] ?? '');
      const a = args(b['arguments']);
      checkAccess(c, vhost, destKind, dest.name, 'write');
      checkAccess(c, vhost, 'exchange', src.name, 'read');
      if (kind === 'q') v.bindQueue(dest.name, src.name, rk, a, (dest as Queue).exclusiveOwner);
      else v.bindExchange(dest.name, src.name, rk, a);
      // each path segment encoded, as RabbitMQ's rabbit_mgmt_format:url does: a routing key may hold bytes
      // no header may carry (the HTTP fuzzer's 500)
      sendStatus(c, 201, { location: encodeURIComponent(dest.name) + '/' + encodeURIComponent(propertiesKey(rk, a)) });
    });
    r.on(['GET', 'DELETE'], `/api/bindings/:vhost/e/:source/${kind}/:dest/:props`, (c) => {
      const { v, vhost, src, dest } = between(c);
      const b = [...src.bindings.values()].find(
        (x) => x.destination === dest && propertiesKey(x.routingKey, x.args) === c.params['props'],
      );
      if (!b) throw notFound();
      if (c.req.method === 'GET') return sendJson(c, 200, bindingJson(b));
      checkAccess(c, vhost, destKind, dest.name, 'write');
      checkAccess(c, vhost, 'exchange', src.name, 'read');
      if (kind === 'q') v.unbindQueue(dest.name, src.name, b.routingKey, b.args, (dest as Queue).exclusiveOwner);
      else v.unbindExchange(dest.name, src.name, b.routingKey, b.args);
      sendStatus(c, 204);
    });
  }
}
