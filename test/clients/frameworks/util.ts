// Shared helpers for the framework client tests (not a test file itself): a broker with its management API
// that can be restarted on the same port (in-process Warren), or the external broker of WARREN_TEST_AMQP_URL
// (management on WARREN_TEST_MANAGEMENT_URL, default http://localhost:15672), and the management call that
// drops a client's connection, as an operator (or a failing network) would.
import { after, before } from 'node:test';
import { startBroker, type RunningBroker } from '../../../src/index.js';

export interface FrameworkBroker {
  url: string;
  management: string;
  external: boolean;
  /** Stop the broker and start it again on the same port (in-process Warren only). */
  restart(downMs?: number): Promise<void>;
}

/** One broker for the file: started in `before`, closed in `after`. */
export function useFrameworkBroker(): FrameworkBroker {
  const fb = {} as FrameworkBroker;
  let b: RunningBroker | null = null;
  const start = (amqpPort: number, managementPort: number) =>
    startBroker({ amqpPort, managementPort, bind: '127.0.0.1', storage: 'memory', logLevel: 'error' });
  before(async () => {
    const ext = process.env.WARREN_TEST_AMQP_URL;
    if (ext) {
      const management = process.env.WARREN_TEST_MANAGEMENT_URL ?? 'http://localhost:15672';
      Object.assign(fb, { url: ext, management, external: true, restart: () => Promise.reject(new Error('external')) });
      return;
    }
    b = await start(0, 0);
    const amqpPort = b.amqpPort!;
    const managementPort = b.managementPort!;
    Object.assign(fb, {
      url: `amqp://guest:guest@127.0.0.1:${amqpPort}/`,
      management: `http://127.0.0.1:${managementPort}`,
      external: false,
      restart: async (downMs = 300) => {
        await b?.close();
        b = null;
        await new Promise((r) => setTimeout(r, downMs));
        b = await start(amqpPort, managementPort);
      },
    });
  });
  after(async () => {
    await b?.close();
  });
  return fb;
}

const AUTH = 'Basic ' + Buffer.from('guest:guest').toString('base64');

/**
 * DELETE /api/connections/NAME for every connection whose client named itself `providedName` (the
 * connection_name client property), waiting up to 10 s for one to be listed; returns how many were closed.
 */
export async function closeConnectionsNamed(management: string, providedName: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await fetch(`${management}/api/connections`, { headers: { authorization: AUTH } });
    const conns = (await r.json()) as Array<{ name: string; user_provided_name?: string }>;
    const names = conns.filter((c) => c.user_provided_name === providedName).map((c) => c.name);
    for (const n of names) {
      const d = await fetch(`${management}/api/connections/${encodeURIComponent(n)}`, {
        method: 'DELETE',
        headers: { authorization: AUTH, 'x-reason': 'closed by the framework test' },
      });
      if (d.status !== 204 && d.status !== 200) throw new Error(`DELETE /api/connections/${n}: HTTP ${d.status}`);
    }
    if (names.length > 0) return names.length;
    if (Date.now() > deadline) throw new Error(`no connection named ${providedName} in /api/connections after 10 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resolve when `cond()` is true; reject after `ms` naming `what`. */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
