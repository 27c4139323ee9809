// The HTTP auth backend (auth_backends = http, as rabbitmq_auth_backend_http) against a small node:http
// service on an ephemeral port: logins, vhost, resource and topic checks asked at user_path, vhost_path,
// resource_path and topic_path with RabbitMQ's parameters, `allow [tags]` / `deny` answers, GET and POST,
// and the cache (auth_backends = cache). Real clients: amqplib, mqtt.js, STOMP over TCP, management.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect } from 'amqplib';
import mqtt from 'mqtt';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../../src/index.js';
import { outcome } from '../../helpers/access.js';

interface Asked {
  method: string;
  path: string;
  params: Record<string, string>;
}

/** The site's service: hal/pw may log in (tags management), use '/', h.* resources and ok.* routing keys. */
interface Service {
  server: Server;
  base: string;
  asked: Asked[];
}

async function authService(): Promise<Service> {
  const asked: Asked[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const params = Object.fromEntries(new URLSearchParams(req.method === 'POST' ? body : u.search));
      asked.push({ method: req.method ?? '', path: u.pathname, params });
      const allow = (yes: boolean, tags = '') => res.end(yes ? `allow${tags}` : 'deny');
      switch (u.pathname) {
        case '/auth/user':
          if (params['username'] === 'broken') {
            res.writeHead(500);
            return res.end('oops');
          }
          return allow(params['username'] === 'hal' && params['password'] === 'pw', ' management policymaker');
        case '/auth/vhost':
          return allow(params['vhost'] === '/');
        case '/auth/resource': {
          const n = params['name'] ?? '';
          return allow(n.startsWith('h.') || n.startsWith('mqtt-subscription-') || n.startsWith('amq.'));
        }
        case '/auth/topic':
          return allow((params['routing_key'] ?? '').startsWith('ok.'));
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}

const paths = (base: string) => ({
  userPath: `${base}/auth/user`,
  vhostPath: `${base}/auth/vhost`,
  resourcePath: `${base}/auth/resource`,
  topicPath: `${base}/auth/topic`,
});

/**
 * The site's service and a broker (in memory, on ephemeral ports) with `options` for its paths, for the tests
 * of one describe block: started in a `before` hook (which fills in the objects returned), closed in `after`.
 */
function useAuthBroker(options: (p: ReturnType<typeof paths>) => BrokerOptions): { svc: Service; b: RunningBroker } {
  const svc = {} as Service;
  const b = {} as RunningBroker;
  before(async () => {
    Object.assign(svc, await authService());
    const o = options(paths(svc.base));
    Object.assign(
      b,
      await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent', ...o }),
    );
  });
  after(async () => {
    await b.close();
    svc.server.close();
  });
  return { svc, b };
}

describe('HTTP backend, GET, no cache', () => {
  const { svc, b } = useAuthBroker((authHttp) => ({
    mqttPort: 0,
    stompPort: 0,
    managementPort: 0,
    authBackends: ['http'],
    authHttp,
  }));
  const url = (u: string, p: string) => `amqp://${u}:${p}@127.0.0.1:${b.amqpPort}/`;

  test('amqplib: login, vhost, resource and topic questions with RabbitMQ parameters', async () => {
    const c = await connect(url('hal', 'pw'));
    assert.equal(await outcome(c, (ch) => ch.assertQueue('h.q')), 'OK');
    assert.equal(
      await outcome(c, (ch) => ch.assertQueue('x.q')),
      "ACCESS_REFUSED - access to queue 'x.q' in vhost '/' refused for user 'hal'",
    );
    assert.equal(await outcome(c, async (ch) => ch.publish('amq.topic', 'ok.1', Buffer.from('m'))), 'OK');
    assert.equal(
      await outcome(c, async (ch) => ch.publish('amq.topic', 'no.1', Buffer.from('m'))),
      "ACCESS_REFUSED - access to topic 'no.1' in exchange 'amq.topic' in vhost '/' refused for user 'hal'",
    );
    await c.close();
    const user = svc.asked.find((a) => a.path === '/auth/user')!;
    assert.deepEqual(user, { method: 'GET', path: '/auth/user', params: { username: 'hal', password: 'pw' } });
    assert.deepEqual(svc.asked.find((a) => a.path === '/auth/vhost')!.params, {
      username: 'hal',
      vhost: '/',
      ip: '127.0.0.1',
    });
    assert.deepEqual(svc.asked.find((a) => a.path === '/auth/resource' && a.params['name'] === 'x.q')!.params, {
      username: 'hal',
      vhost: '/',
      resource: 'queue',
      name: 'x.q',
      permission: 'configure',
    });
    assert.deepEqual(svc.asked.find((a) => a.path === '/auth/topic' && a.params['routing_key'] === 'no.1')!.params, {
      username: 'hal',
      vhost: '/',
      resource: 'topic',
      name: 'amq.topic',
      permission: 'write',
      routing_key: 'no.1',
    });
  });

  test('amqplib: deny and a failing service refuse the login with RabbitMQ 403', async () => {
    const text = /ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN/;
    await assert.rejects(connect(url('hal', 'wrong')), text);
    await assert.rejects(connect(url('broken', 'pw')), text);
  });

  test('amqplib: many operations in flight on one channel keep their order while answers come', async () => {
    const c = await connect(url('hal', 'pw'));
    const ch = await c.createConfirmChannel();
    await ch.assertQueue('h.order');
    for (let i = 0; i < 20; i++) ch.sendToQueue('h.order', Buffer.from(String(i)));
    await ch.waitForConfirms();
    const got: string[] = [];
    for (let i = 0; i < 20; i++) {
      const m = await ch.get('h.order', { noAck: true });
      if (m) got.push(m.content.toString());
    }
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    await c.close();
  });

  test('MQTT: login and subscription through the service', async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
      username: 'hal',
      password: 'pw',
      reconnectPeriod: 0,
    });
    const got = new Promise<string>((r) => c.on('message', (_t, p) => r(p.toString())));
    await c.subscribeAsync('ok/t', { qos: 1 });
    await c.publishAsync('ok/t', 'via http', { qos: 1 });
    assert.equal(await got, 'via http');
    await c.endAsync();
    await assert.rejects(
      mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, { username: 'hal', password: 'no', reconnectPeriod: 0 }),
      /Bad username or password/,
    );
  });

  test('STOMP: CONNECT waits for the service; frames sent meanwhile are handled after it, in order', async () => {
    const s = net.connect(b.stompPort!, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    // CONNECT and a SEND and a SUBSCRIBE in one write: they wait behind the login's answer
    s.write(
      'CONNECT\naccept-version:1.2\nlogin:hal\npasscode:pw\n\n\0' +
        'SUBSCRIBE\ndestination:/queue/h.stomp\nid:1\n\n\0' +
        'SEND\ndestination:/queue/h.stomp\n\nhello\0',
    );
    const end = Date.now() + 15000;
    while (!text.includes('hello') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.match(text, /^CONNECTED\n/);
    assert.match(text, /MESSAGE\n[^\0]*\n\nhello\0/);
    s.end();
  });

  test('management: basic auth through the service, tags from its answer', async () => {
    const r = await fetch(`http://127.0.0.1:${b.managementPort}/api/whoami`, {
      headers: { authorization: 'Basic ' + Buffer.from('hal:pw').toString('base64') },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { name: 'hal', tags: ['management', 'policymaker'] });
    const q = await fetch(`http://127.0.0.1:${b.managementPort}/api/queues/%2F`, {
      headers: { authorization: 'Basic ' + Buffer.from('hal:pw').toString('base64') },
    });
    assert.equal(q.status, 200);
  });
});

describe('HTTP backend, POST, cached (auth_backends = cache)', () => {
  const { svc, b } = useAuthBroker((p) => ({
    authBackends: ['cache', 'internal'],
    authHttp: { ...p, httpMethod: 'post' },
    authCache: { cachedBackend: 'http', cacheTtl: 60000 },
  }));

  test('answers come from the cache until the TTL; POST sends a form body; internal users still log in', async () => {
    for (let i = 0; i < 3; i++) {
      const c = await connect(`amqp://hal:pw@127.0.0.1:${b.amqpPort}/`);
      const ch = await c.createChannel();
      await ch.assertQueue('h.cached');
      await c.close();
    }
    const users = svc.asked.filter((a) => a.path === '/auth/user');
    assert.equal(users.length, 1);
    assert.equal(users[0]!.method, 'POST');
    assert.deepEqual(users[0]!.params, { username: 'hal', password: 'pw' });
    assert.equal(svc.asked.filter((a) => a.path === '/auth/resource').length, 1);
    const g = await connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
    await g.close();
  });
});

describe('{authn: http, authz: internal}: the service vouches for the name, the store authorises', () => {
  const { svc, b } = useAuthBroker((authHttp) => ({ authBackends: [{ authn: 'http', authz: 'internal' }], authHttp }));
  before(() => {
    // the store's hal has another password (never asked) and its own permissions
    b.broker.users.add('hal', 'store-password');
    b.broker.users.setPermissions('hal', '/', { configure: '^p\\.', write: '^p\\.', read: '^p\\.' });
  });

  test('login by the service, permissions from the store', async () => {
    const c = await connect(`amqp://hal:pw@127.0.0.1:${b.amqpPort}/`);
    assert.equal(await outcome(c, (ch) => ch.assertQueue('p.q')), 'OK');
    assert.equal(
      await outcome(c, (ch) => ch.assertQueue('h.q')),
      "ACCESS_REFUSED - access to queue 'h.q' in vhost '/' refused for user 'hal'",
    );
    await c.close();
    assert.equal(svc.asked.filter((a) => a.path !== '/auth/user').length, 0);
  });
});
