// auth_backends from configuration → the AuthService chain (RabbitMQ's rabbit.auth_backends): each entry a
// backend name (internal, oauth2, http, cache) or an {authn, authz} pair. `cache` is
// rabbitmq_auth_backend_cache in front of its cached_backend (only http is worth caching here: internal and
// OAuth 2 answer from memory).
import type { AuthnBackend } from './backend.js';
import { HttpBackend, type HttpAuthOptions } from './http.js';
import { InternalBackend } from './internal.js';
import { OAuth2Backend, type OAuth2Options } from './oauth2.js';
import type { ChainEntry } from './service.js';
import type { UserStore } from './users.js';

export type AuthBackendName = 'internal' | 'oauth2' | 'http' | 'cache';
export type AuthBackendSpec = AuthBackendName | { authn: AuthBackendName; authz: AuthBackendName };

export interface AuthCacheOptions {
  /** auth_cache.cached_backend: the backend whose answers are cached (http). */
  cachedBackend?: 'http';
  /** auth_cache.cache_ttl, ms. RabbitMQ's default 15000. */
  cacheTtl?: number;
}

export interface ChainConfig {
  authBackends: AuthBackendSpec[];
  oauth2: OAuth2Options | null;
  authHttp: HttpAuthOptions | null;
  authCache: AuthCacheOptions;
}

export function buildChain(users: UserStore, c: ChainConfig): ChainEntry[] {
  const made = new Map<AuthBackendName, AuthnBackend>();
  const backend = (name: AuthBackendName): AuthnBackend => {
    let b = made.get(name);
    if (b) return b;
    switch (name) {
      case 'internal':
        b = new InternalBackend(users);
        break;
      case 'oauth2':
        if (!c.oauth2) throw new Error('auth_backends names oauth2 but auth_oauth2.resource_server_id is not set');
        b = new OAuth2Backend(c.oauth2);
        break;
      case 'http':
      case 'cache': {
        if (!c.authHttp) throw new Error(`auth_backends names ${name} but the auth_http paths are not set`);
        const ttl = name === 'cache' ? (c.authCache.cacheTtl ?? 15000) : (c.authHttp.cacheTtl ?? 0);
        b = new HttpBackend({ ...c.authHttp, cacheTtl: ttl });
        break;
      }
      default:
        throw new Error(`unknown auth backend '${String(name)}'`);
    }
    made.set(name, b);
    return b;
  };
  if (c.authBackends.length === 0) throw new Error('auth_backends is empty');
  return c.authBackends.map((spec) => {
    if (typeof spec === 'string') return { authn: backend(spec) };
    const authn = backend(spec.authn);
    if (spec.authz === spec.authn) return { authn };
    if (spec.authz !== 'internal') {
      throw new Error(`auth_backends: authorisation from ${spec.authz} for ${spec.authn} logins is not supported`);
    }
    return { authn, authz: 'internal' };
  });
}
