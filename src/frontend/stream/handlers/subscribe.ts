// Subscribe, Unsubscribe, Credit and the client's ConsumerUpdate answer (PROTOCOL.adoc). Subscribe needs read
// permission; its offset specification (first, last, next, offset, timestamp) is resolved as the core does
// for x-stream-offset (core/queue/stream/stream-queue.ts startOffset). Properties: `name` (the consumer's
// name: offset tracking, single active consumer), `single-active-consumer` and `super-stream` (sac.ts), `filter.N` and
// `match-unfiltered` (chunks skipped by their bloom filter). Credit for an unknown subscription is answered
// with a Credit response (SubscriptionIdDoesNotExist), the only case it is answered.
import { BloomMatcher } from '../../../codec/stream/bloom.js';
import type { FrameFields } from '../../../codec/stream/commands.js';
import { ResponseCode } from '../../../codec/stream/constants.js';
import type { OffsetSpec as WireOffsetSpec } from '../../../codec/stream/schema.js';
import type { OffsetSpec, StreamBacking } from '../../../core/queue/stream/backing.js';
import { startOffset } from '../../../core/queue/stream/stream-queue.js';
import { superStreamPartitions } from '../../../core/super-stream.js';
import { preconditionFailed, StreamError } from '../errors.js';
import type { StreamSession } from '../session.js';
import { StreamSubscription } from '../subscription.js';

function coreSpec(w: WireOffsetSpec): OffsetSpec {
  switch (w.type) {
    case 'offset':
      return { kind: 'offset', offset: w.offset };
    case 'timestamp':
      return { kind: 'timestamp', ms: w.timestamp };
    default:
      return { kind: w.type };
  }
}

export function resolveOffset(b: StreamBacking, w: WireOffsetSpec): number {
  return startOffset(b, coreSpec(w));
}

/** filter.0, filter.1, … and match-unfiltered (3.13): the chunk-level filter, or null. */
function filterOf(props: Record<string, string>): BloomMatcher | null {
  const values: string[] = [];
  for (const k of Object.keys(props)) if (k.startsWith('filter.')) values.push(props[k]!);
  if (values.length === 0) return null;
  return new BloomMatcher(values, props['match-unfiltered'] === 'true');
}

export function handleSubscribe(s: StreamSession, f: FrameFields<'SubscribeRequest'>): void {
  const q = s.stream(f.stream);
  s.access!.check('queue', q.name, 'read');
  if (s.subscriptions.has(f.subscriptionId)) throw new StreamError(ResponseCode.SubscriptionIdAlreadyExists);
  const props = f.properties ?? {};
  if (props['single-active-consumer'] === 'true' && !props['name']) {
    throw preconditionFailed('single active consumer needs a name');
  }
  const sub = new StreamSubscription(f.subscriptionId, q, props, f.credit, filterOf(props), s);
  s.subscriptions.set(f.subscriptionId, sub);
  s.send('SubscribeResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK });
  if (sub.sacKey !== null) {
    // a super stream's partition: its index spreads the group's active consumers (sac.ts)
    const superStream = props['super-stream'];
    if (superStream) sub.partitionIndex = superStreamPartitions(s.v!, superStream).indexOf(q.name);
    // the active one is asked where to start (ConsumerUpdate); the others wait
    s.server.sac.join(sub);
    return;
  }
  sub.start(resolveOffset(q.streamBacking!, f.offsetSpec));
}

export function handleUnsubscribe(s: StreamSession, f: FrameFields<'UnsubscribeRequest'>): void {
  const sub = s.subscriptions.get(f.subscriptionId);
  if (sub === undefined) throw new StreamError(ResponseCode.SubscriptionIdDoesNotExist);
  s.subscriptions.delete(f.subscriptionId);
  s.dropSubscription(sub);
  s.send('UnsubscribeResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK });
}

export function handleCredit(s: StreamSession, f: FrameFields<'Credit'>): void {
  const sub = s.subscriptions.get(f.subscriptionId);
  if (sub === undefined) {
    s.send('CreditResponse', {
      responseCode: ResponseCode.SubscriptionIdDoesNotExist,
      subscriptionId: f.subscriptionId,
    });
    return;
  }
  sub.addCredit(f.credit);
}

/** The client's answer to ConsumerUpdate: where the newly active consumer starts. */
export function handleConsumerUpdateResponse(s: StreamSession, f: FrameFields<'ConsumerUpdateResponse'>): void {
  const u = s.pendingUpdates.get(f.correlationId);
  if (u === undefined) return;
  s.pendingUpdates.delete(f.correlationId);
  if (u.answered !== null) return u.answered();
  const sub = u.sub;
  const b = sub.queue.streamBacking;
  if (!sub.active || b === null) return;
  sub.start(resolveOffset(b, f.offsetSpec));
}
