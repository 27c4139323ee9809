// Headers exchange: a binding matches on the message's header table, per its x-match argument:
// all / any (binding arguments starting with "x-" ignored) and all-with-x / any-with-x (not ignored), as
// RabbitMQ's rabbit_exchange_type_headers. A void binding value matches any value of that header.
// Routing scans the bindings, as RabbitMQ does: header matching has no index to speak of. Each binding's
// arguments are compiled once (mode, and the keys and values to compare), so a publish costs no
// Object.keys() or mode parsing per binding.
import type { Message } from '../message.js';
import { Exchange, type Binding, type Destination } from './exchange.js';

type Mode = 'all' | 'any' | 'all-with-x' | 'any-with-x';

const NO_HEADERS: Record<string, unknown> = Object.freeze({});

export class HeadersExchange extends Exchange {
  readonly type = 'headers';
  private readonly list: Binding[] = [];
  private readonly matchers: HeadersMatcher[] = [];

  route(msg: Message, out: Destination[]): void {
    const n = this.list.length;
    if (n === 0) return;
    const headers = msg.headers() ?? NO_HEADERS;
    for (let i = 0; i < n; i++) if (this.matchers[i]!.test(headers)) out.push(this.list[i]!.destination);
  }

  protected addToIndex(b: Binding): void {
    this.list.push(b);
    this.matchers.push(new HeadersMatcher(b.args));
  }

  protected removeFromIndex(b: Binding): void {
    const i = this.list.indexOf(b);
    if (i < 0) return;
    this.list.splice(i, 1);
    this.matchers.splice(i, 1);
  }
}

/** One binding's arguments, compiled: x-match mode, and the header keys with the values they must have. */
export class HeadersMatcher {
  private readonly any: boolean;
  private readonly keys: string[] = [];
  private readonly values: unknown[] = [];

  constructor(args: Record<string, unknown>) {
    const m = args['x-match'];
    const mode: Mode = m === 'any' || m === 'all-with-x' || m === 'any-with-x' ? m : 'all';
    const withX = mode === 'all-with-x' || mode === 'any-with-x';
    this.any = mode === 'any' || mode === 'any-with-x';
    for (const k of Object.keys(args)) {
      if (k === 'x-match') continue;
      if (!withX && k.startsWith('x-')) continue;
      this.keys.push(k);
      this.values.push(args[k]);
    }
  }

  test(headers: Record<string, unknown>): boolean {
    const any = this.any;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const ok = k in headers && valueMatches(this.values[i], headers[k]);
      if (any && ok) return true;
      if (!any && !ok) return false;
    }
    return !any;
  }
}

export function matches(args: Record<string, unknown>, headers: Record<string, unknown>): boolean {
  return new HeadersMatcher(args).test(headers);
}

function valueMatches(bound: unknown, actual: unknown): boolean {
  if (bound === null || bound === undefined) return true;
  if (Buffer.isBuffer(bound) && Buffer.isBuffer(actual)) return bound.equals(actual);
  if (typeof bound === 'object' || typeof actual === 'object') return JSON.stringify(bound) === JSON.stringify(actual);
  return bound === actual;
}
