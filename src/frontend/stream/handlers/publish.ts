// Publish v1 and v2 (PROTOCOL.adoc "Publish"; v2 adds a filter value per message, 3.13), the hot path: the
// frame is read in place (codec PublishReader) and each message's bytes are copied once, into the stream's
// chunk being built (StreamBacking.appendRaw: stored as the client encoded them, AMQP 1.0). A sub-batch entry
// (compressed or not) is stored as one entry. With a publisher reference, a publishing id at or below the
// stream's recorded sequence is a duplicate (osiris writer tracking): confirmed, not stored again. Errors are
// PublishError frames with RabbitMQ's codes: unknown publisher (18), no write permission (16).
import { ResponseCode } from '../../../codec/stream/constants.js';
import { PublishReader } from '../../../codec/stream/publish-reader.js';
import { BrokerError } from '../../../core/errors.js';
import type { StreamPublisher } from '../publisher.js';
import type { StreamSession } from '../session.js';

export function handlePublish(s: StreamSession, buf: Buffer, start: number, end: number): void {
  const r = new PublishReader(buf, start, end);
  const p = s.publishers.get(r.publisherId);
  if (p === undefined) return publishError(s, r, ResponseCode.PublisherDoesNotExist, null);
  try {
    s.access!.check('queue', p.streamName, 'write');
  } catch (e) {
    if (!(e instanceof BrokerError)) throw e;
    return publishError(s, r, ResponseCode.AccessRefused, p);
  }
  const b = p.queue.streamBacking;
  if (b === null || p.queue.deleted) return publishError(s, r, ResponseCode.StreamDoesNotExist, p);
  s.blockIfAlarmed();
  const ref = p.reference;
  let seq = ref === null ? -1 : (b.tracking.publisherSequence(ref) ?? -1);
  let n = 0;
  while (r.next()) {
    const id = r.publishingId;
    if (ref !== null) {
      if (id <= seq) {
        p.confirmLater(id);
        continue;
      }
      seq = id;
    }
    if (r.subBatch) {
      b.appendSubBatch(r.compression, r.records, r.uncompressedLength, buf.subarray(r.messageStart, r.messageEnd));
      n += r.records;
    } else {
      b.appendRaw(buf, r.messageStart, r.messageEnd, r.filterStart < 0 ? null : r.filterValue!);
      n++;
    }
    // recorded with the chunk now being built, in its trailer: durable with these messages (tracking.ts)
    if (ref !== null) b.tracking.setPublisherSequence(ref, id);
    p.confirmLater(id);
  }
  p.published += n;
  s.readMessages += n;
  s.counters.published += n;
  s.g.received += n;
  p.queue.stats.publish += n;
}

function publishError(s: StreamSession, r: PublishReader, code: number, p: StreamPublisher | null): void {
  const ids: number[] = [];
  while (r.next()) ids.push(r.publishingId);
  if (p !== null) p.errored += ids.length;
  s.publishErrors(r.publisherId, ids, code);
}
