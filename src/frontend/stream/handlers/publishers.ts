// DeclarePublisher, DeletePublisher and QueryPublisherSequence (PROTOCOL.adoc). A publisher needs write
// permission on its stream; its id is unique on the connection and its reference (deduplication) unique per
// stream on the connection (PreconditionFailed otherwise, as rabbit_stream_reader). QueryPublisherSequence
// answers the last publishing id the stream recorded for the reference (0 when none): what a producer resumes
// after, across reconnects and restarts.
import type { FrameFields } from '../../../codec/stream/commands.js';
import { ResponseCode } from '../../../codec/stream/constants.js';
import { preconditionFailed, StreamError } from '../errors.js';
import { StreamPublisher } from '../publisher.js';
import type { StreamSession } from '../session.js';

export function handleDeclarePublisher(s: StreamSession, f: FrameFields<'DeclarePublisherRequest'>): void {
  const q = s.stream(f.stream);
  s.access!.check('queue', q.name, 'write');
  if (s.publishers.has(f.publisherId)) throw preconditionFailed('publisher id in use');
  const ref = f.publisherReference === null || f.publisherReference === '' ? null : f.publisherReference;
  if (ref !== null) {
    if (ref.length > 255) throw preconditionFailed('reference too long');
    for (const p of s.publishers.values()) {
      if (p.reference === ref && p.queue === q) throw preconditionFailed('reference in use');
    }
  }
  s.publishers.set(f.publisherId, new StreamPublisher(f.publisherId, ref, q, s, s.server.broker.store));
  s.send('DeclarePublisherResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK });
}

export function handleDeletePublisher(s: StreamSession, f: FrameFields<'DeletePublisherRequest'>): void {
  const p = s.publishers.get(f.publisherId);
  if (p === undefined) throw new StreamError(ResponseCode.PublisherDoesNotExist);
  p.close();
  s.publishers.delete(f.publisherId);
  s.send('DeletePublisherResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK });
}

export function handleQueryPublisherSequence(s: StreamSession, f: FrameFields<'QueryPublisherSequenceRequest'>): void {
  const q = s.stream(f.stream);
  s.access!.check('queue', q.name, 'read');
  s.send('QueryPublisherSequenceResponse', {
    correlationId: f.correlationId,
    responseCode: ResponseCode.OK,
    sequence: q.streamBacking!.tracking.publisherSequence(f.publisherReference) ?? 0,
  });
}
