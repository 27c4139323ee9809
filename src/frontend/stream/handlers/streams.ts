// Create, Delete, Metadata and StreamStats (PROTOCOL.adoc). Create declares a durable stream queue (configure
// permission) through core/super-stream.ts createStream, rabbit_stream_manager's: the client's arguments
// (max-length-bytes, max-age, …) become x-* queue arguments, a refused value or name (amq.*) is
// PreconditionFailed, any existing queue of that name StreamAlreadyExists. Delete (configure permission)
// deletes the queue: every connection with a publisher or subscription on it gets a MetadataUpdate. Metadata
// names this node (at the advertised host and port) as every stream's leader; a missing stream has code
// StreamDoesNotExist and no leader (0xffff).
import type { FrameFields } from '../../../codec/stream/commands.js';
import { ResponseCode } from '../../../codec/stream/constants.js';
import type { StreamMetadata } from '../../../codec/stream/schema.js';
import { StreamQueue } from '../../../core/queue/stream/stream-queue.js';
import { createStream } from '../../../core/super-stream.js';
import type { StreamSession } from '../session.js';

export function handleCreate(s: StreamSession, f: FrameFields<'CreateRequest'>): void {
  s.access!.check('queue', f.stream, 'configure');
  createStream(s.v!, f.stream, f.arguments);
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
      // one node: the last chunk written is committed as soon as it is written
      last_chunk_id: b.committedChunkId,
      committed_chunk_id: b.committedChunkId,
    },
  });
}
