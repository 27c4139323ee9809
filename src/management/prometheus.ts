// Prometheus text exposition on its own port (RabbitMQ's rabbitmq_prometheus, 15692), with RabbitMQ's metric
// names, types, help texts and labels so its Grafana dashboards read Warren unchanged:
//   /metrics             aggregated (no per-object labels), as RabbitMQ's default
//   /metrics/per-object  the same metrics with {vhost, queue} labels
//   /metrics/detailed    ?family=queue_coarse_metrics|queue_consumer_count (&vhost=…): rabbitmq_detailed_*
// Values come from counters the core already keeps and the rate sampler's totals; nothing per message.
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsOptions } from '../options.js';
import { RABBITMQ_COMPAT_VERSION } from '../frontend/amqp/server-properties.js';
import { VERSION } from '../version.js';
import type { Management } from './context.js';
import type { Queue } from '../core/queue/queue.js';
import { StreamQueue } from '../core/queue/stream/stream-queue.js';
import { STREAM_METRICS, unackedShown } from './stream-stats.js';
import type { ChannelInfo, ClientConnection } from '../core/broker.js';
import { connectionName } from './views.js';
import { clusterGauges, identityLine } from './cluster-metrics.js';
import { freeDiskBytes } from '../storage/disk-monitor.js';
import { renderGlobal } from './prometheus-global.js';

type QueueMetric = [string, string, string, (q: Queue) => number];
const QUEUE_METRICS: QueueMetric[] = [
  ['queue_messages_ready', 'gauge', 'Messages ready to be delivered to consumers', (q) => q.messageCount],
  [
    'queue_messages_unacked',
    'gauge',
    'Messages delivered to consumers but not yet acknowledged',
    (q) => unackedShown(q),
  ],
  [
    'queue_messages',
    'gauge',
    'Sum of ready and unacknowledged messages - total queue depth',
    (q) => q.messageCount + unackedShown(q),
  ],
  ['queue_consumers', 'gauge', 'Consumers on a queue', (q) => q.consumerCount],
  ['queue_messages_published_total', 'counter', 'Total number of messages published to queues', (q) => q.stats.publish],
];

const ALL_QUEUE_METRICS = [...QUEUE_METRICS, ...(STREAM_METRICS as unknown as QueueMetric[])];

// rabbit_prometheus_collector's channel and connection metrics: summed over the open channels and
// connections in /metrics (as RabbitMQ: a closed channel's counts leave the sum), one series per channel or
// connection (labelled by its management name; RabbitMQ labels by Erlang pid) in /metrics/per-object.
// Note RabbitMQ's names: `messages_delivered_total` / `get_total` are the auto-ack kinds.
const CHANNEL_METRICS: [string, string, string, (c: ChannelInfo) => number][] = [
  ['channel_consumers', 'gauge', 'Consumers on a channel', (c) => c.consumerCount],
  ['channel_messages_unacked', 'gauge', 'Delivered but not yet acknowledged messages', (c) => c.messagesUnacknowledged],
  ['channel_messages_unconfirmed', 'gauge', 'Published but not yet confirmed messages', () => 0],
  ['channel_messages_uncommitted', 'gauge', 'Messages received in a transaction but not yet committed', () => 0],
  ['channel_acks_uncommitted', 'gauge', 'Message acknowledgements in a transaction not yet committed', () => 0],
  [
    'channel_prefetch',
    'gauge',
    'Total limit of unacknowledged messages for all consumers on a channel',
    (c) => c.globalPrefetchCount,
  ],
  [
    'channel_messages_published_total',
    'counter',
    'Total number of messages published into an exchange on a channel',
    (c) => c.stats.publish,
  ],
  [
    'channel_messages_confirmed_total',
    'counter',
    'Total number of messages published into an exchange and confirmed on the channel',
    (c) => c.stats.confirm,
  ],
  [
    'channel_messages_unroutable_returned_total',
    'counter',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    (c) => c.stats.returnUnroutable,
  ],
  [
    'channel_messages_unroutable_dropped_total',
    'counter',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    (c) => c.stats.dropUnroutable,
  ],
  [
    'channel_get_ack_total',
    'counter',
    'Total number of messages fetched with basic.get in manual acknowledgement mode',
    (c) => c.stats.get,
  ],
  [
    'channel_get_total',
    'counter',
    'Total number of messages fetched with basic.get in automatic acknowledgement mode',
    (c) => c.stats.getNoAck,
  ],
  [
    'channel_messages_delivered_ack_total',
    'counter',
    'Total number of messages delivered to consumers in manual acknowledgement mode',
    (c) => c.stats.deliver,
  ],
  [
    'channel_messages_delivered_total',
    'counter',
    'Total number of messages delivered to consumers in automatic acknowledgement mode',
    (c) => c.stats.deliverNoAck,
  ],
  [
    'channel_messages_redelivered_total',
    'counter',
    'Total number of messages redelivered to consumers',
    (c) => c.stats.redeliver,
  ],
  ['channel_messages_acked_total', 'counter', 'Total number of messages acknowledged by consumers', (c) => c.stats.ack],
  [
    'channel_get_empty_total',
    'counter',
    'Total number of times basic.get operations fetched no message',
    (c) => c.stats.getEmpty,
  ],
];

const CONNECTION_METRICS: [string, string, string, (c: ClientConnection) => number][] = [
  [
    'connection_incoming_bytes_total',
    'counter',
    'Total number of bytes received on a connection',
    (c) => c.stats?.recvOct ?? 0,
  ],
  [
    'connection_outgoing_bytes_total',
    'counter',
    'Total number of bytes sent on a connection',
    (c) => c.stats?.sendOct ?? 0,
  ],
  [
    'connection_incoming_packets_total',
    'counter',
    'Total number of packets received on a connection',
    (c) => c.stats?.recvCnt ?? 0,
  ],
  [
    'connection_outgoing_packets_total',
    'counter',
    'Total number of packets sent on a connection',
    (c) => c.stats?.sendCnt ?? 0,
  ],
  ['connection_pending_packets', 'gauge', 'Number of packets waiting to be sent on a connection', () => 0],
  ['connection_channels', 'gauge', 'Channels on a connection', (c) => (c.channelInfos ? c.channelInfos().length : 0)],
];

const DETAILED_FAMILIES: Record<string, string[]> = {
  queue_coarse_metrics: ['queue_messages_ready', 'queue_messages_unacked', 'queue_messages'],
  queue_consumer_count: ['queue_consumers'],
  queue_metrics: ['queue_messages_published_total', 'stream_segments'],
  stream_consumer_metrics: ['stream_consumer_max_offset_lag'],
};

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Out {
  parts: string[] = [];
  metric(name: string, type: string, help: string): void {
    this.parts.push(`# TYPE ${name} ${type}\n# HELP ${name} ${help}\n`);
  }
  value(name: string, v: number, labels?: string): void {
    this.parts.push(labels ? `${name}{${labels}} ${v}\n` : `${name} ${v}\n`);
  }
  raw(text: string): void {
    this.parts.push(text);
  }
  toString(): string {
    return this.parts.join('');
  }
}

export function renderMetrics(
  m: Management,
  mode: 'aggregated' | 'per-object' | 'detailed',
  query?: URLSearchParams,
): string {
  const b = m.broker;
  const o = new Out();
  const queues: Queue[] = [];
  const vhostFilter = query?.getAll('vhost') ?? [];
  for (const v of b.vhosts.values()) {
    if (vhostFilter.length > 0 && !vhostFilter.includes(v.name)) continue;
    for (const q of v.queues.values()) queues.push(q);
  }
  if (mode === 'detailed') {
    const families = query?.getAll('family') ?? [];
    for (const f of families) {
      for (const name of DETAILED_FAMILIES[f] ?? []) {
        const [, type, help, fn] = ALL_QUEUE_METRICS.find((x) => x[0] === name)!;
        const full = `rabbitmq_detailed_${name}`;
        o.metric(full, type, help);
        for (const q of queues) {
          if (name.startsWith('stream_') && !(q instanceof StreamQueue)) continue;
          o.value(full, fn(q), `vhost="${esc(q.vhost)}",queue="${esc(q.name)}"`);
        }
      }
    }
    return o.toString();
  }
  let channels = 0;
  for (const c of b.connections.values()) channels += c.channelInfos ? c.channelInfos().length : 0;
  let consumers = 0;
  for (const q of queues) consumers += q.consumerCount;

  o.metric('rabbitmq_build_info', 'untyped', 'RabbitMQ & Erlang/OTP version info');
  o.value(
    'rabbitmq_build_info',
    1,
    `rabbitmq_version="${RABBITMQ_COMPAT_VERSION}",prometheus_plugin_version="${RABBITMQ_COMPAT_VERSION}",prometheus_client_version="warren",erlang_version="${process.version}",warren_version="${VERSION}"`,
  );
  o.raw(identityLine(b.nodeName, b.clusterName));
  const gauge = (name: string, help: string, v: number) => {
    o.metric(name, 'gauge', help);
    o.value(name, v);
  };
  gauge('rabbitmq_connections', 'Connections currently open', b.connections.size);
  gauge('rabbitmq_channels', 'Channels currently open', channels);
  gauge('rabbitmq_consumers', 'Consumers currently connected', consumers);
  gauge('rabbitmq_queues', 'Queues available', queues.length);
  o.metric('rabbitmq_connections_opened_total', 'counter', 'Total number of connections opened');
  o.value('rabbitmq_connections_opened_total', b.allocatedConnections);
  // what the memory watermark is compared with, as RabbitMQ (vm_memory_monitor's process memory)
  gauge('rabbitmq_process_resident_memory_bytes', 'Memory used in bytes', m.memory.used);
  gauge('rabbitmq_resident_memory_limit_bytes', 'Memory high watermark in bytes', m.memory.limit);
  gauge('rabbitmq_disk_space_available_bytes', 'Disk space available in bytes', freeDiskBytes(m.options.dataDir) ?? 0);
  gauge('rabbitmq_disk_space_available_limit_bytes', 'Free disk space low watermark in bytes', m.diskFreeLimit.limit);
  const alarm = (name: string, help: string, on: boolean) => {
    o.metric(name, 'untyped', help);
    o.value(name, on ? 1 : 0);
  };
  alarm('rabbitmq_alarms_file_descriptor_limit', 'is 1 if file descriptor limit alarm is in effect', false);
  alarm(
    'rabbitmq_alarms_free_disk_space_watermark',
    'is 1 if free disk space watermark alarm is in effect',
    b.alarms.isRaised('disk'),
  );
  alarm(
    'rabbitmq_alarms_memory_used_watermark',
    'is 1 if VM memory watermark alarm is in effect',
    b.alarms.isRaised('memory'),
  );
  gauge('rabbitmq_erlang_uptime_seconds', 'Node uptime', Math.round((Date.now() - b.startedAt) / 1000));
  o.raw(renderGlobal(b));

  const conns = [...b.connections.values()];
  const chans: [ClientConnection, ChannelInfo][] = [];
  for (const c of conns) for (const ch of c.channelInfos?.() ?? []) chans.push([c, ch]);
  for (const [name, type, help, fn] of CHANNEL_METRICS) {
    const full = `rabbitmq_${name}`;
    o.metric(full, type, help);
    if (mode === 'aggregated') {
      let sum = 0;
      for (const [, ch] of chans) sum += fn(ch);
      o.value(full, sum);
    } else {
      for (const [c, ch] of chans) o.value(full, fn(ch), `channel="${esc(`${connectionName(c)} (${ch.number})`)}"`);
    }
  }
  for (const [name, type, help, fn] of CONNECTION_METRICS) {
    const full = `rabbitmq_${name}`;
    o.metric(full, type, help);
    if (mode === 'aggregated') {
      let sum = 0;
      for (const c of conns) sum += fn(c);
      o.value(full, sum);
    } else {
      for (const c of conns) o.value(full, fn(c), `connection="${esc(connectionName(c))}"`);
    }
  }
  const streams = queues.filter((q): q is StreamQueue => q instanceof StreamQueue);
  for (const [list, metrics] of [
    [queues, QUEUE_METRICS],
    [streams, STREAM_METRICS],
  ] as [Queue[], typeof QUEUE_METRICS][]) {
    for (const [name, type, help, fn] of metrics) {
      const full = `rabbitmq_${name}`;
      o.metric(full, type, help);
      if (mode === 'aggregated') {
        // RabbitMQ's aggregation sums; a lag is a maximum
        let sum = 0;
        for (const q of list) sum = name.endsWith('_lag') ? Math.max(sum, fn(q)) : sum + fn(q);
        o.value(full, sum);
      } else {
        for (const q of list) o.value(full, fn(q), `vhost="${esc(q.vhost)}",queue="${esc(q.name)}"`);
      }
    }
  }
  if (m.cluster !== null) o.raw(clusterGauges(m.cluster, null));
  return o.toString();
}

/** The /metrics server: HTTP, or HTTPS with `tls` (prometheus.ssl.port). */
export function createPrometheusServer(m: Management, tls: TlsOptions | null = null): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const mode =
      url.pathname === '/metrics'
        ? 'aggregated'
        : url.pathname === '/metrics/per-object'
          ? 'per-object'
          : url.pathname === '/metrics/detailed'
            ? 'detailed'
            : null;
    if (mode === null) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found\n');
      return;
    }
    const body = renderMetrics(m, mode, url.searchParams);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  return tls ? createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca }, handler) : createServer(handler);
}
