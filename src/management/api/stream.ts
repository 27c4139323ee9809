// The stream plugin's management endpoints (rabbitmq_stream_management): /api/stream/connections (with
// /:vhost, /:vhost/:name and its /publishers and /consumers), /api/stream/publishers (with /:vhost and
// /:vhost/:queue) and /api/stream/consumers (with /:vhost), with the
// fields RabbitMQ returns (checked against the anchor's 3.10 plugin; consumers also carry 3.11+'s `active`
// and `activity_status` for single active consumers), and Warren's own /api/stream/tracking/:vhost/:name (a
// stream's publisher sequences and stored offsets, osiris:read_tracking, for `warren ctl list_stream_tracking`
// and `stream_status --tracking`: RabbitMQ's CLI reads them over Erlang RPC). A Stream protocol connection
// offers its publishers and consumers through the two methods below (frontend/stream/session.ts); management
// does not import it.
import type { ClientConnection } from '../../core/broker.js';
import type { StreamConsumerView, StreamPublisherView } from '../../core/stream-views.js';
import { StreamQueue } from '../../core/queue/stream/stream-queue.js';
import { vhostPermitted } from '../../core/auth/permissions.js';
import { badRequest, notFound, sendJson, type Ctx } from '../context.js';
import { hasLevel, vhostParam } from '../auth.js';
import { listResult } from '../list.js';
import { getQueue } from './objects.js';
import type { Router } from '../router.js';
import { connectionJson, connectionName, type Json } from '../views.js';

interface StreamConnectionView extends ClientConnection {
  streamPublishers(): StreamPublisherView[];
  streamConsumers(): StreamConsumerView[];
}

function isStream(c: ClientConnection): c is StreamConnectionView {
  return c.protocol === 'stream' && typeof (c as Partial<StreamConnectionView>).streamPublishers === 'function';
}

function streamConnections(c: Ctx): StreamConnectionView[] {
  const vhost = c.params['vhost'] !== undefined ? vhostParam(c) : undefined;
  const all = hasLevel(c.user, 'monitoring');
  const out: StreamConnectionView[] = [];
  for (const x of c.m.broker.connections.values()) {
    if (!isStream(x)) continue;
    if (vhost !== undefined && x.vhost !== vhost) continue;
    if (!all && x.user !== c.user.name && !vhostPermitted(c.user, x.vhost)) continue;
    out.push(x);
  }
  return out;
}

function details(x: ClientConnection, node: string): Json {
  return {
    name: connectionName(x),
    node,
    peer_host: (x.remoteAddress ?? '').replace(/^::ffff:/, ''),
    peer_port: x.remotePort ?? 0,
    user: x.user,
  };
}

export function registerStream(r: Router): void {
  const node = (c: Ctx) => c.m.broker.nodeName;
  const connection = (c: Ctx): StreamConnectionView => {
    const x = streamConnections(c).find((y) => connectionName(y) === c.params['name']);
    if (x === undefined) throw notFound();
    return x;
  };
  const conns = (c: Ctx) =>
    sendJson(
      c,
      200,
      listResult(
        c,
        streamConnections(c).map((x) => connectionJson(x, node(c), c.m.rates, c.m.broker.alarms.blocked)),
      ),
    );
  r.on('GET', '/api/stream/connections', conns);
  r.on('GET', '/api/stream/connections/:vhost', conns);
  r.on('GET', '/api/stream/connections/:vhost/:name', (c) => {
    sendJson(c, 200, connectionJson(connection(c), node(c), c.m.rates, c.m.broker.alarms.blocked));
  });
  const publisherJson = (c: Ctx, x: StreamConnectionView, p: StreamPublisherView): Json => ({
    confirmed: p.confirmed,
    connection_details: details(x, node(c)),
    errored: p.errored,
    published: p.published,
    publisher_id: p.publisherId,
    queue: { name: p.stream, vhost: x.vhost },
    reference: p.reference ?? '',
  });
  const publishers = (c: Ctx) => {
    // /:vhost/:queue: that stream's publishers, 404 when it does not exist (rabbit_stream_publishers_mgmt)
    const stream = c.params['queue'];
    if (stream !== undefined) getQueue(c, stream);
    const items: Json[] = [];
    for (const x of streamConnections(c))
      for (const p of x.streamPublishers())
        if (stream === undefined || p.stream === stream) items.push(publisherJson(c, x, p));
    sendJson(c, 200, listResult(c, items));
  };
  r.on('GET', '/api/stream/publishers', publishers);
  r.on('GET', '/api/stream/publishers/:vhost', publishers);
  r.on('GET', '/api/stream/publishers/:vhost/:queue', publishers);
  const consumerJson = (c: Ctx, x: StreamConnectionView, k: StreamConsumerView): Json => ({
    active: k.active,
    activity_status: k.singleActive ? (k.active ? 'single_active' : 'waiting') : 'up',
    connection_details: details(x, node(c)),
    consumed: k.consumed,
    credits: k.credits,
    offset: k.offset,
    offset_lag: k.offsetLag,
    properties: k.properties,
    queue: { name: k.stream, vhost: x.vhost },
    subscription_id: k.subscriptionId,
  });
  const consumers = (c: Ctx) => {
    const items: Json[] = [];
    for (const x of streamConnections(c)) for (const k of x.streamConsumers()) items.push(consumerJson(c, x, k));
    sendJson(c, 200, listResult(c, items));
  };
  r.on('GET', '/api/stream/tracking/:vhost/:name', (c) => {
    const { q } = getQueue(c);
    const b = q instanceof StreamQueue ? q.streamBacking : null;
    if (b === null) throw badRequest(`${q.name} is not a stream`);
    const t = b.tracking.trackingInfo();
    sendJson(c, 200, {
      sequences: t.sequences.map((x) => ({ reference: x.reference, chunk_id: x.chunkId, sequence: x.sequence })),
      offsets: t.offsets,
    });
  });
  r.on('GET', '/api/stream/consumers', consumers);
  r.on('GET', '/api/stream/consumers/:vhost', consumers);
  // one connection's publishers and consumers (rabbit_stream_connection_{publishers,consumers}_mgmt)
  r.on('GET', '/api/stream/connections/:vhost/:name/publishers', (c) => {
    const x = connection(c);
    sendJson(
      c,
      200,
      listResult(
        c,
        x.streamPublishers().map((p) => publisherJson(c, x, p)),
      ),
    );
  });
  r.on('GET', '/api/stream/connections/:vhost/:name/consumers', (c) => {
    const x = connection(c);
    sendJson(
      c,
      200,
      listResult(
        c,
        x.streamConsumers().map((k) => consumerJson(c, x, k)),
      ),
    );
  });
}
