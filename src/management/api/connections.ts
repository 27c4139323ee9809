// /api/connections (DELETE closes one with 320, the X-Reason header as its text), /api/channels,
// /api/consumers, per vhost too. Non-monitoring users see only their own connections, as in RabbitMQ.
import type { ClientConnection } from '../../core/broker.js';
import { vhostPermitted } from '../../core/auth/permissions.js';
import { notFound, sendJson, sendStatus, type Ctx } from '../context.js';
import { hasLevel, vhostParam } from '../auth.js';
import { listResult } from '../list.js';
import type { Router } from '../router.js';
import { StreamQueue } from '../../core/queue/stream/stream-queue.js';
import {
  channelJson,
  connectionJson,
  connectionName,
  consumerJson,
  externalConsumerJson,
  type Json,
} from '../views.js';

function visibleConnections(c: Ctx, vhost?: string): ClientConnection[] {
  const all = hasLevel(c.user, 'monitoring');
  return [...c.m.broker.connections.values()].filter(
    (x) => (all || x.user === c.user.name) && (vhost === undefined || x.vhost === vhost),
  );
}

function findConnection(c: Ctx): ClientConnection {
  const name = c.params['name']!;
  const conn = visibleConnections(c).find((x) => connectionName(x) === name);
  if (!conn) throw notFound();
  return conn;
}

export function registerConnections(r: Router): void {
  const listConns = (c: Ctx) => {
    const vhost = c.params['vhost'] !== undefined ? vhostParam(c) : undefined;
    const node = c.m.broker.nodeName;
    sendJson(
      c,
      200,
      listResult(
        c,
        visibleConnections(c, vhost).map((x) => connectionJson(x, node, c.m.rates, c.m.broker.alarms.blocked)),
      ),
    );
  };
  r.on('GET', '/api/connections', listConns);
  r.on('GET', '/api/vhosts/:vhost/connections', listConns);
  r.on('GET', '/api/connections/:name', (c) =>
    sendJson(c, 200, connectionJson(findConnection(c), c.m.broker.nodeName, c.m.rates, c.m.broker.alarms.blocked)),
  );
  r.on('DELETE', '/api/connections/:name', (c) => {
    const conn = findConnection(c);
    const reason = c.req.headers['x-reason'];
    conn.forceClose(typeof reason === 'string' ? reason : 'Closed via management plugin');
    sendStatus(c, 204);
  });
  r.on('GET', '/api/connections/:name/channels', (c) => {
    const conn = findConnection(c);
    const node = c.m.broker.nodeName;
    sendJson(
      c,
      200,
      (conn.channelInfos?.() ?? []).map((ch) => channelJson(conn, ch, node, c.m.rates)),
    );
  });
  const listChannels = (c: Ctx) => {
    const vhost = c.params['vhost'] !== undefined ? vhostParam(c) : undefined;
    const node = c.m.broker.nodeName;
    const items: Json[] = [];
    for (const conn of visibleConnections(c, vhost)) {
      for (const ch of conn.channelInfos?.() ?? []) items.push(channelJson(conn, ch, node, c.m.rates));
    }
    sendJson(c, 200, listResult(c, items));
  };
  r.on('GET', '/api/channels', listChannels);
  r.on('GET', '/api/vhosts/:vhost/channels', listChannels);
  r.on('GET', '/api/channels/:name', (c) => {
    const node = c.m.broker.nodeName;
    for (const conn of visibleConnections(c)) {
      for (const ch of conn.channelInfos?.() ?? []) {
        const j = channelJson(conn, ch, node, c.m.rates);
        if (j['name'] === c.params['name'])
          return sendJson(c, 200, { ...j, consumer_details: [], deliveries: [], publishes: [] });
      }
    }
    throw notFound();
  });
  const listConsumers = (c: Ctx) => {
    const b = c.m.broker;
    const vhost = c.params['vhost'] !== undefined ? vhostParam(c) : undefined;
    const items: Json[] = [];
    for (const v of b.vhosts.values()) {
      if (vhost !== undefined && v.name !== vhost) continue;
      if (!hasLevel(c.user, 'monitoring') && !vhostPermitted(c.user, v.name)) continue;
      for (const q of v.queues.values()) {
        for (const k of q.consumers) items.push(consumerJson(b, q, k, b.nodeName));
        // Stream protocol subscriptions are consumers too (rabbit_stream_metrics:consumer_created/9)
        if (q instanceof StreamQueue)
          for (const k of q.externalConsumers) items.push(externalConsumerJson(b, q, k, b.nodeName));
      }
    }
    sendJson(c, 200, listResult(c, items));
  };
  r.on('GET', '/api/consumers', listConsumers);
  r.on('GET', '/api/consumers/:vhost', listConsumers);
}
