// rabbitmqctl's list_* commands over the management API: each one's API path, banner, default columns and
// the columns it accepts, printed as rabbitmqctl 3.10 prints them (banner, then a tab-separated table with a
// header; -q drops the banner; --formatter json prints a JSON array; --no-table-headers drops the header).
import { CtlError, enc, EX_USAGE, type CtlClient } from './ctl-client.js';
import type { CtlCommand, CtlOptions, Io, ListSpec, Row } from './ctl-options.js';
import { prettyTable } from './pretty-table.js';
import { STREAM_GROUP_LISTS, connectionOf, streamOf } from './ctl-stream-groups.js';

/** A stream connection's `subscriptions`: its consumers, counted from /api/stream/consumers. */
async function countSubscriptions(c: CtlClient, rows: Row[], _o: CtlOptions, cols: string[]): Promise<Row[]> {
  if (!cols.includes('subscriptions')) return rows;
  const consumers = (await c.get('/api/stream/consumers')) as Row[];
  const n = new Map<unknown, number>();
  for (const k of consumers) {
    const name = connectionOf(k);
    n.set(name, (n.get(name) ?? 0) + 1);
  }
  for (const r of rows) r['subscriptions'] = n.get(r['name']) ?? 0;
  return rows;
}

const queueCols = [
  'name',
  'durable',
  'auto_delete',
  'arguments',
  'policy',
  'operator_policy',
  'effective_policy_definition',
  'exclusive',
  'exclusive_consumer_tag',
  'messages_ready',
  'messages_unacknowledged',
  'messages',
  'consumers',
  'consumer_utilisation',
  'state',
  'type',
  'vhost',
  'node',
];

const LISTS: Record<string, ListSpec> = {
  ...STREAM_GROUP_LISTS,
  list_queues: {
    path: (o) => `/api/queues/${enc(o.vhost)}`,
    banner: (o) => `Listing queues for vhost ${o.vhost} ...`,
    defaults: ['name', 'messages'],
    columns: {
      ...Object.fromEntries(queueCols.map((c) => [c, c])),
      message_bytes: () => 0,
      message_stats_publish: (r) => (r['message_stats'] as Row | undefined)?.['publish'] ?? 0,
    },
  },
  list_exchanges: {
    path: (o) => `/api/exchanges/${enc(o.vhost)}`,
    banner: (o) => `Listing exchanges for vhost ${o.vhost} ...`,
    defaults: ['name', 'type'],
    columns: Object.fromEntries(
      ['name', 'type', 'durable', 'auto_delete', 'internal', 'arguments', 'policy', 'vhost'].map((c) => [c, c]),
    ),
  },
  list_bindings: {
    path: (o) => `/api/bindings/${enc(o.vhost)}`,
    banner: (o) => `Listing bindings for vhost ${o.vhost}...`,
    defaults: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'],
    columns: {
      source_name: 'source',
      source_kind: () => 'exchange',
      destination_name: 'destination',
      destination_kind: 'destination_type',
      routing_key: 'routing_key',
      arguments: 'arguments',
      vhost: 'vhost',
    },
  },
  list_connections: {
    path: () => `/api/connections`,
    banner: () => `Listing connections ...`,
    defaults: ['user', 'peer_host', 'peer_port', 'state'],
    columns: Object.fromEntries(
      [
        'name',
        'user',
        'vhost',
        'peer_host',
        'peer_port',
        'host',
        'port',
        'state',
        'channels',
        'protocol',
        'auth_mechanism',
        'ssl',
        'frame_max',
        'channel_max',
        'timeout',
        'recv_oct',
        'send_oct',
        'recv_cnt',
        'send_cnt',
        'client_properties',
        'connected_at',
        'user_provided_name',
      ].map((c) => [c, c]),
    ),
  },
  list_channels: {
    path: () => `/api/channels`,
    banner: () => `Listing channels ...`,
    defaults: ['pid', 'user', 'consumer_count', 'messages_unacknowledged'],
    columns: {
      pid: 'name',
      name: 'name',
      connection: (r) => (r['connection_details'] as Row | undefined)?.['name'],
      number: 'number',
      user: 'user',
      vhost: 'vhost',
      transactional: 'transactional',
      confirm: 'confirm',
      consumer_count: 'consumer_count',
      messages_unacknowledged: 'messages_unacknowledged',
      messages_unconfirmed: 'messages_unconfirmed',
      messages_uncommitted: 'messages_uncommitted',
      acks_uncommitted: 'acks_uncommitted',
      prefetch_count: 'prefetch_count',
      global_prefetch_count: 'global_prefetch_count',
    },
  },
  list_consumers: {
    path: (o) => `/api/consumers/${enc(o.vhost)}`,
    banner: (o) => `Listing consumers in vhost ${o.vhost} ...`,
    defaults: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'arguments'],
    columns: {
      queue_name: (r) => (r['queue'] as Row)['name'],
      channel_pid: (r) => (r['channel_details'] as Row)['name'],
      consumer_tag: 'consumer_tag',
      ack_required: 'ack_required',
      prefetch_count: 'prefetch_count',
      active: 'active',
      activity_status: 'activity_status',
      exclusive: 'exclusive',
      arguments: 'arguments',
    },
  },
  list_users: {
    path: () => `/api/users`,
    banner: () => `Listing users ...`,
    defaults: ['user', 'tags'],
    columns: { user: 'name', tags: 'tags' },
  },
  list_vhosts: {
    path: () => `/api/vhosts`,
    banner: () => `Listing vhosts ...`,
    defaults: ['name'],
    columns: {
      name: 'name',
      description: 'description',
      tags: 'tags',
      default_queue_type: 'default_queue_type',
      tracing: 'tracing',
    },
  },
  list_permissions: {
    path: (o) => `/api/vhosts/${enc(o.vhost)}/permissions`,
    banner: (o) => `Listing permissions for vhost "${o.vhost}" ...`,
    defaults: ['user', 'configure', 'write', 'read'],
    columns: { user: 'user', configure: 'configure', write: 'write', read: 'read' },
  },
  list_topic_permissions: {
    path: (o) => `/api/vhosts/${enc(o.vhost)}/topic-permissions`,
    banner: (o) => `Listing topic permissions for vhost "${o.vhost}" ...`,
    defaults: ['user', 'exchange', 'write', 'read'],
    columns: { user: 'user', exchange: 'exchange', write: 'write', read: 'read' },
  },
  list_policies: {
    path: (o) => `/api/policies/${enc(o.vhost)}`,
    banner: (o) => `Listing policies for vhost "${o.vhost}" ...`,
    defaults: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
    columns: Object.fromEntries(['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'].map((c) => [c, c])),
  },
  list_operator_policies: {
    path: (o) => `/api/operator-policies/${enc(o.vhost)}`,
    banner: (o) => `Listing operator policy overrides for vhost "${o.vhost}" ...`,
    defaults: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
    columns: Object.fromEntries(['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'].map((c) => [c, c])),
  },
  // rabbitmq-streams' lists (the stream plugin's CLI commands; banners as its 3.10 commands print them), over
  // the stream plugin's management endpoints
  list_stream_connections: {
    pretty: true,
    // every vhost's (the command has no --vhost)
    path: () => `/api/stream/connections`,
    banner: () => `Listing stream connections ...`,
    defaults: ['conn_name'],
    columns: {
      auth_mechanism: 'auth_mechanism',
      client_properties: 'client_properties',
      conn_name: 'name',
      connected_at: 'connected_at',
      connection_state: 'state',
      frame_max: 'frame_max',
      heartbeat: 'timeout',
      host: 'host',
      peer_cert_issuer: 'peer_cert_issuer',
      peer_cert_subject: 'peer_cert_subject',
      peer_cert_validity: 'peer_cert_validity',
      peer_host: 'peer_host',
      peer_port: 'peer_port',
      port: 'port',
      recv_cnt: 'recv_cnt',
      recv_oct: 'recv_oct',
      send_cnt: 'send_cnt',
      send_oct: 'send_oct',
      send_pend: 'send_pend',
      ssl: 'ssl',
      ssl_cipher: 'ssl_cipher',
      ssl_hash: 'ssl_hash',
      ssl_key_exchange: 'ssl_key_exchange',
      ssl_protocol: 'ssl_protocol',
      subscriptions: 'subscriptions',
      user: 'user',
      vhost: 'vhost',
    },
    rows: countSubscriptions,
  },
  list_stream_consumers: {
    pretty: true,
    path: (o) => `/api/stream/consumers/${enc(o.vhost)}`,
    banner: () => `Listing stream consumers ...`,
    defaults: [
      'connection_pid',
      'subscription_id',
      'stream',
      'messages_consumed',
      'offset',
      'offset_lag',
      'credits',
      'active',
      'activity_status',
      'properties',
    ],
    columns: {
      active: 'active',
      activity_status: 'activity_status',
      connection_pid: connectionOf,
      credits: 'credits',
      messages_consumed: 'consumed',
      offset: 'offset',
      offset_lag: 'offset_lag',
      properties: 'properties',
      stream: streamOf,
      subscription_id: 'subscription_id',
    },
  },
  list_stream_publishers: {
    pretty: true,
    path: (o) => `/api/stream/publishers/${enc(o.vhost)}`,
    banner: () => `Listing stream publishers ...`,
    defaults: [
      'connection_pid',
      'publisher_id',
      'stream',
      'reference',
      'messages_published',
      'messages_confirmed',
      'messages_errored',
    ],
    columns: {
      connection_pid: connectionOf,
      messages_confirmed: 'confirmed',
      messages_errored: 'errored',
      messages_published: 'published',
      publisher_id: 'publisher_id',
      reference: 'reference',
      stream: streamOf,
    },
  },
};

/** rabbitmqctl's table rendering of a value: lists as [a, b], tables as [{k,v}], strings bare. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return `[${v.map(cell).join(', ')}]`;
  if (typeof v === 'object') {
    const e = Object.entries(v as Row);
    if (e.length === 0) return '[]';
    return JSON.stringify(v);
  }
  return String(v);
}

async function list(c: CtlClient, name: string, spec: ListSpec, args: string[], o: CtlOptions, io: Io): Promise<void> {
  const cols = args.length > 0 ? args : spec.defaults;
  const bad = cols.filter((k) => !(k in spec.columns));
  if (bad.length > 0) throw new CtlError(`Info key(s) ${bad.join(',')} are not supported`, EX_USAGE);
  // rabbitmqctl lists nothing (exit 0) for a vhost that does not exist
  const r = await c.request('GET', spec.path(o));
  if (r.status !== 200 && r.status !== 404) await c.get(spec.path(o));
  let rows = r.status === 404 ? [] : (r.json as Row[]);
  if (spec.rows !== undefined) rows = await spec.rows(c, rows, o, cols);
  const values = rows.map((r) =>
    cols.map((k) => {
      const g = spec.columns[k]!;
      return typeof g === 'string' ? r[g] : g(r);
    }),
  );
  printTable(o, io, spec.banner(o), spec.pretty === true, cols, values);
  void name;
}

/** Whether PrettyTable prints: --formatter pretty_table, or no --formatter and the command's default is it. */
export function prettyFormatter(o: CtlOptions, commandDefault: boolean): boolean {
  return o.formatterGiven === true ? o.formatter === 'pretty_table' : commandDefault;
}

/**
 * Rows as rabbitmqctl prints them: --formatter json an array of objects; else the banner (unless -q), then the
 * PrettyTable box (`pretty`: the command's default; or --formatter pretty_table) or tab-separated lines under a
 * header line (none over an empty table, as rabbitmqctl; none with --no-table-headers).
 */
export function printTable(
  o: CtlOptions,
  io: Io,
  banner: string,
  pretty: boolean,
  cols: string[],
  values: unknown[][],
): void {
  if (o.formatter === 'json') {
    io.out(JSON.stringify(values.map((v) => Object.fromEntries(cols.map((k, i) => [k, v[i] ?? null])))) + '\n');
    return;
  }
  if (!o.quiet) io.out(banner + '\n');
  if (prettyFormatter(o, pretty)) {
    if (values.length > 0)
      io.out(
        prettyTable(
          o.tableHeaders ? cols : null,
          values.map((v) => v.map(cell)),
        ),
      );
    return;
  }
  if (o.tableHeaders && values.length > 0) io.out(cols.join('\t') + '\n');
  for (const v of values) io.out(v.map(cell).join('\t') + '\n');
}

/** Add a command for each list to `commands`. */
export function registerLists(commands: Record<string, CtlCommand>): void {
  for (const [name, spec] of Object.entries(LISTS)) {
    commands[name] = (c, args, o, io) => list(c, name, spec, args, o, io);
  }
}
