// Create, Delete, Metadata and StreamStats (PROTOCOL.adoc). Create declares a durable stream queue (configure
// permission) with the client's arguments mapped as rabbit_stream_manager maps them (max-length-bytes,
// max-age, stream-max-segment-size-bytes, …  → x-* queue arguments; a value the queue refuses is
// PreconditionFailed); any existing queue of that name is StreamAlreadyExists. Delete (configure permission)
// deletes the queue: every connection with a publisher or subscription on it gets a MetadataUpdate. Metadata
// names this node (at the advertised host and port) as every stream's leader; a missing stream has code
// StreamDoesNotExist and no leader (0xffff).
import type { FrameFields } from '../../../codec/stream/commands.js';
import { ResponseCode } from '../../../codec/stream/constants.js';
import type { StreamMetadata } from '../../../codec/stream/schema.js';
import { StreamQueue } from '../../../core/queue/stream/stream-queue.js';
import { preconditionFailed, StreamError } from '../errors.js';
import type { StreamSession } from '../session.js';

/** Create's argument keys → queue arguments (rabbit_stream_manager stream_queue_arguments/2). */
const NUMERIC: Record<string, string> = {
  'max-length-bytes': 'x-max-length-bytes',
  'stream-max-segment-size-bytes': 'x-stream-max-segment-size-bytes',
  'initial-cluster-size': 'x-initial-cluster-size',
  'stream-filter-size-bytes': 'x-stream-filter-size-bytes',
};
const TEXT: Record<string, string> = {
  'max-age': 'x-max-age',
  'queue-leader-locator': 'x-queue-leader-locator',
};

export function streamArguments(args: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { 'x-queue-type': 'stream' };
  for (const [k, v] of Object.entries(args)) {
    const n = NUMERIC[k];
    if (n !== undefined) {
      if (!/^\d+$/.test(v)) throw preconditionFailed(`invalid ${k}: ${v}`);
      out[n] = Number(v);
    } else if (TEXT[k] !== undefined) out[TEXT[k]] = v;
  }
  return out;
}

/** Declares stream `name` (used by Create and by super streams' partitions). */
export function createStream(s: StreamSession, name: string, args: Record<string, string>): void {
  const v = s.v!;
  // rabbit_stream_utils:enforce_correct_name: empty and amq.* names are refused
  if (name === '' || name.length > 255 || name.startsWith('amq.')) throw preconditionFailed('invalid stream name');
  s.access!.check('queue', name, 'configure');
  if (v.queues.has(name)) throw new StreamError(ResponseCode.StreamAlreadyExists);
  v.declareQueue(name, { durable: true, exclusive: false, autoDelete: false, args: streamArguments(args) }, null);
}

export function handleCreate(s: StreamSession, f: FrameFields<'CreateRequest'>): void {
  createStream(s, f.stream, f.arguments);
  s.send('CreateResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK });
}

export function handleDelete(s: StreamSession, f: FrameFields<'DeleteRequest'>): void {
  const q = s.stream(f.stream);
  s.access!.check('queue', q.name, 'configure');
  s.send('DeleteResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK });
  s.v!.deleteQueueObject(q);
}

export function handleMetadata(s: StreamSession, f: FrameFields<'MetadataRequest'>): void {
  const v = s.v!;
  const streamMetadata: StreamMetadata[] = [];
  let any = false;
  for (const name of f.streams) {
    const q = v.queues.get(name);
    if (q instanceof StreamQueue && !q.deleted) {
      any = true;
      streamMetadata.push({ stream: name, responseCode: ResponseCode.OK, leaderReference: 0, replicasReferences: [] });
    } else {
      streamMetadata.push({
        stream: name,
        responseCode: ResponseCode.StreamDoesNotExist,
        leaderReference: 0xffff,
        replicasReferences: [],
      });
    }
  }
  const a = s.server.advertised(s.tls, s.localAddress, s.localPort);
  s.send('MetadataResponse', {
    correlationId: f.correlationId,
    brokers: any ? [{ reference: 0, host: a.host, port: a.port }] : [],
    streamMetadata,
  });
}

export function handleStreamStats(s: StreamSession, f: FrameFields<'StreamStatsRequest'>): void {
  const q = s.stream(f.stream);
  s.access!.check('queue', q.name, 'read');
  const b = q.streamBacking!;
  const empty = b.committedChunkId < 0;
  s.send('StreamStatsResponse', {
    correlationId: f.correlationId,
    responseCode: ResponseCode.OK,
    stats: {
      first_chunk_id: empty ? -1 : b.chunkStartFor(b.firstOffset),
      committed_chunk_id: b.committedChunkId,
    },
  });
}
