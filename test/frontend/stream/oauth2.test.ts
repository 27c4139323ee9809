// OAuth 2 over the Stream protocol (auth_backends = oauth2, internal), as RabbitMQ 3.13's stream reader does:
// the token is the PLAIN password; a SaslAuthenticate on an open connection replaces the credential (the
// same user; the connection lives on past the first token's expiry); an expired credential closes the
// connection with a Close (AuthenticationFailure 8, "credential expired"); a refresh for another user is
// refused and closes it. Expiry runs on the broker's virtual clock (advanced, not waited for).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rsaKey, token } from '../../helpers/jwt.js';
import { RawClient, sleep, startStreamBroker, type StreamTestBroker } from './helpers.js';

const rsa = rsaKey('rsa-key');
let t: StreamTestBroker;
before(async () => {
  t = await startStreamBroker({
    clock: 'virtual',
    authBackends: ['oauth2', 'internal'],
    oauth2: { resourceServerId: 'rabbitmq', signingKeys: { 'rsa-key': rsa.verify }, defaultKey: 'rsa-key' },
  });
});
after(async () => {
  await t.close();
});

const RW = 'rabbitmq.configure:%2F/* rabbitmq.write:%2F/* rabbitmq.read:%2F/*';
const tok = (sub: string, expiresIn: number): string =>
  token(rsa, { sub, aud: 'rabbitmq', scope: RW, expiresIn }, t.b.clock!.now());

const HEARTBEAT = Buffer.from([0, 0, 0, 4, 0, 0x17, 0, 1]);

/** Move the broker's clock on by `ms`, the client heart-beating every 30 s of it (or the server drops it). */
async function advance(c: RawClient, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 30_000) {
    c.sendBytes(HEARTBEAT);
    await sleep(20);
    t.b.clock!.advance(Math.min(30_000, left));
  }
  await sleep(100);
}

async function authenticate(c: RawClient, password: string): Promise<number> {
  const r = await c.request(
    'SaslAuthenticateRequest',
    { mechanism: 'PLAIN', saslOpaqueData: Buffer.from(`\u0000\u0000${password}`) },
    'SaslAuthenticateResponse',
  );
  return r.responseCode;
}

test('a refreshed token keeps the connection open past the first one; an expired one closes it (8)', async () => {
  const c = await RawClient.connect(t.port);
  try {
    await c.open('', tok('alice', 60));
    assert.equal(await authenticate(c, tok('alice', 600)), 1, 'the refresh is accepted');
    await advance(c, 120_000); // past the first token
    const ok = await c.request('CreateRequest', { stream: 'oauth-s', arguments: {} }, 'CreateResponse');
    assert.equal(ok.responseCode, 1, 'still open and allowed after the first token expired');
    await advance(c, 600_000); // past the second
    const close = await c.waitFor('CloseRequest');
    assert.equal(close.closingCode, 8);
    assert.equal(close.closingReason, 'credential expired');
  } finally {
    c.close();
  }
});

test("a refresh with another user's token is refused and closes the connection", async () => {
  const c = await RawClient.connect(t.port);
  try {
    await c.open('', tok('alice', 600));
    assert.equal(await authenticate(c, tok('bob', 600)), 8);
    const close = await c.waitFor('CloseRequest');
    assert.equal(close.closingCode, 8);
  } finally {
    c.close();
  }
});
