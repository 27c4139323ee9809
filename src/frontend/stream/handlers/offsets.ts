// StoreOffset and QueryOffset (PROTOCOL.adoc): server-side offset tracking by reference (the consumer's
// name) per stream, kept by the stream's storage across restarts (storage/streams/tracking.ts). StoreOffset has
// no response: refusals are silent, as RabbitMQ's. QueryOffset answers NoOffset (0x13) for a reference never
// stored.
import type { FrameFields } from '../../../codec/stream/commands.js';
import { ResponseCode } from '../../../codec/stream/constants.js';
import { BrokerError } from '../../../core/errors.js';
import { StreamError } from '../errors.js';
import type { StreamSession } from '../session.js';

export function handleStoreOffset(s: StreamSession, f: FrameFields<'StoreOffset'>): void {
  try {
    const q = s.stream(f.stream);
    s.access!.check('queue', q.name, 'read');
    s.watchLookup(q);
    if (f.reference === '' || f.reference.length > 255) return;
    q.streamBacking!.tracking.storeOffset(f.reference, f.offset);
  } catch (e) {
    if (e instanceof StreamError || e instanceof BrokerError) return;
    throw e;
  }
}

export function handleQueryOffset(s: StreamSession, f: FrameFields<'QueryOffsetRequest'>): void {
  const q = s.stream(f.stream);
  s.access!.check('queue', q.name, 'read');
  s.watchLookup(q);
  const o = q.streamBacking!.tracking.storedOffset(f.reference);
  s.send('QueryOffsetResponse', {
    correlationId: f.correlationId,
    responseCode: o === undefined ? ResponseCode.NoOffset : ResponseCode.OK,
    offset: o ?? 0,
  });
}
