// Management over HTTPS (RabbitMQ's 15671 when configured): the same API on managementTlsPort, with the
// server certificate verified by the client.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { test } from 'node:test';
import { startBroker } from '../../src/index.js';
import { selfSignedCert } from '../helpers/tls-cert.js';

test('GET /api/whoami over HTTPS', async () => {
  const { cert, key } = selfSignedCert();
  const b = await startBroker({
    amqpPort: null,
    amqpsPort: null,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'silent',
    tls: { cert, key },
    managementTlsPort: 0,
  });
  try {
    assert.equal(b.managementPort, null);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: b.managementTlsPort!,
          path: '/api/whoami',
          ca: cert,
          headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') },
        },
        (res) => {
          let s = '';
          res.on('data', (d: Buffer) => (s += d.toString()));
          res.on('end', () => resolve(s));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(JSON.parse(body), { name: 'guest', tags: ['administrator'] });
  } finally {
    await b.close();
  }
});

test('Prometheus over HTTPS (prometheus.ssl.port): /metrics with the broker certificate', async () => {
  const { cert, key } = selfSignedCert();
  const b = await startBroker({
    amqpPort: 0,
    amqpsPort: null,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'silent',
    tls: { cert, key },
    prometheusTlsPort: 0,
  });
  try {
    assert.equal(b.prometheusPort, null);
    const got = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: 'localhost', port: b.prometheusTlsPort!, path: '/metrics', ca: cert }, (res) => {
        let s = '';
        res.on('data', (d: Buffer) => (s += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: s }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(got.status, 200);
    assert.match(got.body, /^rabbitmq_connections /m);
  } finally {
    await b.close();
  }
  await assert.rejects(
    startBroker({ amqpPort: null, storage: 'memory', logLevel: 'silent', prometheusTlsPort: 0 }),
    /prometheusTlsPort needs tls options/,
  );
});
