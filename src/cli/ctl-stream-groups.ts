// rabbitmq-streams' single active consumer groups (RabbitMQ 3.11+): list_stream_consumer_groups (one row per
// group of the vhost: stream, reference, partition_index, consumers) and list_stream_group_consumers --stream
// S --reference R (one row per consumer of that group: subscription_id, connection_name, state active or
// inactive), with the banners and PrettyTable output of their Erlang commands
// (rabbit_stream_sac_coordinator:consumer_groups/group_consumers). Warren keeps no group registry apart from
// its subscriptions, so the groups are gathered from /api/stream/consumers: a group is the single active
// consumers of one stream under one `name` property; a partition's index is its place among its super stream's
// partitions (/api/stream/super-streams), -1 for a stream that is none.
import { CtlError, enc, EX_SOFTWARE, EX_USAGE, type CtlClient } from './ctl-client.js';
import type { CtlOptions, ListSpec, Row } from './ctl-options.js';

const props = (k: Row): Row => (k['properties'] as Row | undefined) ?? {};
/** The stream of a row of /api/stream/consumers or /api/stream/publishers. */
export const streamOf = (k: Row): string => String((k['queue'] as Row)['name']);
/** Its connection's name (rabbitmq-streams' `connection_pid` column: Warren has no pids). */
export const connectionOf = (k: Row): unknown => (k['connection_details'] as Row)['name'];
/** A single active consumer (its status says so: single_active or waiting). */
const isSac = (k: Row): boolean => k['activity_status'] === 'single_active' || k['activity_status'] === 'waiting';

/** The super streams of the vhost, asked for once per command and only if a group is a partition's. */
function superStreams(c: CtlClient, o: CtlOptions): () => Promise<Row[]> {
  let got: Promise<Row[]> | null = null;
  return () =>
    (got ??= c
      .request('GET', `/api/stream/super-streams/${enc(o.vhost)}`)
      .then((r) => (r.status === 200 ? (r.json as Row[]) : [])));
}

/** The index of `stream` among the partitions of `superStream` (-1: not one of them). */
async function partitionIndex(all: () => Promise<Row[]>, superStream: unknown, stream: string): Promise<number> {
  if (typeof superStream !== 'string') return -1;
  const s = (await all()).find((x) => x['name'] === superStream);
  const parts = (s?.['partitions'] as Row[] | undefined) ?? [];
  const i = parts.findIndex((p) => p['name'] === stream);
  // its binding's x-stream-partition-order, as the index RabbitMQ gives the group
  return i < 0 ? -1 : typeof parts[i]!['order'] === 'number' ? (parts[i]!['order'] as number) : i;
}

/** `consumers`: the vhost's stream consumers, as the list fetched them (its path). */
async function groups(c: CtlClient, consumers: Row[], o: CtlOptions): Promise<Row[]> {
  const all = superStreams(c, o);
  const byKey = new Map<string, Row>();
  for (const k of consumers.filter(isSac)) {
    const stream = streamOf(k);
    const reference = String(props(k)['name'] ?? '');
    const key = JSON.stringify([stream, reference]);
    let g = byKey.get(key);
    if (g === undefined) {
      const index = await partitionIndex(all, props(k)['super-stream'], stream);
      byKey.set(key, (g = { stream, reference, partition_index: index, consumers: 0 }));
    }
    g['consumers'] = Number(g['consumers']) + 1;
  }
  return [...byKey.values()];
}

async function groupConsumers(_c: CtlClient, consumers: Row[], o: CtlOptions): Promise<Row[]> {
  const { stream, reference } = o;
  if (stream === undefined || reference === undefined)
    throw new CtlError('Error (argument validation): not enough arguments.', EX_USAGE);
  const members = consumers.filter(
    (k) => isSac(k) && streamOf(k) === stream && String(props(k)['name'] ?? '') === reference,
  );
  if (members.length === 0) throw new CtlError('The group does not exist', EX_SOFTWARE);
  return members.map((k) => ({
    subscription_id: k['subscription_id'],
    connection_name: connectionOf(k),
    state: k['active'] === true ? 'active' : 'inactive',
  }));
}

const same = (cols: string[]): Record<string, string> => Object.fromEntries(cols.map((k) => [k, k]));

export const STREAM_GROUP_LISTS: Record<string, ListSpec> = {
  list_stream_consumer_groups: {
    pretty: true,
    path: (o) => `/api/stream/consumers/${enc(o.vhost)}`,
    banner: () => 'Listing stream consumer groups ...',
    defaults: ['stream', 'reference', 'partition_index', 'consumers'],
    columns: same(['stream', 'reference', 'partition_index', 'consumers']),
    rows: groups,
  },
  list_stream_group_consumers: {
    pretty: true,
    path: (o) => `/api/stream/consumers/${enc(o.vhost)}`,
    banner: () => 'Listing group consumers ...',
    defaults: ['subscription_id', 'connection_name', 'state'],
    columns: same(['subscription_id', 'connection_name', 'state']),
    rows: groupConsumers,
  },
};
