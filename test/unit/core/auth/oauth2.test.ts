// OAuth 2 pieces without sockets: RabbitMQ's wildcard matching and scope parsing, JWT verification with
// node:crypto (RS/ES/HS, kid and default key, alg confusion), and update-secret through AuthService
// (same user only, permissions and expiry replaced in place).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandScope, parseScope, ScopeSet, wildcardMatch } from '../../../../src/core/auth/oauth2-scopes.js';
import { parseKey, verifyJwt, type JwtKey } from '../../../../src/core/auth/jwt.js';
import { OAuth2Backend } from '../../../../src/core/auth/oauth2.js';
import { AuthService, type AuthenticatedConnection } from '../../../../src/core/auth/service.js';
import { UserStore, type User } from '../../../../src/core/auth/users.js';
import { permitted } from '../../../../src/core/auth/permissions.js';
import { ecKey, hmacKey, rsaKey, token } from '../../../helpers/jwt.js';
import { releaseVirtualClock, useVirtualClock } from '../../../../src/util/clock.js';

test('wildcard:match: * is any run, pieces URL-decoded, anything else literal', () => {
  assert.ok(wildcardMatch('/', '%2F'));
  assert.ok(wildcardMatch('orders.eu.new', 'orders.*'));
  assert.ok(wildcardMatch('abc', '*'));
  assert.ok(wildcardMatch('abc', 'a*c'));
  assert.ok(wildcardMatch('a.b.c', '*.b.*'));
  assert.ok(!wildcardMatch('abcd', 'a*c'));
  assert.ok(!wildcardMatch('xabc', 'abc*'));
  assert.ok(!wildcardMatch('a.b', 'a.b.c'));
  assert.ok(!wildcardMatch('a+b', 'a.b'), 'regex characters are literal');
  assert.ok(!wildcardMatch('x', '%zz'), 'a bad escape never matches');
});

test('scopes: permission scopes with two or three parts; others ignored; variables expanded', () => {
  assert.deepEqual(parseScope('read:%2F/q*'), { access: 'read', vhost: '%2F', name: 'q*', routingKey: null });
  assert.deepEqual(parseScope('write:*/amq.topic/a.*'), {
    access: 'write',
    vhost: '*',
    name: 'amq.topic',
    routingKey: 'a.*',
  });
  assert.equal(parseScope('tag:administrator'), null);
  assert.equal(parseScope('read:only-one-part'), null);
  assert.equal(parseScope('delete:*/*'), null);
  assert.equal(expandScope('read:{vhost}/{client_id}.*', 'v1', { client_id: 'app' }), 'read:v1/app.*');
  const s = new ScopeSet(['read:{vhost}/{sub}.*', 'write:%2F/x', 'write:%2F/amq.topic/k.*'], { sub: 'svc' });
  assert.ok(s.vhost('any'), 'a {vhost} scope reaches every vhost');
  assert.ok(s.resource('v', 'svc.q', 'read'));
  assert.ok(!s.resource('v', 'other.q', 'read'));
  assert.ok(s.resource('/', 'amq.topic', 'write'), 'a topic scope grants the exchange too');
  assert.ok(s.topic('/', 'amq.topic', 'k.1', 'write'));
  assert.ok(!s.topic('/', 'x', 'k.1', 'write'), 'a two-part scope grants no topic access');
});

test('JWT: RS256, ES256, HS256; kid or default key; a public key never verifies an HMAC token', () => {
  const rsa = rsaKey('r');
  const ec = ecKey('e');
  const hs = hmacKey('secret', 'h');
  const keys = new Map<string, JwtKey>([
    ['r', parseKey(rsa.verify)],
    ['e', parseKey(JSON.stringify(ec.jwk))],
    ['h', parseKey(hs.verify)],
  ]);
  for (const k of [rsa, ec, hs]) assert.equal(verifyJwt(token(k, { sub: 's' }), keys, null)['sub'], 's');
  assert.equal(verifyJwt(token({ ...rsa, kid: null }, { sub: 'd' }), keys, 'r')['sub'], 'd');
  assert.throws(() => verifyJwt(token({ ...rsa, kid: null }, {}), keys, null), /no_signing_key/);
  assert.throws(() => verifyJwt(token(rsaKey('zz'), {}), keys, null), /key_not_found: zz/);
  assert.throws(() => verifyJwt(token(rsaKey('r'), {}), keys, null), /signature_invalid/);
  // alg confusion: an HS256 token "signed" with the RSA public key's PEM as the secret
  const confused = token({ ...hmacKey(rsa.verify, 'r') }, { sub: 'evil' });
  assert.throws(() => verifyJwt(confused, keys, null), /signature_invalid/);
  assert.throws(() => verifyJwt('a.b', keys, null), /invalid/);
});

test('update-secret: a new token of the same user replaces permissions and expiry; another user is refused', async () => {
  // the expiry timer is on the broker's clock: the virtual clock makes the token expire without waiting
  const clock = useVirtualClock();
  const rsa = rsaKey('r');
  const users = new UserStore();
  const auth = new AuthService(
    users,
    () => [],
    () => true,
  );
  auth.chain = [{ authn: new OAuth2Backend({ resourceServerId: 'rmq', signingKeys: { r: rsa.verify } }) }];
  const t = (sub: string, scope: string, expiresIn = 60) =>
    token(rsa, { sub, aud: 'rmq', scope, expiresIn }, clock.now());
  const u = (await auth.login({
    username: '',
    password: t('alice', 'rmq.read:%2F/a'),
    mechanism: 'PLAIN',
    remoteAddress: '127.0.0.1',
    protocol: 'amqp',
  })) as User;
  assert.equal(u.name, 'alice');
  let expired = 0;
  const conn: AuthenticatedConnection = { userObj: u, credentialExpired: () => expired++ };
  auth.watchExpiry(conn);
  assert.ok(permitted(u, '/', 'queue', 'a', 'read'));
  const gen = u.generation;
  assert.equal(await auth.refreshSecret(conn, t('alice', 'rmq.read:%2F/b rmq.tag:management', 1)), null);
  assert.ok(u.generation > gen, 'channel caches drop');
  assert.ok(!permitted(u, '/', 'queue', 'a', 'read'));
  assert.ok(permitted(u, '/', 'queue', 'b', 'read'));
  assert.deepEqual(u.tags, ['management']);
  assert.equal(
    await auth.refreshSecret(conn, t('mallory', 'rmq.read:*/*')),
    'Not allowed to change username on refreshed token',
  );
  assert.match(String(await auth.refreshSecret(conn, 'junk')), /OAuth 2\/JWT token failed/);
  // the timer follows the refreshed token (exp one second on, in whole seconds as JWT has them)
  clock.advance(Math.max(0, u.expiresAt! - clock.now() - 1));
  assert.equal(expired, 0, 'not before exp');
  clock.advance(1);
  assert.equal(expired, 1);
  auth.unwatch(conn);
  releaseVirtualClock();
});
