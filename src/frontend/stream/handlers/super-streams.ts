// Route, Partitions, CreateSuperStream and DeleteSuperStream (PROTOCOL.adoc, 3.11-3.13) over the core's super
// streams (core/super-stream.ts, rabbit_stream_manager's: an x-super-stream direct exchange and partition
// streams bound with x-stream-partition-order). Route answers the streams a routing key goes to ([] when none,
// OK as RabbitMQ's no_route); Partitions the partitions in order; a missing super stream is StreamDoesNotExist.
// Creating or deleting one takes rabbit_stream_utils' permissions: configure on the exchange and each partition,
// read on the exchange, write on each partition. Deleting sends MetadataUpdate to the partitions' publishers
// and consumers (through the queues' deletion).
import type { FrameFields } from '../../../codec/stream/commands.js';
import { ResponseCode } from '../../../codec/stream/constants.js';
import {
  createSuperStream,
  deleteSuperStream,
  routeSuperStream,
  superStreamPartitions,
  superStreamPermissions,
} from '../../../core/super-stream.js';
import type { StreamSession } from '../session.js';

function checkPermissions(s: StreamSession, name: string, partitions: string[]): void {
  for (const p of superStreamPermissions(name, partitions)) s.access!.check(p.kind, p.name, p.perm);
}

export function handleRoute(s: StreamSession, f: FrameFields<'RouteRequest'>): void {
  s.send('RouteResponse', {
    correlationId: f.correlationId,
    responseCode: ResponseCode.OK,
    streams: routeSuperStream(s.v!, f.superStream, f.routingKey),
  });
}

export function handlePartitions(s: StreamSession, f: FrameFields<'PartitionsRequest'>): void {
  s.send('PartitionsResponse', {
    correlationId: f.correlationId,
    responseCode: ResponseCode.OK,
    streams: superStreamPartitions(s.v!, f.superStream),
  });
}

export function handleCreateSuperStream(s: StreamSession, f: FrameFields<'CreateSuperStreamRequest'>): void {
  checkPermissions(s, f.superStream, f.partitions);
  createSuperStream(s.v!, f.superStream, f.partitions, f.arguments, f.bindingKeys);
  s.send('CreateSuperStreamResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK });
}

export function handleDeleteSuperStream(s: StreamSession, f: FrameFields<'DeleteSuperStreamRequest'>): void {
  const partitions = superStreamPartitions(s.v!, f.superStream);
  checkPermissions(s, f.superStream, partitions);
  s.send('DeleteSuperStreamResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK });
  deleteSuperStream(s.v!, f.superStream);
}
