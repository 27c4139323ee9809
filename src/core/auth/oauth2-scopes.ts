// OAuth 2 scopes as RabbitMQ's rabbitmq_auth_backend_oauth2 reads them (rabbit_oauth2_scope, wildcard):
// after the `<resource_server_id>.` prefix is dropped, `read:<vhost>/<name>`, `write:…`, `configure:…`
// grant that permission on matching resources, and `<perm>:<vhost>/<exchange>/<routing key>` grants topic
// access; `tag:<tag>` adds a user tag. Patterns match with `*` as "any characters" (nothing else is special)
// and are URL-decoded piece by piece, so `%2F` is the default vhost '/'. `{vhost}` and `{<claim>}` in a
// scope are replaced by the vhost asked about and the token's claim (get_expanded_scopes).
import type { Access, TopicVariables } from './authz.js';

export interface ScopeGrant {
  access: Access;
  vhost: string;
  name: string;
  /** Present on topic scopes only. */
  routingKey: string | null;
}

/** One scope without its prefix → a grant, or null for scopes that grant nothing (tags, others). */
export function parseScope(scope: string): ScopeGrant | null {
  const colon = scope.indexOf(':');
  if (colon < 0) return null;
  const access = scope.slice(0, colon);
  if (access !== 'read' && access !== 'write' && access !== 'configure') return null;
  const parts = scope.slice(colon + 1).split('/');
  if (parts.length === 2) return { access, vhost: parts[0]!, name: parts[1]!, routingKey: null };
  if (parts.length === 3) return { access, vhost: parts[0]!, name: parts[1]!, routingKey: parts[2]! };
  return null;
}

/** RabbitMQ's wildcard:match/2: `*` is any run of characters; pieces are URL-decoded; a bad escape never matches. */
export function wildcardMatch(subject: string, pattern: string): boolean {
  let pieces: string[];
  try {
    pieces = pattern.split('*').map((p) => decodeURIComponent(p.replace(/\+/g, ' ')));
  } catch {
    return false;
  }
  const first = pieces[0]!;
  if (!subject.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < pieces.length; i++) {
    const part = pieces[i]!;
    if (part === '') {
      if (i === pieces.length - 1) return true; // a trailing wildcard takes the rest
      continue;
    }
    const at = subject.indexOf(part, pos);
    if (at < 0) return false;
    pos = at + part.length;
  }
  return pos === subject.length;
}

/** `{vhost}` and `{claim}` in a scope (rabbit_auth_backend_oauth2:parse_scope); an unknown name stays itself. */
export function expandScope(scope: string, vhost: string, claims: Record<string, unknown>): string {
  if (!scope.includes('{')) return scope;
  return scope.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
    if (name === 'vhost') return vhost;
    const v = claims[name];
    return typeof v === 'string' ? v : name;
  });
}

/**
 * The authorisation a token's scopes give (one object per login, replaced on update-secret). Scopes with
 * variables are expanded per check; the rest are parsed once.
 */
export class ScopeSet {
  private readonly fixed: ScopeGrant[] = [];
  private readonly templated: string[] = [];

  constructor(
    scopes: readonly string[],
    private readonly claims: Record<string, unknown>,
  ) {
    for (const s of scopes) {
      if (s.includes('{')) this.templated.push(s);
      else {
        const g = parseScope(s);
        if (g) this.fixed.push(g);
      }
    }
  }

  private grants(vhost: string): ScopeGrant[] {
    if (this.templated.length === 0) return this.fixed;
    const out = this.fixed.slice();
    for (const s of this.templated) {
      const g = parseScope(expandScope(s, vhost, this.claims));
      if (g) out.push(g);
    }
    return out;
  }

  /** rabbit_oauth2_scope:vhost_access: any permission scope whose vhost pattern matches. */
  vhost(vhost: string): boolean {
    return this.grants(vhost).some((g) => wildcardMatch(vhost, g.vhost));
  }

  resource(vhost: string, name: string, access: Access): boolean {
    return this.grants(vhost).some(
      (g) => g.access === access && wildcardMatch(vhost, g.vhost) && wildcardMatch(name, g.name),
    );
  }

  /** Topic access needs a scope with a routing-key pattern (a two-part scope grants none). */
  topic(
    vhost: string,
    exchange: string,
    routingKey: string,
    access: 'write' | 'read',
    _vars?: TopicVariables,
  ): boolean {
    return this.grants(vhost).some(
      (g) =>
        g.routingKey !== null &&
        g.access === access &&
        wildcardMatch(vhost, g.vhost) &&
        wildcardMatch(exchange, g.name) &&
        wildcardMatch(routingKey, g.routingKey),
    );
  }
}
