// The OAuth 2 backend (RabbitMQ's rabbitmq_auth_backend_oauth2): the password is a JWT access token
// (the user name may be empty). It is verified against the configured keys (jwt.ts), must not be expired
// (`exp` is required, as RabbitMQ requires it) and, with verify_aud, must name the resource server in `aud`.
// Its scopes (oauth2-scopes.ts) become the user's permissions and tags; the user name is the first
// preferred_username_claims claim present. Refusals are logged with RabbitMQ's texts; the client sees the
// usual "Login was refused" (service.ts).
import { readFileSync } from 'node:fs';
import type { AuthnBackend, LoginRequest } from './backend.js';
import type { Access, Authorizer, ResourceKind, TopicVariables } from './authz.js';
import { JwtError, parseJwks, parseKey, verifyJwt, type JwtKey } from './jwt.js';
import { ScopeSet } from './oauth2-scopes.js';
import { User } from './users.js';
import { now as clockNow } from '../../util/clock.js';

export interface OAuth2Options {
  /** auth_oauth2.resource_server_id: the scope prefix (with a dot) and the audience tokens must name. */
  resourceServerId: string;
  /** auth_oauth2.verify_aud: refuse tokens whose `aud` lacks resourceServerId. Default true. */
  verifyAud?: boolean;
  /** auth_oauth2.scope_prefix: default `<resourceServerId>.`. */
  scopePrefix?: string;
  /** auth_oauth2.signing_keys.<kid>: PEM public keys or certificates, JWKs, or symmetric secrets (HS256). */
  signingKeys?: Record<string, string | Buffer>;
  /** auth_oauth2.default_key: the key for tokens without `kid`. */
  defaultKey?: string;
  /** A JWKS document on disk (RabbitMQ fetches auth_oauth2.jwks_url; Warren reads a file). */
  jwksFile?: string;
  /** auth_oauth2.preferred_username_claims: default ['sub', 'client_id']. */
  preferredUsernameClaims?: string[];
  /** auth_oauth2.additional_scopes_key: more claims holding scopes (space-separated paths, dots nest). */
  additionalScopesKey?: string;
}

const PREFIX_REFUSED = 'Authentication using an OAuth 2/JWT token failed';

export class OAuth2Backend implements AuthnBackend {
  readonly name = 'oauth2';
  private readonly keys = new Map<string, JwtKey>();
  private readonly prefix: string;
  private readonly usernameClaims: string[];

  constructor(private readonly o: OAuth2Options) {
    for (const [kid, text] of Object.entries(o.signingKeys ?? {})) this.keys.set(kid, parseKey(text));
    if (o.jwksFile) for (const [kid, k] of parseJwks(readFileSync(o.jwksFile, 'utf8'))) this.keys.set(kid, k);
    this.prefix = o.scopePrefix ?? `${o.resourceServerId}.`;
    this.usernameClaims = o.preferredUsernameClaims ?? ['sub', 'client_id'];
  }

  login(req: LoginRequest): User | string {
    if (req.password === undefined) return `${PREFIX_REFUSED}: no token`;
    const t = this.check(req.password);
    if (typeof t === 'string') return t;
    const user = new User(this.username(t.claims), '', t.tags);
    user.authn = this.name;
    this.apply(user, t);
    return user;
  }

  updateSecret(user: User, secret: string): string | null {
    const t = this.check(secret);
    if (typeof t === 'string') return t;
    if (this.username(t.claims) !== user.name) return 'Not allowed to change username on refreshed token';
    this.apply(user, t);
    return null;
  }

  private apply(user: User, t: Checked): void {
    user.tags = t.tags;
    user.expiresAt = t.expiresAt;
    user.authz = new TokenAuthorizer(new ScopeSet(t.scopes, t.claims), t.expiresAt);
    user.generation++;
  }

  /** rabbit_auth_backend_oauth2:username_from: the first preferred claim that is a string, else 'unknown'. */
  private username(claims: Record<string, unknown>): string {
    for (const c of this.usernameClaims) {
      const v = claims[c];
      if (typeof v === 'string') return v;
    }
    return 'unknown';
  }

  private check(token: string): Checked | string {
    let claims: Record<string, unknown>;
    try {
      claims = verifyJwt(token, this.keys, this.o.defaultKey ?? null);
    } catch (e) {
      if (e instanceof JwtError) return `${PREFIX_REFUSED}: ${e.message}`;
      return `${PREFIX_REFUSED}: provided token is invalid`;
    }
    // rabbit_auth_backend_oauth2:validate_token_expiry
    const exp = claims['exp'];
    if (exp === undefined) return `${PREFIX_REFUSED}: Provided JWT token has no exp claim`;
    if (typeof exp !== 'number') {
      return `${PREFIX_REFUSED}: Provided JWT token has an invalid exp claim: value is not a number`;
    }
    const now = Math.floor(clockNow() / 1000);
    if (Math.trunc(exp) <= now) {
      return `${PREFIX_REFUSED}: Provided JWT token has expired at timestamp ${Math.trunc(exp)} (validated at ${now})`;
    }
    if (this.o.verifyAud !== false) {
      const aud = claims['aud'];
      const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!list.includes(this.o.resourceServerId)) {
        return `${PREFIX_REFUSED}: {invalid_aud, resource_id_not_found_in_aud}`;
      }
    }
    const all = this.scopesOf(claims);
    const scopes: string[] = [];
    const tags: string[] = [];
    for (const s of all) {
      if (!s.startsWith(this.prefix)) continue;
      const rest = s.slice(this.prefix.length);
      if (rest.startsWith('tag:')) {
        if (!tags.includes(rest.slice(4))) tags.push(rest.slice(4));
      } else scopes.push(rest);
    }
    return { claims, scopes, tags: tags.sort(), expiresAt: Math.trunc(exp) * 1000 };
  }

  /** The `scope` claim (a space-separated string or a list) plus additional_scopes_key's claims. */
  private scopesOf(claims: Record<string, unknown>): string[] {
    const out = toList(claims['scope']);
    for (const path of (this.o.additionalScopesKey ?? '').split(' ').filter((p) => p !== '')) {
      for (const v of valuesAt(
        claims,
        path.split('.').filter((k) => k !== ''),
      )) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          // a map keyed by resource server id holds that server's unprefixed scopes
          const mine = (v as Record<string, unknown>)[this.o.resourceServerId];
          for (const s of toList(mine)) out.push(`${this.o.resourceServerId}.${s}`);
        } else out.push(...toList(v));
      }
    }
    return [...new Set(out)];
  }
}

interface Checked {
  claims: Record<string, unknown>;
  scopes: string[];
  tags: string[];
  expiresAt: number;
}

function toList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(' ').filter((s) => s !== '');
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string');
  return [];
}

/** The values at a dotted path, walking into lists of maps (rabbit_auth_backend_oauth2:extract_token_value). */
function valuesAt(v: unknown, path: string[]): unknown[] {
  if (path.length === 0) return [v];
  if (Array.isArray(v)) return v.flatMap((e) => (e !== null && typeof e === 'object' ? valuesAt(e, path) : []));
  if (v === null || typeof v !== 'object') return [];
  const next = (v as Record<string, unknown>)[path[0]!];
  return next === undefined ? [] : valuesAt(next, path.slice(1));
}

/** A token's authorisation: its scopes, and nothing once it has expired (with_decoded_token). */
class TokenAuthorizer implements Authorizer {
  readonly async = false;
  constructor(
    private readonly scopes: ScopeSet,
    private readonly expiresAt: number,
  ) {}

  private live(): boolean {
    return clockNow() < this.expiresAt;
  }

  vhost(vhost: string): boolean {
    return this.live() && this.scopes.vhost(vhost);
  }

  resource(vhost: string, _kind: ResourceKind, name: string, access: Access): boolean {
    return this.live() && this.scopes.resource(vhost, name, access);
  }

  topic(vhost: string, exchange: string, routingKey: string, access: 'write' | 'read', vars?: TopicVariables): boolean {
    return this.live() && this.scopes.topic(vhost, exchange, routingKey, access, vars);
  }
}
