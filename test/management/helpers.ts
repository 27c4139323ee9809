// Test helpers for the management API: a broker with management and Prometheus on ephemeral ports, and a
// small fetch client with basic auth that returns status and parsed JSON.
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/index.js';

export interface Api {
  b: RunningBroker;
  base: string;
  req(
    method: string,
    path: string,
    body?: unknown,
    auth?: string,
  ): Promise<{ status: number; json: unknown; headers: Headers }>;
  get(path: string, auth?: string): Promise<unknown>;
}

export async function startApi(options: BrokerOptions = {}): Promise<Api> {
  const b = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'silent',
    managementPort: 0,
    prometheusPort: 0,
    ...options,
  });
  const base = `http://127.0.0.1:${b.managementPort}`;
  const req = async (method: string, path: string, body?: unknown, auth = 'guest:guest') => {
    const headers: Record<string, string> = { authorization: 'Basic ' + Buffer.from(auth).toString('base64') };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text === '' ? null : (JSON.parse(text) as unknown), headers: r.headers };
  };
  return {
    b,
    base,
    req,
    async get(path: string, auth?: string) {
      const r = await req('GET', path, undefined, auth);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json;
    },
  };
}
