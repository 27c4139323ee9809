// `rabbitmq-streams` commands in warrenctl: add_super_stream and delete_super_stream, with the options,
// validation texts and output of RabbitMQ's AddSuperStreamCommand / DeleteSuperStreamCommand, through the
// management API's /api/stream/super-streams (management/api/super-streams.ts); and stream_status (members,
// offsets, readers, segments) from the stream queue's management fields, or with --tracking its tracking
// (ctl-stream-tracking.ts, with list_stream_tracking).
import { CtlError, enc, EX_DATAERR, EX_SOFTWARE, EX_UNAVAILABLE, EX_USAGE, need } from './ctl-client.js';
import { printTable } from './ctl-lists.js';
import { listStreamTracking, printTrackingStatus } from './ctl-stream-tracking.js';
import type { CtlCommand, CtlOptions, Row, StreamCtlOptions } from './ctl-options.js';

const UNITS: Record<string, number> = {};
for (const u of ['k', 'kiB', 'K', 'KIB', 'kib']) UNITS[u] = 1024;
for (const u of ['m', 'MiB', 'M', 'MIB', 'mib']) UNITS[u] = 1024 ** 2;
for (const u of ['g', 'GiB', 'G', 'GIB', 'gib']) UNITS[u] = 1024 ** 3;
for (const u of ['KB', 'kB', 'kb', 'Kb']) UNITS[u] = 1000;
for (const u of ['MB', 'mb', 'Mb']) UNITS[u] = 1000 ** 2;
for (const u of ['GB', 'gb', 'Gb']) UNITS[u] = 1000 ** 3;

/** rabbit_resource_monitor_misc:parse_information_unit: "100gb", "50mb", "1GiB", "1024"; null when invalid. */
export function parseInformationUnit(v: string): number | null {
  const m = /^([0-9]+)([a-zA-Z]*)$/.exec(v);
  if (m === null) return null;
  if (m[2] === '') return Number(m[1]);
  const mul = UNITS[m[2]!];
  return mul === undefined ? null : Number(m[1]) * mul;
}

/**
 * rabbit_date_time:parse_duration (ISO 8601: "PT10M30S", "P5DT8H") in seconds as AddSuperStreamCommand
 * counts them (a year 365 days, a month 30); null when invalid.
 */
export function parseDurationSeconds(v: string): number | null {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(v);
  if (m === null || v === 'P' || v.endsWith('T')) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  return y! * 365 * 86400 + mo! * 30 * 86400 + d! * 86400 + h! * 3600 + mi! * 60 + s!;
}

function usage(text: string): CtlError {
  return new CtlError(text, EX_USAGE);
}

/** AddSuperStreamCommand:validate/2 and stream_arguments/1: the arguments the API gets. */
export function superStreamBody(s: StreamCtlOptions): Record<string, unknown> {
  if (s.routingKeys !== undefined && s.bindingKeys !== undefined) throw usage('Specify --binding-keys only.');
  if (s.partitions !== undefined && (s.bindingKeys !== undefined || s.routingKeys !== undefined))
    throw usage('Specify --partitions or --binding-keys, not both.');
  const args: Record<string, string> = {};
  if (s.maxLengthBytes !== undefined) {
    const n = parseInformationUnit(s.maxLengthBytes);
    if (n === null) throw usage('Invalid value for --max-length-bytes, valid example values: 100gb, 50mb');
    args['max-length-bytes'] = String(n);
  }
  if (s.maxAge !== undefined) {
    const n = parseDurationSeconds(s.maxAge);
    if (n === null)
      throw usage(
        'Invalid value for --max-age, the value must a ISO 8601 duration, e.g. e.g. PT10M30S for 10 minutes ' +
          '30 seconds, P5DT8H for 5 days 8 hours.',
      );
    args['max-age'] = `${n}s`;
  }
  if (s.streamMaxSegmentSizeBytes !== undefined) {
    const n = parseInformationUnit(s.streamMaxSegmentSizeBytes);
    if (n === null) throw usage('Invalid value for --stream-max-segment-size-bytes, valid example values: 100gb, 50mb');
    args['stream-max-segment-size-bytes'] = String(n);
  }
  if (s.leaderLocator !== undefined) {
    if (!['client-local', 'balanced', 'random', 'least-leaders'].includes(s.leaderLocator))
      throw usage('Invalid value for --leader-locator, valid values are client-local, balanced.');
    args['queue-leader-locator'] = s.leaderLocator;
  }
  if (s.initialClusterSize !== undefined) {
    if (!/^\d+$/.test(s.initialClusterSize))
      throw usage('Invalid value for --initial-cluster-size, the value must be a positive integer.');
    if (Number(s.initialClusterSize) <= 0)
      throw usage('Invalid value for --initial-cluster-size, the value must be positive.');
    args['initial-cluster-size'] = s.initialClusterSize;
  }
  const keys = s.bindingKeys ?? s.routingKeys;
  if (keys !== undefined) return { 'binding-keys': keys, arguments: args };
  const p = s.partitions ?? '3'; // rabbitmq-streams' default
  if (!/^-?\d+$/.test(p)) throw usage(`invalid value for --partitions: ${p}`);
  if (Number(p) < 1) throw usage('The partition number must be greater than 0');
  return { partitions: Number(p), arguments: args };
}

function one(args: string[]): string {
  need(args, 1);
  return args[0]!;
}

const say = (o: CtlOptions, io: { out(s: string): void }, s: string): void => {
  if (!o.quiet) io.out(s + '\n');
};

const STATUS_COLUMNS = ['role', 'node', 'offset', 'committed_offset', 'first_offset', 'readers', 'segments'];

export const STREAM_COMMANDS: Record<string, CtlCommand> = {
  // StreamStatusCommand (3.10): a row per member, PrettyTable; errors as rabbit_stream_queue:status/2's
  async stream_status(c, args, o, io) {
    const name = one(args);
    const node = String(((await c.get('/api/overview')) as Row)['node']);
    const r = await c.request('GET', `/api/queues/${enc(o.vhost)}/${enc(name)}`);
    if (!o.quiet && o.formatter !== 'json') io.out(`Status of stream ${name} on node ${node} ...\n`);
    if (r.status === 404) throw new CtlError('not_found', EX_UNAVAILABLE);
    if (r.status !== 200) await c.get(`/api/queues/${enc(o.vhost)}/${enc(name)}`);
    const q = r.json as Row;
    if (q['type'] !== 'stream')
      throw new CtlError(`Cannot get stream status of a ${String(q['type'])} queue`, EX_UNAVAILABLE);
    if (o.tracking === true) return printTrackingStatus(c, name, o, io);
    const committed = typeof q['committed_offset'] === 'number' ? q['committed_offset'] : -1;
    const readers = (q['readers'] as Row | undefined) ?? {};
    const values = ((q['members'] as string[] | undefined) ?? [node]).map((m) => [
      m === q['leader'] ? 'writer' : 'replica',
      m,
      committed,
      committed,
      q['first_offset'] ?? 0,
      readers[m] ?? 0,
      q['segments'] ?? 0,
    ]);
    printTable({ ...o, quiet: true }, io, '', true, STATUS_COLUMNS, values);
  },
  list_stream_tracking: listStreamTracking,
  async add_super_stream(c, args, o, io) {
    const name = one(args);
    const body = superStreamBody(o.streams ?? {});
    say(o, io, 'Adding a super stream...');
    const r = await c.request('PUT', `/api/stream/super-streams/${enc(o.vhost)}/${enc(name)}`, body);
    if (r.status === 404) throw new CtlError(`Virtual host '${o.vhost}' does not exist`, EX_DATAERR);
    if (r.status < 200 || r.status > 299) {
      throw new CtlError((r.json as { reason?: string } | null)?.reason ?? `HTTP ${r.status}`, EX_SOFTWARE);
    }
    io.out(`Super stream ${name} has been created\n`);
  },
  async delete_super_stream(c, args, o, io) {
    const name = one(args);
    say(o, io, 'Deleting a super stream...');
    const r = await c.request('DELETE', `/api/stream/super-streams/${enc(o.vhost)}/${enc(name)}`);
    // rabbit_stream_manager:delete_super_stream's {error, stream_not_found}, exit code 70 as RabbitMQ's
    if (r.status === 404) throw new CtlError('stream_not_found', EX_SOFTWARE);
    if (r.status < 200 || r.status > 299) {
      throw new CtlError((r.json as { reason?: string } | null)?.reason ?? `HTTP ${r.status}`, EX_SOFTWARE);
    }
    io.out(`Super stream ${name} has been deleted\n`);
  },
};
