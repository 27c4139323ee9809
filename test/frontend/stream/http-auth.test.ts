// The HTTP auth backend (auth_backends = http) on Stream protocol connections: the login, the vhost at Open and
// each resource check are asked of the service (with RabbitMQ's parameters) while the connection's frames wait
// for the answer (AuthHold), as rabbitmq_auth_backend_http does for the stream plugin. rabbitmq-stream-js-client
// logs in, creates, publishes to and consumes from an allowed stream; a denied one is refused with
// AccessRefused (16); a wrong password fails the login (AuthenticationFailure 8).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as rs from 'rabbitmq-stream-js-client';
import { connectClient, RawClient, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

interface Asked {
  path: string;
  params: Record<string, string>;
}

let svc: Server;
const asked: Asked[] = [];
let t: StreamTestBroker;

before(async () => {
  // hal/pw may log in and use '/' and the s.* streams; each answer comes a little later, as over a network
  svc = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const params = Object.fromEntries(u.searchParams);
    asked.push({ path: u.pathname, params });
    const allow = (yes: boolean): void => {
      setTimeout(() => res.end(yes ? 'allow management' : 'deny'), 5);
    };
    if (u.pathname === '/user') return allow(params['username'] === 'hal' && params['password'] === 'pw');
    if (u.pathname === '/vhost') return allow(params['vhost'] === '/');
    if (u.pathname === '/resource') return allow((params['name'] ?? '').startsWith('s.'));
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => svc.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(svc.address() as AddressInfo).port}`;
  t = await startStreamBroker({
    authBackends: ['http'],
    authHttp: {
      userPath: `${base}/user`,
      vhostPath: `${base}/vhost`,
      resourcePath: `${base}/resource`,
      topicPath: `${base}/topic`,
    },
  });
});
after(async () => {
  await t.close();
  svc.close();
});

test('HTTP backend: login, vhost and resource checks asked for a stream client; denied ones refused', async () => {
  const c = await connectClient(t, { username: 'hal', password: 'pw' });
  try {
    const login = asked.find((a) => a.path === '/user');
    assert.equal(login?.params['username'], 'hal');
    assert.ok(asked.some((a) => a.path === '/vhost' && a.params['vhost'] === '/'));
    await c.createStream({ stream: 's.one', arguments: {} });
    const create = asked.find((a) => a.path === '/resource' && a.params['name'] === 's.one');
    assert.deepEqual(
      { resource: create?.params['resource'], permission: create?.params['permission'] },
      { resource: 'queue', permission: 'configure' },
    );
    const pub = await c.declarePublisher({ stream: 's.one' });
    await pub.send(Buffer.from('hello'));
    await pub.flush();
    const got: string[] = [];
    await c.declareConsumer({ stream: 's.one', offset: rs.Offset.first() }, (m) => {
      got.push(m.content.toString());
    });
    await until(() => got.includes('hello'), 5000, 'the message');
    assert.ok(asked.some((a) => a.params['name'] === 's.one' && a.params['permission'] === 'write'));
    assert.ok(asked.some((a) => a.params['name'] === 's.one' && a.params['permission'] === 'read'));
    await assert.rejects(c.createStream({ stream: 'x.two', arguments: {} }), /16|access/i);
  } finally {
    await c.close();
  }
  // (a raw client: rabbitmq-stream-js-client leaves its own login failure unhandled besides rejecting)
  const raw = await RawClient.connect(t.port);
  try {
    await assert.rejects(raw.open('hal', 'wrong'), /authentication failed: 8/);
  } finally {
    raw.close();
  }
});
