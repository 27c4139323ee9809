// Message deduplication, opt-in per exchange or queue (as the community rabbitmq-message-deduplication
// plugin): `x-message-deduplication: true`, the key from the header named by `x-deduplication-header`
// (default: the plugin's own `x-deduplication-header` message header, else the message_id property), a
// bounded cache (`x-cache-size`, default 100,000 keys, oldest evicted first) and an optional time window
// (`x-cache-ttl` ms, or the message's own `x-cache-ttl` header). A duplicate is dropped without being routed
// or enqueued (its publisher still gets basic.ack: it was accepted, once). Messages without a key are never
// duplicates. On an exchange a key is held for the window; on a queue, as the plugin's queue-level
// deduplication, only while its message is in the queue (Queue.gone forgets it). Caches of durable
// exchanges are kept by the DedupStore across restarts; queues' caches are memory only, as the plugin's.
import type { Message } from './message.js';
import { now as clockNow } from '../util/clock.js';

export const DEFAULT_CACHE_SIZE = 100000;

/** Where deduplication caches of durable exchanges and queues are kept (storage implements it). */
export interface DedupStore {
  /** Key `key` of `owner` ("vhost\0exchange\0name" or "...queue...") seen; expires at `exp` (0 never). */
  seen(owner: string, key: string, exp: number): void;
  /** The owner is gone (deleted): forget its keys. */
  drop(owner: string): void;
}

export interface DedupOptions {
  header: string | null;
  size: number;
  /** ms; 0 = no window (bounded by size only); a message's own `x-cache-ttl` header overrides it */
  ttl: number;
  /** Without the header, the message_id property is the key (Warren's argument); the plugin's type: none. */
  messageIdFallback: boolean;
}

/** Deduplication options from x-arguments, or null when off. */
export function dedupOptions(args: Record<string, unknown>): DedupOptions | null {
  if (args['x-message-deduplication'] !== true) return null;
  const h = args['x-deduplication-header'];
  const size = args['x-cache-size'];
  const ttl = args['x-cache-ttl'];
  return {
    header: typeof h === 'string' && h !== '' ? h : null,
    size: typeof size === 'number' && size > 0 ? Math.floor(size) : DEFAULT_CACHE_SIZE,
    ttl: typeof ttl === 'number' && ttl > 0 ? Math.floor(ttl) : 0,
    messageIdFallback: true,
  };
}

export class DedupCache {
  /** key -> expiry (0 never); Map keeps insertion order, so the oldest is first. */
  private readonly keys = new Map<string, number>();
  store: DedupStore | null = null;

  constructor(
    readonly owner: string,
    readonly options: DedupOptions,
  ) {}

  get size(): number {
    return this.keys.size;
  }

  /** The message's deduplication key, or null. */
  keyOf(msg: Message): string | null {
    const h = msg.headers();
    const name = this.options.header ?? 'x-deduplication-header';
    const v = h?.[name];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    return this.options.messageIdFallback ? msg.format.messageId(msg.props) : null;
  }

  /** True when `msg` is a duplicate; otherwise remembers its key. */
  isDuplicate(msg: Message, now = clockNow()): boolean {
    const key = this.keyOf(msg);
    if (key === null) return false;
    const exp = this.keys.get(key);
    if (exp !== undefined && (exp === 0 || exp > now)) return true;
    if (exp !== undefined) this.keys.delete(key);
    // the plugin's per-message override of the window: an x-cache-ttl header (ms)
    const own = msg.headers()?.['x-cache-ttl'];
    const ttl = typeof own === 'number' && own > 0 ? Math.floor(own) : this.options.ttl;
    const e = ttl > 0 ? now + ttl : 0;
    this.remember(key, e, now);
    this.store?.seen(this.owner, key, e);
    return false;
  }

  /** `msg` left the queue that holds this cache: its key is free again (queue-level deduplication). */
  forget(msg: Message): void {
    const key = this.keyOf(msg);
    if (key !== null) this.keys.delete(key);
  }

  clear(): void {
    this.keys.clear();
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Add a key (also used by restore). */
  remember(key: string, exp: number, now = clockNow()): void {
    this.keys.set(key, exp);
    // expired keys at the front go first (with one window they are in expiry order), then the oldest
    for (const [k, x] of this.keys) {
      if (x !== 0 && x <= now) this.keys.delete(k);
      else break;
    }
    while (this.keys.size > this.options.size) this.keys.delete(this.keys.keys().next().value!);
  }
}
