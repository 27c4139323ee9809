// What the management API's HTTP fuzzer (bench/fuzz/run.ts http, 1,000,000 cases) found, as tests: each was a
// 500 with an error logged; each is now the client's error or a success, with nothing logged.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startApi, type Api } from './helpers.js';

/** A raw request (fetch would normalise the target), the status line of the answer. */
async function rawStatus(port: number, target: string): Promise<string> {
  const s = connect(port, '127.0.0.1');
  s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Z3Vlc3Q6Z3Vlc3Q=\r\nConnection: close\r\n\r\n`);
  let text = '';
  for await (const chunk of s) text += String(chunk);
  return text.split('\r\n')[0]!;
}

describe('management API: the HTTP fuzzer finds', () => {
  let api: Api;
  before(async () => {
    api = await startApi();
  });
  after(async () => {
    await api.b.close();
  });

  test('a request target the URL parser refuses (//%/browse) is 400, not 500', async () => {
    assert.equal(await rawStatus(api.b.managementPort!, '//%/browse'), 'HTTP/1.1 400 Bad Request');
    assert.equal(await rawStatus(api.b.managementPort!, '//%2F/?sort=1'), 'HTTP/1.1 400 Bad Request');
    // the broker still answers
    assert.equal((await api.req('GET', '/api/overview')).status, 200);
  });

  test("a binding whose routing key holds bytes no header may carry: 201, the Location's segments encoded", async () => {
    await api.req('PUT', '/api/queues/%2F/ff-q', { durable: false });
    const rk = 'a\nb é/c%d';
    const r = await api.req('POST', '/api/bindings/%2F/e/amq.direct/q/ff-q', { routing_key: rk });
    assert.equal(r.status, 201);
    const loc = r.headers.get('location')!;
    assert.equal(loc, 'ff-q/' + encodeURIComponent(rk.replace(/%/g, '%25')));
    // the Location leads to the binding
    const g = await api.req('GET', '/api/bindings/%2F/e/amq.direct/q/' + loc);
    assert.equal(g.status, 200);
    assert.equal((g.json as { routing_key: string }).routing_key, rk);
  });

  test('imported definitions with a binding without routing_key: bound with the empty key, listed', async () => {
    const r = await api.req('POST', '/api/definitions', {
      queues: [{ name: 'ff-def', vhost: '/', durable: false, auto_delete: false, arguments: {} }],
      bindings: [{ source: 'amq.fanout', vhost: '/', destination: 'ff-def', destination_type: 'queue' }],
    });
    assert.ok(r.status === 204 || r.status === 201, `status ${r.status}`);
    const all = (await api.get('/api/bindings')) as { destination: string; routing_key: string }[];
    const b = all.find((x) => x.destination === 'ff-def' && x.routing_key === '');
    assert.ok(b, 'the binding is listed with the empty routing key');
  });
});
