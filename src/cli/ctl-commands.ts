// rabbitmqctl's commands over the management API: names, arguments, default columns and output as
// rabbitmqctl 3.10 prints them ("Listing queues for vhost / ..." then a tab-separated table with a header;
// -q drops the banner; --formatter json prints a JSON array; --no-table-headers drops the header).
import { readFileSync, writeFileSync } from 'node:fs';
import {
  CtlClient,
  CtlError,
  enc,
  EX_DATAERR,
  EX_NOUSER,
  EX_SOFTWARE,
  EX_UNAVAILABLE,
  EX_USAGE,
} from './ctl-client.js';

export interface CtlOptions {
  vhost: string;
  quiet: boolean;
  formatter: 'table' | 'json';
  tableHeaders: boolean;
  priority?: string;
  applyTo?: string;
  description?: string;
  tags?: string;
  defaultQueueType?: string;
  ifEmpty?: boolean;
  ifUnused?: boolean;
  toExchange?: string;
  routingKey?: string;
  /** list_user_limits --user (rabbitmqctl's default: guest). */
  user?: string;
}

export interface Io {
  out(s: string): void;
}

type Row = Record<string, unknown>;

interface ListSpec {
  path: (o: CtlOptions) => string;
  banner: (o: CtlOptions) => string;
  defaults: string[];
  /** Columns rabbitmqctl accepts, mapped to a value getter (API field name when a string). */
  columns: Record<string, string | ((r: Row) => unknown)>;
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
};

/** rabbitmqctl's table rendering of a value: lists as [a, b], tables as [{k,v}], strings bare. */
function cell(v: unknown): string {
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
  const rows = r.status === 404 ? [] : (r.json as Row[]);
  const values = rows.map((r) =>
    cols.map((k) => {
      const g = spec.columns[k]!;
      return typeof g === 'string' ? r[g] : g(r);
    }),
  );
  if (o.formatter === 'json') {
    io.out(JSON.stringify(values.map((v) => Object.fromEntries(cols.map((k, i) => [k, v[i] ?? null])))) + '\n');
    return;
  }
  if (!o.quiet) io.out(spec.banner(o) + '\n');
  // like rabbitmqctl, no header line over an empty table
  if (o.tableHeaders && values.length > 0) io.out(cols.join('\t') + '\n');
  for (const v of values) io.out(v.map(cell).join('\t') + '\n');
  void name;
}

/** rabbitmqctl's refusal for a user that does not exist: {:no_such_user, "name"}, exit 69. */
async function userMustExist(c: CtlClient, user: string): Promise<void> {
  const r = await c.request('GET', `/api/users/${enc(user)}`);
  if (r.status === 404) throw new CtlError(`{:no_such_user, "${user}"}`, EX_UNAVAILABLE);
}

function need(args: string[], n: number): void {
  if (args.length < n) throw new CtlError('not enough arguments.', EX_USAGE);
  if (args.length > n) throw new CtlError('too many arguments.', EX_USAGE);
}

const userMissing = (u: string) => new CtlError(`User "${u}" does not exist`, EX_NOUSER);
const vhostMissing = (v: string) => new CtlError(`Virtual host '${v}' does not exist`, EX_DATAERR);

type Command = (c: CtlClient, args: string[], o: CtlOptions, io: Io) => Promise<void>;

/** rabbitmqctl status's Alarms section. */
function alarmLines(n: Row): string[] {
  const lines: string[] = [];
  if (n['disk_free_alarm'] === true) lines.push(`Free disk space alarm on node ${String(n['name'])}`);
  if (n['mem_alarm'] === true) lines.push(`Memory alarm on node ${String(n['name'])}`);
  return lines.length === 0 ? ['(none)'] : lines;
}

/** "0.4 of available memory" or "2000000000 bytes", as rabbitmqctl status. */
function watermarkText(wm: Row): string {
  const s = wm['setting'] as { relative?: number; absolute?: number } | undefined;
  if (s?.absolute !== undefined) return `${s.absolute} bytes`;
  return `${String(s?.relative)} of available memory`;
}

const info = (o: CtlOptions, io: Io, s: string) => {
  if (!o.quiet) io.out(s + '\n');
};

export const COMMANDS: Record<string, Command> = {
  async status(c, args, o, io) {
    need(args, 0);
    const ov = await c.get<Row>('/api/overview');
    const nodes = await c.get<Row[]>('/api/nodes');
    const n = nodes[0] ?? {};
    const wm = await c.get<Row>(`/api/nodes/${enc(String(n['name']))}/vm-memory-high-watermark`);
    if (o.formatter === 'json') {
      // rabbitmqctl status --formatter json's names for these
      const memory = {
        alarms: alarmLines(n).filter((l) => l !== '(none)'),
        vm_memory_calculation_strategy: n['mem_calculation_strategy'],
        vm_memory_high_watermark_setting: wm['setting'],
        vm_memory_high_watermark_limit: n['mem_limit'],
        disk_free_limit: n['disk_free_limit'],
        disk_free: n['disk_free'],
      };
      io.out(JSON.stringify({ overview: ov, node: n, ...memory }) + '\n');
      return;
    }
    info(o, io, `Status of node ${String(ov['node'])} ...`);
    const lines = [
      'Runtime',
      '',
      `OS PID: ${String(n['os_pid'])}`,
      `Uptime (seconds): ${Math.round(Number(n['uptime']) / 1000)}`,
      `Warren version: ${String(ov['product_version'])}`,
      `RabbitMQ compatibility version: ${String(ov['rabbitmq_version'])}`,
      `Node name: ${String(ov['node'])}`,
      `Runtime: ${String(ov['erlang_full_version'])}`,
      '',
      'Totals',
      '',
      ...Object.entries(ov['object_totals'] as Row).map(([k, v]) => `${k}: ${String(v)}`),
      '',
      'Alarms',
      '',
      ...alarmLines(n),
      '',
      'Memory',
      '',
      `Total memory used: ${String(n['mem_used'])} bytes`,
      `Calculation strategy: ${String(n['mem_calculation_strategy'])}`,
      `Memory high watermark setting: ${watermarkText(wm)}, computed to: ${String(n['mem_limit'])} bytes`,
      '',
      'Free Disk Space',
      '',
      `Low free disk space watermark: ${String(n['disk_free_limit'])} bytes`,
      `Free disk space: ${String(n['disk_free'])} bytes`,
      '',
      'Listeners',
      '',
      ...(ov['listeners'] as Row[]).map(
        (l) => `Interface: ${String(l['ip_address'])}, port: ${String(l['port'])}, protocol: ${String(l['protocol'])}`,
      ),
    ];
    io.out(lines.join('\n') + '\n');
  },
  async set_vm_memory_high_watermark(c, args, o, io) {
    // rabbitmqctl set_vm_memory_high_watermark <fraction> | absolute <value>
    const ov = await c.get<Row>('/api/overview');
    const node = String(ov['node']);
    const path = `/api/nodes/${enc(node)}/vm-memory-high-watermark`;
    if (args[0] === 'absolute') {
      need(args, 2);
      const v = args[1]!;
      if (!/^\d+(\.\d+)?\s*([kKmMgGtT]i?[bB]?|[kKmMgGtT][bB])?$/.test(v))
        throw new CtlError(`Bad argument: ${v}`, EX_DATAERR);
      info(o, io, `Setting memory threshold on ${node} to ${v} bytes ...`);
      await c.change('PUT', path, { absolute: v });
      return;
    }
    need(args, 1);
    const f = Number(args[0]);
    if (args[0]!.trim() === '' || !Number.isFinite(f) || f < 0) {
      throw new CtlError(`Bad argument: ${args[0]!}`, EX_DATAERR);
    }
    info(o, io, `Setting memory threshold on ${node} to ${args[0]!} ...`);
    await c.change('PUT', path, { relative: f });
  },
  async add_user(c, args, o, io) {
    need(args, 2);
    const [u, p] = args as [string, string];
    info(o, io, `Adding user "${u}" ...`);
    const r = await c.request('GET', `/api/users/${enc(u)}`);
    if (r.status === 200) throw new CtlError(`User "${u}" already exists`, EX_SOFTWARE);
    await c.change('PUT', `/api/users/${enc(u)}`, { password: p, tags: '' });
  },
  async delete_user(c, args, o, io) {
    need(args, 1);
    info(o, io, `Deleting user "${args[0]}" ...`);
    await c.change('DELETE', `/api/users/${enc(args[0]!)}`, undefined, userMissing(args[0]!));
  },
  async change_password(c, args, o, io) {
    need(args, 2);
    const [u, p] = args as [string, string];
    info(o, io, `Changing password for user "${u}" ...`);
    const r = await c.request('GET', `/api/users/${enc(u)}`);
    if (r.status === 404) throw userMissing(u);
    const tags = (r.json as Row)['tags'];
    await c.change('PUT', `/api/users/${enc(u)}`, { password: p, tags });
  },
  async set_user_tags(c, args, o, io) {
    if (args.length < 1) throw new CtlError('not enough arguments.', EX_USAGE);
    const [u, ...tags] = args as [string, ...string[]];
    info(o, io, `Setting tags for user "${u}" to [${tags.join(', ')}] ...`);
    const r = await c.request('GET', `/api/users/${enc(u)}`);
    if (r.status === 404) throw userMissing(u);
    await c.change('PUT', `/api/users/${enc(u)}`, { password_hash: (r.json as Row)['password_hash'], tags });
  },
  async add_vhost(c, args, o, io) {
    need(args, 1);
    info(o, io, `Adding vhost "${args[0]}" ...`);
    await c.change('PUT', `/api/vhosts/${enc(args[0]!)}`, {
      ...(o.description !== undefined ? { description: o.description } : {}),
      ...(o.tags !== undefined ? { tags: o.tags } : {}),
      ...(o.defaultQueueType !== undefined ? { default_queue_type: o.defaultQueueType } : {}),
    });
  },
  async delete_vhost(c, args, o, io) {
    need(args, 1);
    info(o, io, `Deleting vhost "${args[0]}" ...`);
    await c.change('DELETE', `/api/vhosts/${enc(args[0]!)}`, undefined, vhostMissing(args[0]!));
  },
  async set_permissions(c, args, o, io) {
    need(args, 4);
    const [u, conf, w, r] = args as [string, string, string, string];
    info(o, io, `Setting permissions for user "${u}" in vhost "${o.vhost}" ...`);
    if ((await c.request('GET', `/api/users/${enc(u)}`)).status === 404) throw userMissing(u);
    await c.change(
      'PUT',
      `/api/permissions/${enc(o.vhost)}/${enc(u)}`,
      { configure: conf, write: w, read: r },
      vhostMissing(o.vhost),
    );
  },
  async clear_permissions(c, args, o, io) {
    need(args, 1);
    info(o, io, `Clearing permissions for user "${args[0]}" in vhost "${o.vhost}" ...`);
    const r = await c.request('DELETE', `/api/permissions/${enc(o.vhost)}/${enc(args[0]!)}`);
    if (r.status !== 204 && r.status !== 404) throw new CtlError(`HTTP ${r.status}`, EX_SOFTWARE);
  },
  async set_topic_permissions(c, args, o, io) {
    need(args, 4);
    const [u, x, w, r] = args as [string, string, string, string];
    info(o, io, `Setting topic permissions on "${x}" for user "${u}" in vhost "${o.vhost}" ...`);
    if ((await c.request('GET', `/api/users/${enc(u)}`)).status === 404) throw userMissing(u);
    await c.change(
      'PUT',
      `/api/topic-permissions/${enc(o.vhost)}/${enc(u)}`,
      { exchange: x, write: w, read: r },
      vhostMissing(o.vhost),
    );
  },
  async clear_topic_permissions(c, args, o, io) {
    if (args.length < 1 || args.length > 2) throw new CtlError('not enough arguments.', EX_USAGE);
    info(o, io, `Clearing topic permissions for user "${args[0]}" in vhost "${o.vhost}" ...`);
    const r = await c.request('DELETE', `/api/topic-permissions/${enc(o.vhost)}/${enc(args[0]!)}`);
    if (r.status !== 204 && r.status !== 404) throw new CtlError(`HTTP ${r.status}`, EX_SOFTWARE);
  },
  async set_policy(c, args, o, io) {
    need(args, 3);
    const [name, pattern, def] = args as [string, string, string];
    let definition: unknown;
    try {
      definition = JSON.parse(def);
    } catch {
      throw new CtlError(`Could not parse JSON document: ${def}`, EX_DATAERR);
    }
    info(
      o,
      io,
      `Setting policy "${name}" for pattern "${pattern}" to "${def}" with priority "${o.priority ?? '0'}" for vhost "${o.vhost}" ...`,
    );
    await c.change(
      'PUT',
      `/api/policies/${enc(o.vhost)}/${enc(name)}`,
      {
        pattern,
        definition,
        priority: Number(o.priority ?? 0),
        'apply-to': o.applyTo ?? 'all',
      },
      vhostMissing(o.vhost),
    );
  },
  async clear_policy(c, args, o, io) {
    need(args, 1);
    info(o, io, `Clearing policy "${args[0]}" on vhost "${o.vhost}" ...`);
    await c.change(
      'DELETE',
      `/api/policies/${enc(o.vhost)}/${enc(args[0]!)}`,
      undefined,
      new CtlError(`Parameter does not exist`, EX_DATAERR),
    );
  },
  async purge_queue(c, args, o, io) {
    need(args, 1);
    info(o, io, `Purging queue '${args[0]}' in vhost '${o.vhost}' ...`);
    await c.change(
      'DELETE',
      `/api/queues/${enc(o.vhost)}/${enc(args[0]!)}/contents`,
      undefined,
      new CtlError(`Queue '${args[0]}' in vhost '${o.vhost}' does not exist`, EX_DATAERR),
    );
  },
  async delete_queue(c, args, o, io) {
    need(args, 1);
    info(o, io, `Deleting queue '${args[0]}' on vhost '${o.vhost}' ...`);
    const q = await c.request('GET', `/api/queues/${enc(o.vhost)}/${enc(args[0]!)}`);
    if (q.status === 404) throw new CtlError(`Queue '${args[0]}' in vhost '${o.vhost}' does not exist`, EX_DATAERR);
    const qs = [o.ifEmpty ? 'if-empty=true' : '', o.ifUnused ? 'if-unused=true' : ''].filter((s) => s !== '').join('&');
    await c.change('DELETE', `/api/queues/${enc(o.vhost)}/${enc(args[0]!)}${qs ? '?' + qs : ''}`);
    info(o, io, `Queue was successfully deleted with ${String((q.json as Row)['messages'])} messages`);
  },
  async close_connection(c, args, o, io) {
    need(args, 2);
    const [name, reason] = args as [string, string];
    info(o, io, `Closing connection ${name}, reason: ${reason}...`);
    const r = await c.request('DELETE', `/api/connections/${enc(name)}`);
    if (r.status !== 204) throw new CtlError(`connection ${name} not found`, EX_DATAERR);
    void reason;
  },
  async set_vhost_limits(c, args, o, io) {
    need(args, 1);
    let limits: Row;
    try {
      limits = JSON.parse(args[0]!) as Row;
    } catch {
      throw new CtlError(`Could not parse JSON document: ${args[0]}`, EX_DATAERR);
    }
    info(o, io, `Applying limits of ${args[0]} to vhost "${o.vhost}" ...`);
    for (const [k, v] of Object.entries(limits)) {
      await c.change('PUT', `/api/vhost-limits/${enc(o.vhost)}/${enc(k)}`, { value: v }, vhostMissing(o.vhost));
    }
  },
  async clear_vhost_limits(c, args, o, io) {
    need(args, 0);
    info(o, io, `Clearing vhost "${o.vhost}" limits ...`);
    for (const k of ['max-connections', 'max-queues']) {
      await c.change('DELETE', `/api/vhost-limits/${enc(o.vhost)}/${k}`, undefined, vhostMissing(o.vhost));
    }
  },
  async list_vhost_limits(c, args, o, io) {
    need(args, 0);
    const rows = await c.get<Row[]>(`/api/vhost-limits/${enc(o.vhost)}`);
    if (o.formatter === 'json') return io.out(JSON.stringify(rows.map((r) => r['value'])) + '\n');
    info(o, io, `Listing limits for vhost "${o.vhost}" ...`);
    for (const r of rows) io.out(JSON.stringify(r['value']) + '\n');
  },
  // rabbitmqctl set_user_limits / clear_user_limits / list_user_limits over /api/user-limits
  async set_user_limits(c, args, o, io) {
    need(args, 2);
    const [user, def] = args as [string, string];
    info(o, io, `Setting user limits to "${def}" for user "${user}" ...`);
    let limits: Row;
    try {
      limits = JSON.parse(def) as Row;
    } catch {
      throw new CtlError('JSON decoding error. Reason: badarg', EX_UNAVAILABLE);
    }
    await userMustExist(c, user);
    for (const [k, v] of Object.entries(limits)) {
      await c.change('PUT', `/api/user-limits/${enc(user)}/${enc(k)}`, { value: v });
    }
  },
  async clear_user_limits(c, args, o, io) {
    need(args, 2);
    const [user, name] = args as [string, string];
    info(
      o,
      io,
      name === 'all' ? `Clearing all limits for user "${user}" ...` : `Clearing "${name}" limit for user "${user}" ...`,
    );
    await userMustExist(c, user);
    for (const k of name === 'all' ? ['max-connections', 'max-channels'] : [name]) {
      await c.change('DELETE', `/api/user-limits/${enc(user)}/${enc(k)}`);
    }
  },
  async list_user_limits(c, args, o, io) {
    need(args, 0);
    const user = o.user ?? 'guest';
    info(o, io, `Listing limits for user "${user}" ...`);
    await userMustExist(c, user);
    const rows = await c.get<Row[]>(`/api/user-limits/${enc(user)}`);
    const value = JSON.stringify(rows[0]?.['value'] ?? {});
    // rabbitmqctl 3.10's json formatter wraps the document in a message
    io.out((o.formatter === 'json' ? JSON.stringify({ message: value }) : value) + '\n');
  },
  // Warren's own (not in rabbitmqctl): browse without consuming, redrive dead letters
  async browse_queue(c, args, o, io) {
    if (args.length < 1 || args.length > 2) throw new CtlError('not enough arguments.', EX_USAGE);
    const count = Number(args[1] ?? 10);
    const r = await c.request('POST', `/api/queues/${enc(o.vhost)}/${enc(args[0]!)}/browse`, { count });
    if (r.status === 404) throw new CtlError(`Queue '${args[0]}' in vhost '${o.vhost}' does not exist`, EX_DATAERR);
    const rows = r.json as Row[];
    if (o.formatter === 'json') return io.out(JSON.stringify(rows) + '\n');
    info(o, io, `Browsing queue '${args[0]}' in vhost '${o.vhost}' ...`);
    if (o.tableHeaders) io.out('position\trouting_key\tredelivered\tpayload\n');
    for (const m of rows)
      io.out([m['position'], m['routing_key'], m['redelivered'], m['payload']].map(cell).join('\t') + '\n');
  },
  async redrive_queue(c, args, o, io) {
    need(args, 1);
    info(o, io, `Redriving messages of queue '${args[0]}' in vhost '${o.vhost}' ...`);
    const body: Row = {};
    if (o.toExchange !== undefined) body['exchange'] = o.toExchange;
    if (o.routingKey !== undefined) body['routing_key'] = o.routingKey;
    const r = await c.request('POST', `/api/queues/${enc(o.vhost)}/${enc(args[0]!)}/redrive`, body);
    if (r.status === 404) throw new CtlError(`Queue or exchange not found`, EX_DATAERR);
    const j = r.json as Row;
    info(
      o,
      io,
      `Redriven: ${String(j['redriven'])}, unroutable: ${String(j['unroutable'])}, remaining: ${String(j['remaining'])}`,
    );
  },
  async export_definitions(c, args, o, io) {
    need(args, 1);
    const d = await c.get('/api/definitions');
    const text = JSON.stringify(d, null, 2);
    if (args[0] === '-') io.out(text + '\n');
    else {
      info(o, io, `Exporting definitions in JSON to a file at "${args[0]}" ...`);
      writeFileSync(args[0]!, text);
    }
  },
  async import_definitions(c, args, o, io) {
    need(args, 1);
    info(o, io, `Importing definitions in JSON from a file at "${args[0]}" ...`);
    let d: unknown;
    try {
      d = JSON.parse(readFileSync(args[0]!, 'utf8'));
    } catch (e) {
      throw new CtlError(`could not read definitions from ${args[0]}: ${(e as Error).message}`, EX_DATAERR);
    }
    await c.change('POST', '/api/definitions', d);
    info(o, io, `Successfully started definition import. This process is asynchronous and can take some time.`);
  },
};

for (const [name, spec] of Object.entries(LISTS)) {
  COMMANDS[name] = (c, args, o, io) => list(c, name, spec, args, o, io);
}
