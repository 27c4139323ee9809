// Beyond RabbitMQ: browse a queue without consuming (messages stay where they are, their delivery state
// untouched), and redrive dead-lettered messages back to where they came from (the exchange and routing
// keys of their most recent x-death entry) or to a chosen exchange.
//   POST /api/queues/:vhost/:name/browse  {offset?, count?, routing_key? (regex), headers? {k: v}, encoding?, truncate?}
//   POST /api/queues/:vhost/:name/redrive {count?, exchange?, routing_key?}  → {redriven, unroutable, remaining}
import { Message, type QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import { badRequest, bodyObject, notFound, sendJson, type Ctx } from '../context.js';
import { checkAccess, vhostParam } from '../auth.js';
import type { Router } from '../router.js';
import { readMessage } from '../amqp-content.js';

/** How far one browse request looks into a queue (bounded work per request). */
const MAX_SCAN = 100000;

function queueOf(c: Ctx): Queue {
  const v = c.m.broker.vhosts.get(vhostParam(c))!;
  const q = v.queues.get(c.params['name']!);
  if (!q) throw notFound();
  return q;
}

function matches(e: QueuedMessage, rk: RegExp | null, headers: Record<string, unknown> | null): boolean {
  if (rk && !rk.test(e.msg.routingKey)) return false;
  if (headers) {
    const h = e.msg.headers() ?? {};
    for (const [k, v] of Object.entries(headers)) if (String(h[k]) !== String(v)) return false;
  }
  return true;
}

/** Where a dead-lettered message came from: its most recent x-death entry (RabbitMQ's header format). */
function origin(msg: Message): { exchange: string; routingKeys: string[] } | null {
  const deaths = msg.headers()?.['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0) return null;
  const d = deaths[0] as Record<string, unknown>;
  const keys = d['routing-keys'];
  if (typeof d['exchange'] !== 'string' || !Array.isArray(keys)) return null;
  return { exchange: d['exchange'], routingKeys: keys.map(String) };
}

export function registerBrowse(r: Router): void {
  r.on('POST', '/api/queues/:vhost/:name/browse', (c) => {
    const q = queueOf(c);
    checkAccess(c, q.vhost, 'queue', q.name, 'read');
    const b = bodyObject(c);
    const offset = Number(b['offset'] ?? 0);
    const count = Number(b['count'] ?? 10);
    if (!Number.isInteger(offset) || offset < 0) throw badRequest('offset must be a non-negative integer');
    if (!Number.isInteger(count) || count < 1) throw badRequest('count must be a positive integer');
    let rk: RegExp | null = null;
    if (typeof b['routing_key'] === 'string') {
      try {
        rk = new RegExp(b['routing_key']);
      } catch {
        throw badRequest(`invalid regex: ${b['routing_key']}`);
      }
    }
    const headers =
      typeof b['headers'] === 'object' && b['headers'] !== null ? (b['headers'] as Record<string, unknown>) : null;
    const encoding = String(b['encoding'] ?? 'auto');
    const truncate = b['truncate'] === undefined ? null : Number(b['truncate']);
    const out = [];
    const end = Math.min(q.ready.length, offset + MAX_SCAN);
    for (let i = offset; i < end && out.length < count; i++) {
      const e = q.ready.at(i)!;
      if (!matches(e, rk, headers)) continue;
      out.push({ position: i, ...readMessage(e, q.messageCount, encoding, truncate) });
    }
    sendJson(c, 200, out);
  });

  r.on('POST', '/api/queues/:vhost/:name/redrive', (c) => {
    const q = queueOf(c);
    const v = c.m.broker.vhosts.get(q.vhost)!;
    checkAccess(c, q.vhost, 'queue', q.name, 'read');
    const b = bodyObject(c);
    const count = b['count'] === undefined ? Infinity : Number(b['count']);
    const toExchange = typeof b['exchange'] === 'string' ? b['exchange'] : null;
    const toKey = typeof b['routing_key'] === 'string' ? b['routing_key'] : null;
    if (toExchange !== null) {
      if (!v.exchanges.has(toExchange === 'amq.default' ? '' : toExchange)) throw notFound();
      checkAccess(c, q.vhost, 'exchange', toExchange, 'write');
    }
    let redriven = 0;
    let unroutable = 0;
    // from the head, while the head has somewhere to go (a message without x-death stops a redrive to origin)
    while (redriven + unroutable < count && q.ready.length > 0) {
      const head = q.ready.at(0)!;
      const from = origin(head.msg);
      const exchange = toExchange !== null ? (toExchange === 'amq.default' ? '' : toExchange) : from?.exchange;
      if (exchange === undefined) break;
      const x = v.exchanges.get(exchange);
      if (!x) break;
      if (toExchange === null) checkAccess(c, q.vhost, 'exchange', exchange, 'write');
      const keys = toKey !== null ? [toKey] : toExchange !== null ? [head.msg.routingKey] : from!.routingKeys;
      const e = q.get(false)!;
      let routed = false;
      for (const key of keys) {
        const m = e.msg;
        const copy = new Message(
          m.format,
          exchange,
          key,
          m.props,
          m.body,
          m.persistent,
          m.priority,
          m.expiration,
          m.timestamp,
          0,
        );
        const targets = [...v.route(x, copy)].filter((t) => t !== q);
        for (const t of targets) t.enqueue(copy);
        if (targets.length > 0) routed = true;
      }
      q.ack(e);
      if (routed) redriven++;
      else unroutable++;
    }
    sendJson(c, 200, { redriven, unroutable, remaining: q.messageCount });
  });
}
