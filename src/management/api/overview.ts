// /api/overview, /api/nodes, /api/whoami, /api/cluster-name, /api/extensions, health checks and
// /api/aliveness-test, shaped as RabbitMQ's.
import { freemem, cpus } from 'node:os';
import { RABBITMQ_COMPAT_VERSION } from '../../frontend/amqp/server-properties.js';
import { VERSION } from '../../version.js';
import { badRequest, bodyObject, notFound, sendJson, sendStatus, type Ctx, HttpError } from '../context.js';
import { parseSize } from '../../util/size.js';
import { freeDiskBytes } from '../../storage/disk-monitor.js';
import { canSeeVHost, requireLevel, vhostParam } from '../auth.js';
import type { Router } from '../router.js';
import { messageStats, nodeMessageStats } from '../views.js';
import { makeMessage } from '../amqp-content.js';
import { nodeList, otherNode } from './cluster.js';

const EXCHANGE_TYPES = [
  ...['direct', 'fanout', 'headers', 'topic'].map((name) => ({
    name,
    description: `AMQP ${name} exchange, as per the AMQP specification`,
    enabled: true,
  })),
  // the plugins' own descriptions (rabbitmq_delayed_message_exchange, rabbitmq-message-deduplication)
  { name: 'x-delayed-message', description: 'Delayed Message Exchange.', enabled: true },
  { name: 'x-message-deduplication', description: 'Message Deduplication Exchange.', enabled: true },
];

function listeners(c: Ctx) {
  const node = c.m.broker.nodeName;
  const ip = c.m.options.bind[0] ?? '::';
  const out = [];
  const p = c.m.ports;
  if (p.amqp !== null) out.push({ node, protocol: 'amqp', ip_address: ip, port: p.amqp });
  if (p.amqps !== null) out.push({ node, protocol: 'amqp/ssl', ip_address: ip, port: p.amqps });
  if (p.management !== null) out.push({ node, protocol: 'http', ip_address: ip, port: p.management });
  if (p.prometheus !== null) out.push({ node, protocol: 'http/prometheus', ip_address: ip, port: p.prometheus });
  for (const l of p.others) out.push({ node, protocol: l.protocol, ip_address: ip, port: l.port });
  return out;
}

function overview(c: Ctx): void {
  const b = c.m.broker;
  let queues = 0;
  let exchanges = 0;
  let consumers = 0;
  let ready = 0;
  let unacked = 0;
  for (const v of b.vhosts.values()) {
    if (!canSeeVHost(c, v.name)) continue;
    queues += v.queues.size;
    exchanges += v.exchanges.size;
    for (const q of v.queues.values()) {
      consumers += q.consumerCount;
      ready += q.messageCount;
      unacked += q.unackedCount;
    }
  }
  let channels = 0;
  for (const conn of b.connections.values()) channels += conn.channelInfos ? conn.channelInfos().length : 0;
  const last = c.m.rates.history[c.m.rates.history.length - 1];
  sendJson(c, 200, {
    management_version: RABBITMQ_COMPAT_VERSION,
    rates_mode: 'basic',
    sample_retention_policies: { global: [600, 3600, 28800, 86400], basic: [600, 3600], detailed: [600] },
    exchange_types: EXCHANGE_TYPES,
    product_version: VERSION,
    product_name: 'Warren',
    rabbitmq_version: RABBITMQ_COMPAT_VERSION,
    cluster_name: b.clusterName,
    erlang_version: process.version,
    erlang_full_version: `Node.js ${process.version}`,
    release_series_support_status: 'supported',
    disable_stats: false,
    enable_queue_totals: false,
    message_stats: {
      // the delivery side from the queues' counters, publish and the rest from what channels counted
      ...messageStats(c.m.rates.currentTotals(), c.m.rates.rates),
      ...nodeMessageStats(c.m.rates.nodeTotals(), c.m.rates.nodeRates),
    },
    churn_rates: {},
    queue_totals: {
      messages: ready + unacked,
      messages_details: { rate: c.m.rates.depthRates.messages },
      messages_ready: ready,
      messages_ready_details: { rate: c.m.rates.depthRates.ready },
      messages_unacknowledged: unacked,
      messages_unacknowledged_details: { rate: c.m.rates.depthRates.unacked },
    },
    object_totals: { channels, connections: b.connections.size, consumers, exchanges, queues },
    statistics_db_event_queue: 0,
    node: b.nodeName,
    listeners: listeners(c),
    contexts: [{ node: b.nodeName, description: 'Warren Management', path: '/', port: String(c.m.ports.management) }],
    // Warren: the sampled history behind the UI's charts (RabbitMQ returns "samples" per metric on request)
    warren_samples: last ? c.m.rates.history : [],
  });
}

/** Free bytes on the data directory's file system (what the disk alarm watches). */
function diskFree(c: Ctx): number {
  // 0 on a disk failed with ENOSPC on purpose, as the alarm sees it; storage 'memory' has no data directory
  return freeDiskBytes(c.m.options.dataDir) ?? freemem();
}

/** RabbitMQ's alarm list (rabbit_alarm:format_as_maps): the node, and resource "memory" or "disk space". */
export function alarmList(c: Ctx): { node: string; resource: string }[] {
  const a = c.m.broker.alarms;
  const node = c.m.broker.nodeName;
  const out = [];
  if (a.isRaised('disk')) out.push({ node, resource: 'disk space' });
  if (a.isRaised('memory')) out.push({ node, resource: 'memory' });
  return out;
}

/** rabbit_mgmt_wm_health_check_(local_)alarms: 200 ok, or 503 with the alarms in effect. */
function alarmsCheck(reason: string) {
  return (c: Ctx) => {
    const alarms = alarmList(c);
    if (alarms.length === 0) return ok(c);
    // key order as RabbitMQ's JSON (an Erlang map's keys sorted)
    sendJson(c, 503, { alarms, reason, status: 'failed' });
  };
}

function node(c: Ctx) {
  const mem = c.m.memory;
  return {
    name: c.m.broker.nodeName,
    type: 'disc',
    running: true,
    being_drained: false,
    os_pid: String(process.pid),
    mem_used: mem.used,
    mem_used_details: { rate: 0 },
    mem_calculation_strategy: mem.strategy,
    fd_used_details: { rate: 0 },
    sockets_used_details: { rate: 0 },
    proc_used_details: { rate: 0 },
    disk_free_details: { rate: 0 },
    config_files: [],
    db_dir: c.m.options.dataDir,
    cluster_links: [],
    mem_limit: mem.limit,
    mem_alarm: c.m.broker.alarms.isRaised('memory'),
    disk_free: diskFree(c),
    disk_free_limit: c.m.diskFreeLimit.limit,
    disk_free_alarm: c.m.broker.alarms.isRaised('disk'),
    fd_used: 0,
    fd_total: 1048576,
    sockets_used: c.m.broker.connections.size,
    sockets_total: 1048576,
    proc_used: 0,
    proc_total: 1048576,
    processors: cpus().length,
    uptime: Date.now() - c.m.broker.startedAt,
    run_queue: 0,
    rates_mode: 'basic',
    exchange_types: EXCHANGE_TYPES,
    auth_mechanisms: [
      { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true },
      { name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true },
    ],
    partitions: [],
    applications: [{ name: 'warren', description: 'Warren', version: VERSION }],
    contexts: [],
    log_files: [],
    net_ticktime: 60,
    enabled_plugins: ['rabbitmq_management', 'rabbitmq_prometheus'],
  };
}

/**
 * The body of a PUT to the memory watermark or the disk free limit: {"relative": n} (n >= 0) or {"absolute":
 * bytes or a size such as "2GB"}; anything else is 400 with `expected`.
 */
function limitSetting(c: Ctx, expected: string): { relative: number } | { absolute: number } {
  const b = bodyObject(c);
  const relative = b['relative'];
  if (typeof relative === 'number' && Number.isFinite(relative) && relative >= 0) return { relative };
  const absolute = b['absolute'];
  if (typeof absolute !== 'number' && typeof absolute !== 'string') throw badRequest(expected);
  try {
    return { absolute: parseSize(absolute, 'absolute') };
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

const ok = (c: Ctx) => sendJson(c, 200, { status: 'ok' });

export function registerOverview(r: Router): void {
  r.on('GET', '/api/overview', overview);
  r.on('GET', '/api/cluster-name', (c) => sendJson(c, 200, { name: c.m.broker.clusterName }));
  r.on('GET', '/api/nodes', (c) => {
    requireLevel(c, 'monitoring');
    sendJson(c, 200, nodeList(c, node(c)));
  });
  r.on('GET', '/api/nodes/:node', (c) => {
    requireLevel(c, 'monitoring');
    const name = c.params['node']!;
    if (name === c.m.broker.nodeName)
      return sendJson(
        c,
        200,
        nodeList(c, node(c)).find((n) => n['name'] === name),
      );
    const other = otherNode(c, name);
    if (other === null) throw notFound();
    sendJson(c, 200, other);
  });
  // Warren's own (RabbitMQ sets it with rabbitmqctl set_vm_memory_high_watermark, over Erlang
  // distribution): GET the setting and its value in bytes, PUT {"relative": 0.6} or {"absolute": "2GB"}
  r.on('GET', '/api/nodes/:node/vm-memory-high-watermark', (c) => {
    requireLevel(c, 'monitoring');
    if (c.params['node'] !== c.m.broker.nodeName) throw notFound();
    const m = c.m.memory;
    sendJson(c, 200, { setting: m.watermark, limit: m.limit, total: m.total, strategy: m.strategy, used: m.used });
  });
  r.on('PUT', '/api/nodes/:node/vm-memory-high-watermark', (c) => {
    requireLevel(c, 'administrator');
    if (c.params['node'] !== c.m.broker.nodeName) throw notFound();
    c.m.memory.setWatermark(limitSetting(c, 'expected {"relative": <fraction>} or {"absolute": <bytes or size>}'));
    sendStatus(c, 204);
  });
  // Warren's own, as the watermark above (rabbitmqctl set_disk_free_limit): GET the setting and its value
  // in bytes, PUT {"absolute": 2000000000 | "2GB"} or {"relative": 1.5} (a multiple of the total memory)
  r.on('GET', '/api/nodes/:node/disk-free-limit', (c) => {
    requireLevel(c, 'monitoring');
    if (c.params['node'] !== c.m.broker.nodeName) throw notFound();
    const d = c.m.diskFreeLimit;
    sendJson(c, 200, { setting: d.setting, limit: d.limit, total: d.total, free: diskFree(c) });
  });
  r.on('PUT', '/api/nodes/:node/disk-free-limit', (c) => {
    requireLevel(c, 'administrator');
    if (c.params['node'] !== c.m.broker.nodeName) throw notFound();
    c.m.diskFreeLimit.set(
      limitSetting(c, 'expected {"absolute": <bytes or size>} or {"relative": <multiple of total memory>}'),
    );
    sendStatus(c, 204);
  });
  r.on('GET', '/api/whoami', (c) => sendJson(c, 200, { name: c.user.name, tags: c.user.tags }));
  r.on('GET', '/api/extensions', (c) => sendJson(c, 200, []));
  r.on('GET', '/api/health/checks/alarms', alarmsCheck('There are alarms in effect in the cluster'));
  r.on('GET', '/api/health/checks/local-alarms', alarmsCheck('There are alarms in effect on the node'));
  r.on('GET', '/api/health/checks/virtual-hosts', ok);
  r.on('GET', '/api/health/checks/node-is-quorum-critical', ok);
  r.on('GET', '/api/health/checks/node-is-mirror-sync-critical', ok);
  r.on('GET', '/api/health/checks/certificate-expiration/:within/:unit', ok);
  r.on('GET', '/api/health/checks/port-listener/:port', (c) => {
    const port = Number(c.params['port']);
    if (listeners(c).some((l) => l.port === port)) return ok(c);
    throw new HttpError(503, 'failed', `No active listener on port ${c.params['port']}`);
  });
  r.on('GET', '/api/health/checks/protocol-listener/:protocol', (c) => {
    const p = c.params['protocol']!;
    const names: Record<string, string> = { amqp091: 'amqp', 'amqp0.9.1': 'amqp', amqp: 'amqp', http: 'http' };
    const want = names[p] ?? p;
    if (listeners(c).some((l) => l.protocol === want)) return ok(c);
    throw new HttpError(503, 'failed', `No active listener for protocol ${p}`);
  });
  r.on('GET', '/api/aliveness-test/:vhost', (c) => {
    // RabbitMQ declares aliveness-test, publishes and gets a message back
    const v = c.m.broker.vhosts.get(vhostParam(c))!;
    const q = v.declareQueue('aliveness-test', { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
    q.enqueue(makeMessage('', 'aliveness-test', { payload: 'test_message' }));
    const e = q.get(true);
    if (!e) throw new HttpError(503, 'failed', 'aliveness test failed');
    ok(c);
  });
}
