// The login options of `warren server` (flags, WARREN_* variables, config-file keys), with RabbitMQ's
// rabbitmq.conf names: auth_backends.1 = oauth2, auth_oauth2.*, auth_http.*, auth_cache.*,
// ssl_cert_login_from, mqtt.ssl_cert_login, stomp.ssl_cert_login. config.ts merges them into its table.
// Indexed rabbitmq.conf keys (auth_backends.<n>, auth_backends.<n>.authn/.authz,
// auth_oauth2.signing_keys.<kid>, auth_oauth2.preferred_username_claims.<n>) are folded into lists here.
import { readFileSync } from 'node:fs';
import type { BrokerOptions } from '../options.js';
import type { AuthBackendName, AuthBackendSpec } from '../core/auth/chain.js';
import type { CertLoginFrom, SanType } from '../core/auth/cert-login.js';

export interface AuthFlatConfig {
  authBackends?: string[];
  oauth2ResourceServerId?: string;
  oauth2VerifyAud?: boolean;
  oauth2ScopePrefix?: string;
  /** kid=path entries. */
  oauth2SigningKeys?: string[];
  oauth2DefaultKey?: string;
  oauth2JwksFile?: string;
  oauth2PreferredUsernameClaims?: string[];
  oauth2AdditionalScopesKey?: string;
  authHttpUserPath?: string;
  authHttpVhostPath?: string;
  authHttpResourcePath?: string;
  authHttpTopicPath?: string;
  authHttpMethod?: string;
  authCacheTtl?: number;
  sslCertLoginFrom?: string;
  sslCertLoginSanType?: string;
  sslCertLoginSanIndex?: number;
  mqttSslCertLogin?: boolean;
  stompSslCertLogin?: boolean;
}

interface Spec {
  flag: string;
  key: keyof AuthFlatConfig;
  kind: 'int' | 'string' | 'bool' | 'list';
  help: string;
  defaultText?: string;
  rabbitmqKey?: string;
}

export const AUTH_OPTIONS: Spec[] = [
  {
    flag: 'auth-backends',
    key: 'authBackends',
    kind: 'list',
    help: 'login backends in order: internal, oauth2, http, cache; authn:authz for a pair (http:internal)',
    defaultText: 'internal',
  },
  {
    flag: 'auth-oauth2-resource-server-id',
    key: 'oauth2ResourceServerId',
    kind: 'string',
    help: 'OAuth 2 resource server id (scope prefix, audience)',
    rabbitmqKey: 'auth_oauth2.resource_server_id',
  },
  {
    flag: 'auth-oauth2-verify-aud',
    key: 'oauth2VerifyAud',
    kind: 'bool',
    help: 'refuse tokens whose aud lacks the resource server id',
    defaultText: 'true',
    rabbitmqKey: 'auth_oauth2.verify_aud',
  },
  {
    flag: 'auth-oauth2-scope-prefix',
    key: 'oauth2ScopePrefix',
    kind: 'string',
    help: 'scope prefix (default: resource server id and a dot)',
    rabbitmqKey: 'auth_oauth2.scope_prefix',
  },
  {
    flag: 'auth-oauth2-signing-keys',
    key: 'oauth2SigningKeys',
    kind: 'list',
    help: 'kid=file of PEM public keys, JWKs or HMAC secrets, comma-separated (auth_oauth2.signing_keys.<kid>)',
  },
  {
    flag: 'auth-oauth2-default-key',
    key: 'oauth2DefaultKey',
    kind: 'string',
    help: 'the signing key for tokens without kid',
    rabbitmqKey: 'auth_oauth2.default_key',
  },
  {
    flag: 'auth-oauth2-jwks-file',
    key: 'oauth2JwksFile',
    kind: 'string',
    help: 'a JWKS document on disk (RabbitMQ fetches auth_oauth2.jwks_url)',
    rabbitmqKey: 'auth_oauth2.jwks_url',
  },
  {
    flag: 'auth-oauth2-preferred-username-claims',
    key: 'oauth2PreferredUsernameClaims',
    kind: 'list',
    help: 'token claims that name the user, in order',
    defaultText: 'sub,client_id',
  },
  {
    flag: 'auth-oauth2-additional-scopes-key',
    key: 'oauth2AdditionalScopesKey',
    kind: 'string',
    help: 'more token claims holding scopes',
    rabbitmqKey: 'auth_oauth2.additional_scopes_key',
  },
  {
    flag: 'auth-http-user-path',
    key: 'authHttpUserPath',
    kind: 'string',
    help: 'HTTP auth backend: login URL',
    rabbitmqKey: 'auth_http.user_path',
  },
  {
    flag: 'auth-http-vhost-path',
    key: 'authHttpVhostPath',
    kind: 'string',
    help: 'HTTP auth backend: vhost access URL',
    rabbitmqKey: 'auth_http.vhost_path',
  },
  {
    flag: 'auth-http-resource-path',
    key: 'authHttpResourcePath',
    kind: 'string',
    help: 'HTTP auth backend: queue/exchange access URL',
    rabbitmqKey: 'auth_http.resource_path',
  },
  {
    flag: 'auth-http-topic-path',
    key: 'authHttpTopicPath',
    kind: 'string',
    help: 'HTTP auth backend: topic access URL',
    rabbitmqKey: 'auth_http.topic_path',
  },
  {
    flag: 'auth-http-method',
    key: 'authHttpMethod',
    kind: 'string',
    help: 'HTTP auth backend: get or post',
    defaultText: 'get',
    rabbitmqKey: 'auth_http.http_method',
  },
  {
    flag: 'auth-cache-ttl',
    key: 'authCacheTtl',
    kind: 'int',
    help: "ms the 'cache' backend keeps HTTP answers",
    defaultText: '15000',
    rabbitmqKey: 'auth_cache.cache_ttl',
  },
  {
    flag: 'ssl-cert-login-from',
    key: 'sslCertLoginFrom',
    kind: 'string',
    help: 'certificate login name: distinguished_name, common_name or subject_alternative_name',
    defaultText: 'distinguished_name',
    rabbitmqKey: 'ssl_cert_login_from',
  },
  {
    flag: 'ssl-cert-login-san-type',
    key: 'sslCertLoginSanType',
    kind: 'string',
    help: 'SAN type for subject_alternative_name: dns, ip, email, uri, other_name',
    defaultText: 'dns',
    rabbitmqKey: 'ssl_cert_login_san_type',
  },
  {
    flag: 'ssl-cert-login-san-index',
    key: 'sslCertLoginSanIndex',
    kind: 'int',
    help: 'which SAN of that type (from 0)',
    defaultText: '0',
    rabbitmqKey: 'ssl_cert_login_san_index',
  },
  {
    flag: 'mqtt-ssl-cert-login',
    key: 'mqttSslCertLogin',
    kind: 'bool',
    help: 'MQTT over TLS: log in as the client certificate',
    rabbitmqKey: 'mqtt.ssl_cert_login',
  },
  {
    flag: 'stomp-ssl-cert-login',
    key: 'stompSslCertLogin',
    kind: 'bool',
    help: 'STOMP over TLS: log in as the client certificate',
    rabbitmqKey: 'stomp.ssl_cert_login',
  },
];

const BACKENDS = ['internal', 'oauth2', 'http', 'cache'];

/**
 * rabbitmq.conf's indexed keys in a config file → the flat keys: auth_backends.<n>[.authn|.authz],
 * auth_oauth2.signing_keys.<kid>, auth_oauth2.preferred_username_claims.<n>. Other keys are left.
 */
export function foldIndexedKeys(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const backends = new Map<number, { name?: string; authn?: string; authz?: string }>();
  const keys: string[] = [];
  const claims = new Map<number, string>();
  for (const [k, v] of Object.entries(data)) {
    let m = /^auth_backends\.(\d+)(?:\.(authn|authz))?$/.exec(k);
    if (m) {
      const e = backends.get(Number(m[1])) ?? {};
      e[(m[2] as 'authn' | 'authz' | undefined) ?? 'name'] = String(v);
      backends.set(Number(m[1]), e);
      continue;
    }
    m = /^auth_oauth2\.signing_keys\.(.+)$/.exec(k);
    if (m) {
      keys.push(`${m[1]}=${String(v)}`);
      continue;
    }
    m = /^auth_oauth2\.preferred_username_claims\.(\d+)$/.exec(k);
    if (m) {
      claims.set(Number(m[1]), String(v));
      continue;
    }
    out[k] = v;
  }
  if (backends.size > 0) {
    out['authBackends'] = [...backends.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, e]) => e.name ?? `${e.authn ?? 'internal'}:${e.authz ?? e.authn ?? 'internal'}`);
  }
  if (keys.length > 0) out['oauth2SigningKeys'] = keys;
  if (claims.size > 0)
    out['oauth2PreferredUsernameClaims'] = [...claims.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  return out;
}

/** The flat login options → BrokerOptions (key files read here). */
export function authBrokerOptions(c: AuthFlatConfig, o: BrokerOptions): void {
  if (c.authBackends !== undefined) o.authBackends = c.authBackends.map(backendSpec);
  if (c.oauth2ResourceServerId !== undefined) {
    const keys: Record<string, Buffer> = {};
    for (const e of c.oauth2SigningKeys ?? []) {
      const i = e.indexOf('=');
      if (i <= 0) throw new Error(`--auth-oauth2-signing-keys: expected kid=file, got '${e}'`);
      keys[e.slice(0, i)] = readFileSync(e.slice(i + 1));
    }
    o.oauth2 = {
      resourceServerId: c.oauth2ResourceServerId,
      signingKeys: keys,
      ...(c.oauth2VerifyAud !== undefined ? { verifyAud: c.oauth2VerifyAud } : {}),
      ...(c.oauth2ScopePrefix !== undefined ? { scopePrefix: c.oauth2ScopePrefix } : {}),
      ...(c.oauth2DefaultKey !== undefined ? { defaultKey: c.oauth2DefaultKey } : {}),
      ...(c.oauth2JwksFile !== undefined ? { jwksFile: c.oauth2JwksFile.replace(/^file:\/\//, '') } : {}),
      ...(c.oauth2PreferredUsernameClaims !== undefined
        ? { preferredUsernameClaims: c.oauth2PreferredUsernameClaims }
        : {}),
      ...(c.oauth2AdditionalScopesKey !== undefined ? { additionalScopesKey: c.oauth2AdditionalScopesKey } : {}),
    };
  }
  if (c.authHttpUserPath !== undefined) {
    const m = (c.authHttpMethod ?? 'get').toLowerCase();
    if (m !== 'get' && m !== 'post') throw new Error(`--auth-http-method: expected get or post, got '${m}'`);
    o.authHttp = {
      userPath: c.authHttpUserPath,
      vhostPath: c.authHttpVhostPath ?? c.authHttpUserPath,
      resourcePath: c.authHttpResourcePath ?? c.authHttpUserPath,
      topicPath: c.authHttpTopicPath ?? c.authHttpUserPath,
      httpMethod: m,
    };
  }
  if (c.authCacheTtl !== undefined) o.authCache = { cachedBackend: 'http', cacheTtl: c.authCacheTtl };
  if (c.sslCertLoginFrom !== undefined || c.sslCertLoginSanType !== undefined || c.sslCertLoginSanIndex !== undefined) {
    const from = c.sslCertLoginFrom ?? 'distinguished_name';
    if (!['distinguished_name', 'common_name', 'subject_alternative_name'].includes(from)) {
      throw new Error(`--ssl-cert-login-from: expected distinguished_name, common_name or subject_alternative_name`);
    }
    const san = c.sslCertLoginSanType ?? 'dns';
    if (!['dns', 'ip', 'email', 'uri', 'other_name'].includes(san)) {
      throw new Error(`--ssl-cert-login-san-type: expected dns, ip, email, uri or other_name`);
    }
    o.certLogin = { from: from as CertLoginFrom, sanType: san as SanType, sanIndex: c.sslCertLoginSanIndex ?? 0 };
  }
  if (c.mqttSslCertLogin !== undefined) o.mqttSslCertLogin = c.mqttSslCertLogin;
  if (c.stompSslCertLogin !== undefined) o.stompSslCertLogin = c.stompSslCertLogin;
}

/** 'oauth2', or 'http:internal' for an {authn, authz} pair; RabbitMQ's module names are accepted too. */
function backendSpec(s: string): AuthBackendSpec {
  const name = (n: string): AuthBackendName => {
    const short = n.replace(/^rabbit_auth_backend_/, '');
    if (!BACKENDS.includes(short)) throw new Error(`--auth-backends: unknown backend '${n}'`);
    return short as AuthBackendName;
  };
  const i = s.indexOf(':');
  if (i < 0) return name(s);
  return { authn: name(s.slice(0, i)), authz: name(s.slice(i + 1)) };
}
