// A stream's tracking in rabbitmq-streams' two forms, from Warren's /api/stream/tracking/VHOST/NAME
// (management/api/stream.ts; RabbitMQ's CLI calls osiris:read_tracking over Erlang RPC instead):
// - `stream_status --tracking NAME` (3.10, rabbit_stream_queue:tracking_status): type (sequence | offset),
//   reference, value (a publisher's {ChunkId, Sequence}, a consumer's offset);
// - `list_stream_tracking NAME [--all | --offset | --writer]` (3.11+, ListStreamTrackingCommand): type (writer |
//   offset), name, and `offset (sequence)` (`offset` with --offset), a writer's value as "ChunkId (Sequence)".
// Both list the rows as Erlang builds them: the offsets, then the sequences, each in the term order of their
// references, every row put in front of the last (so the sequences come first, last reference first).
import { CtlError, enc, EX_UNAVAILABLE, EX_USAGE, need, type CtlClient } from './ctl-client.js';
import type { CtlOptions, Io } from './ctl-options.js';
import { prettyFormatter, printTable } from './ctl-lists.js';
import { prettyTable } from './pretty-table.js';

interface Tracking {
  sequences: Array<{ reference: string; chunk_id: number; sequence: number }>;
  offsets: Array<{ reference: string; offset: number }>;
}

/** The stream's tracking; null when there is no such stream (or it is not a stream). */
async function fetchTracking(c: CtlClient, vhost: string, name: string): Promise<Tracking | null> {
  const r = await c.request('GET', `/api/stream/tracking/${enc(vhost)}/${enc(name)}`);
  if (r.status === 404 || r.status === 400) return null;
  if (r.status !== 200) await c.get(`/api/stream/tracking/${enc(vhost)}/${enc(name)}`); // throws its error
  return r.json as Tracking;
}

/** Erlang's term order of binaries: byte by byte. */
const byReference = (a: { reference: string }, b: { reference: string }): number =>
  Buffer.compare(Buffer.from(a.reference), Buffer.from(b.reference));

/** maps:fold over the offsets, then the sequences, each row prepended (module comment). */
function erlangRows<T>(
  t: Tracking,
  offset: (o: Tracking['offsets'][0]) => T,
  seq: (s: Tracking['sequences'][0]) => T,
): T[] {
  const rows = [...[...t.offsets].sort(byReference).map(offset), ...[...t.sequences].sort(byReference).map(seq)];
  return rows.reverse();
}

/** The table, or RabbitMQ's output for an empty list (PrettyTable's `Output` box holding `[]`, a blank line). */
function print(o: CtlOptions, io: Io, banner: string, cols: string[], values: unknown[][]): void {
  if (values.length > 0 || o.formatter === 'json') return printTable(o, io, banner, true, cols, values);
  if (!o.quiet) io.out(banner + '\n');
  io.out(prettyFormatter(o, true) ? prettyTable(o.tableHeaders ? ['Output'] : null, [['[]']]) : '\n');
}

/** `stream_status --tracking NAME` once stream_status has checked that NAME is a stream; `banner` its own. */
export async function printTrackingStatus(c: CtlClient, name: string, o: CtlOptions, io: Io): Promise<void> {
  const t = await fetchTracking(c, o.vhost, name);
  if (t === null) throw new CtlError('not_found', EX_UNAVAILABLE);
  // an Erlang tuple as each formatter writes it: ~p in the pretty table, inspect's "{0, 14}" in the plain one
  const tuple = (a: number, b: number): unknown =>
    o.formatter === 'json' ? [a, b] : prettyFormatter(o, true) ? `{${a},${b}}` : `{${a}, ${b}}`;
  const values = erlangRows(
    t,
    (x) => ['offset', x.reference, x.offset],
    (x) => ['sequence', x.reference, tuple(x.chunk_id, x.sequence)],
  );
  print({ ...o, quiet: true }, io, '', ['type', 'reference', 'value'], values);
}

export async function listStreamTracking(c: CtlClient, args: string[], o: CtlOptions, io: Io): Promise<void> {
  need(args, 1);
  const kinds = [o.trackingAll, o.trackingOffset, o.trackingWriter].filter((x) => x === true).length;
  if (kinds > 1) throw new CtlError('Specify only one of --all, --offset, --writer.', EX_USAGE);
  const name = args[0]!;
  const t = await fetchTracking(c, o.vhost, name);
  if (t === null) throw new CtlError('The stream does not exist.', EX_UNAVAILABLE);
  const onlyOffsets = o.trackingOffset === true;
  if (onlyOffsets) t.sequences = [];
  if (o.trackingWriter === true) t.offsets = [];
  const values = erlangRows(
    t,
    (x) => ['offset', x.reference, x.offset],
    (x) => ['writer', x.reference, `${x.chunk_id} (${x.sequence})`],
  );
  const cols = ['type', 'name', onlyOffsets ? 'offset' : 'offset (sequence)'];
  print(o, io, `Listing tracking information for stream ${name} ...`, cols, values);
}
