// The login options of `warren server`: flags, WARREN_* variables and rabbitmq.conf names in a config file
// (auth_backends.<n>, auth_oauth2.*, auth_http.*, auth_cache.cache_ttl, ssl_cert_login_*, *.ssl_cert_login,
// prometheus.ssl.port) → startBroker options.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readConfigFile, readEnv, toBrokerOptions } from '../../src/cli/config.js';
import { resolveOptions } from '../../src/options.js';

test('a YAML config file with rabbitmq.conf keys configures the chain, OAuth 2, HTTP and certificate logins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-authconf-'));
  try {
    writeFileSync(join(dir, 'k1.pem'), '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n');
    const f = join(dir, 'warren.yaml');
    writeFileSync(
      f,
      [
        'auth_backends.1: oauth2',
        'auth_backends.2.authn: http',
        'auth_backends.2.authz: internal',
        'auth_backends.3: rabbit_auth_backend_internal',
        'auth_oauth2.resource_server_id: rabbitmq',
        'auth_oauth2.verify_aud: false',
        `auth_oauth2.signing_keys.k1: ${join(dir, 'k1.pem')}`,
        'auth_oauth2.default_key: k1',
        'auth_oauth2.preferred_username_claims.1: user_name',
        'auth_oauth2.preferred_username_claims.2: sub',
        'auth_oauth2.additional_scopes_key: roles',
        'auth_http.user_path: http://auth/user',
        'auth_http.vhost_path: http://auth/vhost',
        'auth_http.resource_path: http://auth/resource',
        'auth_http.topic_path: http://auth/topic',
        'auth_http.http_method: post',
        'ssl_cert_login_from: common_name',
        'mqtt.ssl_cert_login: true',
        'stomp.ssl_cert_login: true',
        'prometheus.ssl.port: 15691',
      ].join('\n'),
    );
    const o = toBrokerOptions(readConfigFile(f));
    assert.deepEqual(o.authBackends, ['oauth2', { authn: 'http', authz: 'internal' }, 'internal']);
    assert.equal(o.oauth2?.resourceServerId, 'rabbitmq');
    assert.equal(o.oauth2?.verifyAud, false);
    assert.equal(o.oauth2?.defaultKey, 'k1');
    assert.match(String(o.oauth2?.signingKeys?.['k1']), /BEGIN PUBLIC KEY/);
    assert.deepEqual(o.oauth2?.preferredUsernameClaims, ['user_name', 'sub']);
    assert.equal(o.oauth2?.additionalScopesKey, 'roles');
    assert.deepEqual(o.authHttp, {
      userPath: 'http://auth/user',
      vhostPath: 'http://auth/vhost',
      resourcePath: 'http://auth/resource',
      topicPath: 'http://auth/topic',
      httpMethod: 'post',
    });
    assert.equal(o.certLogin?.from, 'common_name');
    assert.equal(o.mqttSslCertLogin, true);
    assert.equal(o.stompSslCertLogin, true);
    assert.equal(o.prometheusTlsPort, 15691);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WARREN_* variables; defaults; bad values are errors', () => {
  const o = toBrokerOptions(
    readEnv({
      WARREN_AUTH_BACKENDS: 'cache,internal',
      WARREN_AUTH_HTTP_USER_PATH: 'http://a/u',
      WARREN_AUTH_CACHE_TTL: '5000',
      WARREN_SSL_CERT_LOGIN_FROM: 'subject_alternative_name',
      WARREN_SSL_CERT_LOGIN_SAN_TYPE: 'email',
      WARREN_SSL_CERT_LOGIN_SAN_INDEX: '1',
    }),
  );
  assert.deepEqual(o.authBackends, ['cache', 'internal']);
  assert.equal(o.authHttp?.topicPath, 'http://a/u');
  assert.deepEqual(o.authCache, { cachedBackend: 'http', cacheTtl: 5000 });
  assert.deepEqual(o.certLogin, { from: 'subject_alternative_name', sanType: 'email', sanIndex: 1 });
  const d = resolveOptions({});
  assert.deepEqual(d.authBackends, ['internal']);
  assert.deepEqual(d.certLogin, { from: 'distinguished_name', sanType: 'dns', sanIndex: 0 });
  assert.equal(d.prometheusTlsPort, null);
  assert.throws(() => toBrokerOptions({ authBackends: ['ldap'] }), /unknown backend 'ldap'/);
  assert.throws(() => toBrokerOptions({ sslCertLoginFrom: 'serial' }), /ssl-cert-login-from/);
  assert.throws(() => toBrokerOptions({ authHttpUserPath: 'http://x', authHttpMethod: 'put' }), /get or post/);
});
