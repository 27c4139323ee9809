// Headers exchange: a binding matches on the message's header table, per its x-match argument:
// all / any (binding arguments starting with "x-" ignored) and all-with-x / any-with-x (not ignored), as
// RabbitMQ's rabbit_exchange_type_headers. A void binding value matches any value of that header.
// Routing scans the bindings, as RabbitMQ does: header matching has no index to speak of.
import type { Binding, Destination } from '../binding.js';
import type { Message } from '../message.js';
import { Exchange } from './exchange.js';

type Mode = 'all' | 'any' | 'all-with-x' | 'any-with-x';

export class HeadersExchange extends Exchange {
  readonly type = 'headers';
  private readonly list: Binding[] = [];

  route(msg: Message, out: Destination[]): void {
    if (this.list.length === 0) return;
    const headers = msg.headers() ?? {};
    for (const b of this.list) if (matches(b.args, headers)) out.push(b.destination);
  }

  protected addToIndex(b: Binding): void {
    this.list.push(b);
  }

  protected removeFromIndex(b: Binding): void {
    const i = this.list.indexOf(b);
    if (i >= 0) this.list.splice(i, 1);
  }
}

export function matches(args: Record<string, unknown>, headers: Record<string, unknown>): boolean {
  const m = args['x-match'];
  const mode: Mode = m === 'any' || m === 'all-with-x' || m === 'any-with-x' ? m : 'all';
  const withX = mode === 'all-with-x' || mode === 'any-with-x';
  const any = mode === 'any' || mode === 'any-with-x';
  for (const k of Object.keys(args)) {
    if (k === 'x-match') continue;
    if (!withX && k.startsWith('x-')) continue;
    const ok = k in headers && valueMatches(args[k], headers[k]);
    if (any && ok) return true;
    if (!any && !ok) return false;
  }
  return !any;
}

function valueMatches(bound: unknown, actual: unknown): boolean {
  if (bound === null || bound === undefined) return true;
  if (Buffer.isBuffer(bound) && Buffer.isBuffer(actual)) return bound.equals(actual);
  if (typeof bound === 'object' || typeof actual === 'object') return JSON.stringify(bound) === JSON.stringify(actual);
  return bound === actual;
}
