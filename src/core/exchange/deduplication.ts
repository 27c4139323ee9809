// The community plugin's deduplication exchange (rabbitmq-message-deduplication), type
// 'x-message-deduplication': routes as a fanout, after dropping a message whose `x-deduplication-header`
// value it has seen within `x-cache-ttl` ms (a per-message `x-cache-ttl` header overrides it), keeping at most
// `x-cache-size` values (required). A message without the header is never a duplicate. As the plugin's
// `x-cache-persistence`: 'memory' (its default) forgets the cache at restart, 'disk' keeps it. Argument
// errors are the plugin's (406 PRECONDITION_FAILED). Warren's own `x-message-deduplication: true` argument,
// on any exchange type, is the other way to the same cache (core/dedup.ts).
import { preconditionFailed } from '../errors.js';
import type { DedupOptions } from '../dedup.js';
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import { DestinationCounts, Exchange } from './exchange.js';

/** An integer > 0 given as a number or a numeric longstr (the plugin accepts both), else null. */
function positiveInt(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** The plugin's validate/1: refused at declare with its texts. */
export function validateDeduplicationArgs(args: Record<string, unknown>): void {
  if (positiveInt(args['x-cache-size']) === null) {
    throw preconditionFailed(`Missing or invalid argument, 'x-cache-size' must be an integer greater than 0`);
  }
  if (args['x-cache-ttl'] !== undefined && positiveInt(args['x-cache-ttl']) === null) {
    throw preconditionFailed(`Invalid argument, 'x-cache-ttl' must be an integer greater than 0`);
  }
  const p = args['x-cache-persistence'];
  if (p !== undefined && p !== 'disk' && p !== 'memory') {
    throw preconditionFailed(`Invalid argument, 'x-cache-persistence' must be either 'disk' or 'memory'`);
  }
}

export class DeduplicationExchange extends Exchange {
  readonly type = 'x-message-deduplication';
  private readonly dests = new DestinationCounts();

  // a fanout (the vhost drops duplicates before it routes)
  route(_msg: Message, out: Destination[]): void {
    this.dests.appendTo(out);
  }

  protected addToIndex(b: Binding): void {
    this.dests.add(b.destination);
  }

  protected removeFromIndex(b: Binding): void {
    this.dests.remove(b.destination);
  }

  /** The cache survives a restart only with x-cache-persistence 'disk' (and a durable exchange). */
  get persistentCache(): boolean {
    return this.args['x-cache-persistence'] === 'disk';
  }

  protected override dedupOptionsFrom(args: Record<string, unknown>): DedupOptions {
    return {
      header: null,
      size: positiveInt(args['x-cache-size']) ?? 1,
      ttl: positiveInt(args['x-cache-ttl']) ?? 0,
      // the plugin looks at x-deduplication-header only
      messageIdFallback: false,
    };
  }
}
