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
  need,
} from './ctl-client.js';
import { cell, registerLists } from './ctl-lists.js';
import { STREAM_COMMANDS } from './ctl-streams.js';
import { registerCluster } from './ctl-cluster.js';
import { ALARM_COMMANDS } from './ctl-alarms.js';
import type { CtlCommand, CtlOptions, Io, Row } from './ctl-options.js';

/** rabbitmqctl's refusal for a user that does not exist: {:no_such_user, "name"}, exit 69. */
async function userMustExist(c: CtlClient, user: string): Promise<void> {
  const r = await c.request('GET', `/api/users/${enc(user)}`);
  if (r.status === 404) throw new CtlError(`{:no_such_user, "${user}"}`, EX_UNAVAILABLE);
}

const userMissing = (u: string) => new CtlError(`User "${u}" does not exist`, EX_NOUSER);
const vhostMissing = (v: string) => new CtlError(`Virtual host '${v}' does not exist`, EX_DATAERR);

type Command = CtlCommand;

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
    const n = nodes.find((x) => x['name'] === ov['node']) ?? nodes[0] ?? {};
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

registerLists(COMMANDS);
Object.assign(COMMANDS, STREAM_COMMANDS);
registerCluster(COMMANDS);
Object.assign(COMMANDS, ALARM_COMMANDS);
