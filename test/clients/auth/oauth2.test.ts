// OAuth 2 logins (auth_backends = oauth2, internal) with real clients: the token is the password (the user
// name may be empty) on AMQP (amqplib), MQTT (mqtt.js), STOMP (stompjs over Web-STOMP) and the management
// API (Authorization: Bearer). Tokens are signed here with node:crypto: RS256 and HS256 keys configured by
// kid, an ES256 key from a JWKS file, a default key for tokens without kid. Scopes grant what RabbitMQ's
// rabbitmq_auth_backend_oauth2 grants, refusals have RabbitMQ's codes and texts, and an expired token
// closes its connection.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import mqtt from 'mqtt';
import { Client } from '@stomp/stompjs';
import WebSocket from 'ws';
import { startBroker, type RunningBroker } from '../../../src/index.js';
import { ecKey, forged, hmacKey, rsaKey, token, type TokenClaims } from '../../helpers/jwt.js';
import { eventually } from '../../helpers/broker.js';
import { outcome } from '../../helpers/access.js';

const PYTHON = process.env.WARREN_INTEROP_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../../test/interop/python/oauth2_pika.py', import.meta.url));
const noPika = spawnSync(PYTHON, ['-c', 'import pika'], { stdio: 'ignore' }).status === 0 ? false : 'no pika';
const rsa = rsaKey('rsa-key');
const ec = ecKey('ec-key');
const hs = hmacKey('a shared secret of 32 bytes long', 'hs-key');
const RW = ['rabbitmq.configure:%2F/oa.*', 'rabbitmq.write:%2F/oa.*', 'rabbitmq.read:%2F/oa.*'];
const LOGIN_REFUSED =
  'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."';

let b: RunningBroker;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-oauth2-'));
  const jwks = join(dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [ec.jwk] }));
  b = await startBroker({
    amqpPort: 0,
    mqttPort: 0,
    webStompPort: 0,
    managementPort: 0,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'silent',
    // token expiry runs on the broker's clock: the expiry tests advance it instead of waiting
    clock: 'virtual',
    authBackends: ['oauth2', 'internal'],
    oauth2: {
      resourceServerId: 'rabbitmq',
      signingKeys: { 'rsa-key': rsa.verify, 'hs-key': hs.verify },
      defaultKey: 'rsa-key',
      jwksFile: jwks,
      preferredUsernameClaims: ['user_name', 'sub'],
      additionalScopesKey: 'realm_access.roles',
    },
  });
});
after(async () => {
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

const tok = (claims: TokenClaims = {}, key = rsa) =>
  token(key, { sub: 'alice', aud: 'rabbitmq', scope: RW.join(' '), ...claims }, b.clock!.now());

/** Move the broker's clock to just past the expiry of the connection(s) of the token `t`. */
async function expire(t: string): Promise<void> {
  const exp = (JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
  await eventually(() =>
    [...b.broker.connections.values()].some(
      (x) => (x as { userObj?: { expiresAt: number | null } }).userObj?.expiresAt === exp,
    ),
  );
  b.clock!.advance(exp - b.clock!.now() + 1);
}
const url = (password: string, user = '', vhost = '/') =>
  `amqp://${user}:${encodeURIComponent(password)}@127.0.0.1:${b.amqpPort}/${encodeURIComponent(vhost)}`;

test('amqplib: the token is the password; scopes grant configure/write/read on matching names', async () => {
  const c = await connect(url(tok()));
  assert.equal(await outcome(c, (ch) => ch.assertQueue('oa.q1')), 'OK');
  assert.equal(
    await outcome(c, (ch) => ch.assertQueue('other.q')),
    "ACCESS_REFUSED - access to queue 'other.q' in vhost '/' refused for user 'alice'",
  );
  assert.equal(
    await outcome(c, async (ch) => ch.publish('', 'oa.q1', Buffer.from('x'))),
    "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'alice'",
  );
  // the connection is the token's user, whatever name the client sent
  const conns = await eventually(() => [...b.broker.connections.values()].filter((x) => x.user === 'alice'));
  assert.ok(conns.length >= 1);
  await c.close();
});

test('amqplib: RS256 with and without kid (default key), HS256, ES256 from the JWKS file', async () => {
  const scope = [...RW, 'rabbitmq.write:%2F/amq.default', 'rabbitmq.read:%2F/oa.*'].join(' ');
  for (const t of [
    tok({ scope }),
    token({ ...rsa, kid: null }, { sub: 'alice', aud: 'rabbitmq', scope }),
    tok({ scope }, hs),
    tok({ scope }, ec),
  ]) {
    const c = await connect(url(t, 'ignored'));
    const ch = await c.createChannel();
    const q = await ch.assertQueue('oa.keys');
    ch.sendToQueue(q.queue, Buffer.from('hello'));
    const m = await eventually(async () => (await ch.get(q.queue, { noAck: true })) || null);
    assert.equal(m?.content.toString(), 'hello');
    await c.close();
  }
});

test('amqplib: bad tokens are refused with RabbitMQ 403; a password still logs in through internal', async () => {
  const bad = [
    forged({ sub: 'alice', aud: 'rabbitmq', scope: RW }), // signature
    tok({ expiresIn: -10 }), // expired
    tok({ aud: 'other' }), // audience
    token(rsa, { sub: 'alice', aud: 'rabbitmq', scope: RW, exp: 'never' }), // exp not a number
    token(rsaKey('unknown-kid'), { sub: 'alice', aud: 'rabbitmq' }), // no such key
    'not-a-jwt',
  ];
  for (const t of bad) await assert.rejects(connect(url(t, 'alice')), { message: LOGIN_REFUSED });
  const c = await connect(url('guest', 'guest'));
  await c.close();
});

test('amqplib: vhost access needs a scope for the vhost (connection.open refused)', async () => {
  // amqplib reports only that connection.close came; pika shows the 530 text (oauth2_pika.py)
  const t = tok({ scope: 'rabbitmq.read:elsewhere/*' });
  await assert.rejects(connect(url(t)), /Expected ConnectionOpenOk; got <ConnectionClose channel:0>/);
});

test('amqplib: topic scopes limit routing keys on topic exchanges; tags from tag: scopes', async () => {
  const t = tok({ scope: ['rabbitmq.write:%2F/amq.topic/orders.*', 'rabbitmq.tag:monitoring'] });
  const c = await connect(url(t));
  assert.equal(await outcome(c, async (ch) => ch.publish('amq.topic', 'orders.new', Buffer.from('x'))), 'OK');
  assert.equal(
    await outcome(c, async (ch) => ch.publish('amq.topic', 'payments.new', Buffer.from('x'))),
    "ACCESS_REFUSED - access to topic 'payments.new' in exchange 'amq.topic' in vhost '/' refused for user 'alice'",
  );
  const u = [...b.broker.connections.values()].find((x) => x.user === 'alice') as unknown as {
    userObj: { tags: string[] };
  };
  assert.deepEqual(u.userObj.tags, ['monitoring']);
  await c.close();
});

test('preferred_username_claims and additional_scopes_key (a nested claim)', async () => {
  const t = tok({ user_name: 'bob', scope: '', realm_access: { roles: RW } });
  const c = await connect(url(t));
  assert.equal(await outcome(c, (ch) => ch.assertQueue('oa.roles')), 'OK');
  assert.ok([...b.broker.connections.values()].some((x) => x.user === 'bob'));
  await c.close();
});

test('amqplib: an expired token closes the connection (403 credential expired)', async () => {
  const t = tok({ expiresIn: 3 });
  const c = await connect(url(t));
  let early = false;
  const closed = new Promise<string>((resolve) => c.on('error', (e: Error) => resolve(e.message)));
  void closed.then(() => (early = true));
  b.clock!.advance('1s');
  await c.createChannel().then((ch) => ch.close());
  assert.equal(early, false, 'open before exp');
  await expire(t);
  const msg = await closed;
  assert.match(msg, /403 \(ACCESS-REFUSED\) with message "ACCESS_REFUSED - credential expired"/);
});

test('amqplib: update-secret with a fresh token keeps the connection past the old expiry', async () => {
  const c = await connect(url(tok({ expiresIn: 2 })));
  let failed: Error | null = null;
  c.on('error', (e: Error) => (failed = e));
  await c.updateSecret(Buffer.from(tok({ expiresIn: 60 })), 'token refresh');
  b.clock!.advance('3s');
  await c.createChannel().then((ch) => ch.close());
  assert.equal(failed, null);
  const ch = await c.createChannel();
  await ch.assertQueue('oa.refreshed', { exclusive: true });
  await c.close();
});

test('amqplib: update-secret with a token for another user closes with 530', async () => {
  const c = await connect(url(tok()));
  const closed = new Promise<string>((resolve) => c.on('error', (e: Error) => resolve(e.message)));
  void c.updateSecret(Buffer.from(tok({ sub: 'mallory' })), 'token refresh').catch(() => {});
  assert.match(
    await closed,
    /530 \(NOT-ALLOWED\) with message "NOT_ALLOWED - New secret was refused by one of the backends"/,
  );
});

test('MQTT: the token as password (empty user name); a bad one gets CONNACK 4', async () => {
  const scope = ['rabbitmq.configure:*/*', 'rabbitmq.read:*/*', 'rabbitmq.write:*/*/*', 'rabbitmq.read:*/*/*'];
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
    username: '',
    password: tok({ scope }),
    reconnectPeriod: 0,
  });
  const got = new Promise<string>((r) => c.on('message', (_t, p) => r(p.toString())));
  await c.subscribeAsync('oa/t', { qos: 1 });
  await c.publishAsync('oa/t', 'via token', { qos: 1 });
  assert.equal(await got, 'via token');
  assert.ok([...b.broker.connections.values()].some((x) => x.user === 'alice' && x.protocol.startsWith('MQTT')));
  await c.endAsync();
  await assert.rejects(
    mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, { username: '', password: 'nope', reconnectPeriod: 0 }),
    /Bad username or password/,
  );
});

test('MQTT 5: an expired token ends the connection with DISCONNECT 0xA0 (maximum connect time)', async () => {
  const password = tok({ expiresIn: 3, scope: ['rabbitmq.configure:*/*', 'rabbitmq.read:*/*'] });
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
    protocolVersion: 5,
    username: '',
    password,
    reconnectPeriod: 0,
  });
  const disconnected = new Promise<number | undefined>((r) => c.on('disconnect', (p) => r(p.reasonCode)));
  await expire(password);
  const rc = await disconnected;
  assert.equal(rc, 0xa0);
  c.end(true);
});

test('STOMP (stompjs): the token as passcode; a bad one gets an ERROR frame', async () => {
  const stomp = (passcode: string) =>
    new Promise<Client>((resolve, reject) => {
      const c = new Client({
        webSocketFactory: () => new WebSocket(`ws://127.0.0.1:${b.webStompPort}/ws`, ['v12.stomp']),
        connectHeaders: { login: '', passcode },
        reconnectDelay: 0,
        heartbeatIncoming: 0,
        heartbeatOutgoing: 0,
        onConnect: () => resolve(c),
        onStompError: (f) => {
          void c.deactivate();
          reject(new Error(f.headers['message']));
        },
      });
      c.activate();
    });
  const c = await stomp(tok({ scope: [...RW, 'rabbitmq.write:%2F/amq.default'] }));
  await new Promise<void>((resolve) => {
    c.subscribe('/queue/oa.stomp', (m) => {
      assert.equal(m.body, 'stomp token');
      resolve();
    });
    c.publish({ destination: '/queue/oa.stomp', body: 'stomp token' });
  });
  await c.deactivate();
  await assert.rejects(stomp('bad'), /Bad CONNECT/);
});

test('management: Authorization: Bearer <token>; tags from scopes decide what it may see', async () => {
  const api = (path: string, t: string) =>
    fetch(`http://127.0.0.1:${b.managementPort}${path}`, { headers: { authorization: `Bearer ${t}` } });
  const admin = tok({ scope: [...RW, 'rabbitmq.tag:administrator'] });
  const r = await api('/api/whoami', admin);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { name: 'alice', tags: ['administrator'] });
  assert.equal((await api('/api/overview', admin)).status, 200);
  const plain = await api('/api/overview', tok());
  assert.equal(plain.status, 401);
  assert.deepEqual(await plain.json(), { error: 'not_authorised', reason: 'Not management user' });
  const bad = await api('/api/overview', 'garbage');
  assert.equal(bad.status, 401);
  assert.equal(((await bad.json()) as { reason: string }).reason, 'Login failed');
  // a management user sees only the vhosts its scopes reach
  const mgmt = tok({ scope: ['rabbitmq.tag:management', 'rabbitmq.read:elsewhere/*'] });
  assert.equal((await api('/api/queues/%2F', mgmt)).status, 401);
});

test('pika: token login, 403 login text, 530 vhost text, and the close at expiry', { skip: noPika }, async () => {
  // spawn, not spawnSync: the broker runs in this process
  const expiring = tok({ expiresIn: 8 });
  const running = run(PYTHON, [
    SCRIPT,
    String(b.amqpPort),
    tok({ scope: [...RW, 'rabbitmq.write:%2F/amq.default'] }),
    forged({ sub: 'alice', aud: 'rabbitmq' }),
    tok({ scope: 'rabbitmq.read:elsewhere/*' }),
    expiring,
  ]);
  await expire(expiring); // once pika's connection with that token is open
  const r = await running;
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /expired token closed the connection: 403 ACCESS_REFUSED - credential expired/);
});

function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { timeout: 30000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
