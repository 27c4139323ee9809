// Test helper: a Warren broker in this process on ephemeral ports, with in-memory storage.
// Set WARREN_TEST_AMQP_URL (e.g. amqp://guest:guest@localhost:5672/) to run the same tests against an external
// broker instead, such as the RabbitMQ anchor: that is how a test is checked to assert RabbitMQ's behaviour.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/index.js';

export interface TestBroker {
  /** amqp://guest:guest@127.0.0.1:PORT/ */
  url: string;
  host: string;
  port: number;
  external: boolean;
  /** The broker in this process, null when external. */
  running: RunningBroker | null;
  /**
   * Let `d` of the broker's time pass: on a virtual clock (options.clock 'virtual') at once, else (real
   * clock, or an external broker such as the RabbitMQ anchor) by waiting. Then lets the sockets flush.
   */
  advance(d: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestBroker(options: BrokerOptions = {}): Promise<TestBroker> {
  const ext = process.env.WARREN_TEST_AMQP_URL;
  if (ext) {
    const u = new URL(ext);
    return {
      url: ext,
      host: u.hostname,
      port: Number(u.port || 5672),
      external: true,
      running: null,
      advance: (d) => sleep(d + 20),
      close: async () => {},
    };
  }
  const b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'warn', ...options });
  const port = b.amqpPort!;
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}/`,
    host: '127.0.0.1',
    port,
    external: false,
    running: b,
    advance: async (d) => {
      if (b.clock === null) return sleep(d + 20);
      b.clock.advance(d);
      // what the timers sent (deliveries, closes) reaches the client before the test looks
      await new Promise((r) => setImmediate(r));
    },
    close: () => b.close(),
  };
}

/**
 * One broker for the tests of the current suite (or file): started in a `before` hook, closed in `after`.
 * The object returned is filled in by the hook, so tests read `broker.url` etc. as from startTestBroker.
 * `fileStorage`: file storage in a fresh temp data dir with this prefix, removed after the suite.
 */
export function useTestBroker(options: BrokerOptions = {}, fileStorage?: { dirPrefix: string }): TestBroker {
  const broker = {} as TestBroker;
  let dir: string | null = null;
  before(async () => {
    if (fileStorage) dir = mkdtempSync(join(tmpdir(), fileStorage.dirPrefix));
    Object.assign(
      broker,
      await startTestBroker(dir === null ? options : { ...options, storage: 'file', dataDir: dir }),
    );
  });
  after(async () => {
    await broker.close();
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  });
  return broker;
}

/** Poll fn until it returns truthy (or stops throwing), like nats checkFor. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > end) throw lastErr ?? new Error('eventually: timed out');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A unique name for queues and exchanges, so tests can share one external broker. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}`;
}
