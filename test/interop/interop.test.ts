// Interop suite: real non-JS AMQP 0-9-1 clients (pika, amqp091-go, amqp-tools) drive the scenarios of the seed
// documents against the broker, and must see what they see against RabbitMQ.
// Seeds (/work/shared/seeds): 000_* Evolution API per-instance queues on a topic exchange, 001_*/002_* KrakenD AMQP
// consumer/producer, 003_* FastAPI guide (work queues, fanout notifications, nack, DLX, Go shipping service),
// 004_* RabbitMQ ports + pika tutorials (task queue, pub/sub).
//
// Each scenario is a standalone program under test/interop/ (python/*.py, go/*.go, amqp-tools.sh) taking
// AMQP_URL NAME_PREFIX; this file starts a broker (startTestBroker: Warren in-process, or the broker at
// WARREN_TEST_AMQP_URL), runs the program with a timeout and asserts exit code 0, showing its output otherwise.
//
//   WARREN_TEST_AMQP_URL=amqp://guest:guest@localhost:5672/ node --test dist/test/interop/   (against RabbitMQ)
//
// Environment:
//   WARREN_EXPECT_PREFETCH_SIZE=1  assert Warren's prefetch_size behaviour instead of RabbitMQ's 540 refusal
//                                  (set automatically when the broker is Warren in-process)
//   WARREN_INTEROP_PYTHON          python with pika (default /usr/bin/python3: Debian's python3-pika)
//   WARREN_INTEROP_GOPATH          GOPATH holding github.com/rabbitmq/amqp091-go (default /usr/share/gocode)
// A client whose tools are missing is skipped; CI installs them all (Debian: python3-pika golang-go
// golang-github-rabbitmq-amqp091-go-dev amqp-tools).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import type { BrokerOptions } from '../../src/index.js';

/** The repository root: the nearest ancestor with a package.json (works from dist/test/interop and test/interop). */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('interop: cannot find the repository root');
    dir = up;
  }
  return dir;
}

const INTEROP = path.join(findRoot(), 'test', 'interop');
const PYTHON = process.env.WARREN_INTEROP_PYTHON ?? '/usr/bin/python3';
const GOPATH = process.env.WARREN_INTEROP_GOPATH ?? '/usr/share/gocode';
const SCRIPT_TIMEOUT_MS = 45_000;

function probe(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

const skipKombu = probe(PYTHON, ['-c', 'import kombu']) ? false : 'python3-kombu is not installed';
// a scenario that needs Warren's own options cannot run against an external broker
const skipExternal = process.env.WARREN_TEST_AMQP_URL ? 'needs an in-process Warren' : false;
const skipPython = probe(PYTHON, ['-c', 'import pika'])
  ? false
  : `${PYTHON} cannot import pika (apt-get install python3-pika)`;
const skipGo =
  probe('go', ['version']) && existsSync(path.join(GOPATH, 'src/github.com/rabbitmq/amqp091-go'))
    ? false
    : `go or amqp091-go in ${GOPATH} missing (apt-get install golang-go golang-github-rabbitmq-amqp091-go-dev)`;
const amqpTools = ['amqp-publish', 'amqp-get', 'amqp-consume', 'amqp-declare-queue', 'amqp-delete-queue'];
const skipAmqpTools = probe('sh', ['-c', amqpTools.map((t) => `command -v ${t} >/dev/null`).join(' && ')])
  ? false
  : 'amqp-tools missing (apt-get install amqp-tools)';

interface RunResult {
  label: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

interface Launched {
  /** Resolves once stdout contains text (rejects if the process ends first or after timeoutMs). */
  waitFor(text: string, timeoutMs: number): Promise<void>;
  done: Promise<RunResult>;
  kill(): void;
}

interface LaunchOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Start a program without blocking the event loop (the broker under test may be running in this process). */
function launch(label: string, cmd: string, args: string[], opts: LaunchOptions): Launched {
  const start = Date.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let ended = false;
  const watchers: Array<() => void> = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    watchers.forEach((w) => w());
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  const done = new Promise<RunResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      watchers.forEach((w) => w());
      resolve({ label, code, signal, stdout, stderr, ms: Date.now() - start, timedOut });
    };
    child.on('error', (e) => {
      stderr += `\nspawn error: ${e.message}`;
      finish(null, null);
    });
    child.on('close', finish);
  });
  const waitFor = (text: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`${label}: no "${text}" on stdout after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = () => {
        if (stdout.includes(text)) {
          clearTimeout(t);
          resolve();
        } else if (ended) {
          clearTimeout(t);
          reject(new Error(`${label} exited before printing "${text}"`));
        }
      };
      watchers.push(check);
      check();
    });
  return { waitFor, done, kill: () => child.kill('SIGKILL') };
}

function describeRun(r: RunResult): string {
  const how = r.timedOut
    ? `was killed after its ${r.ms} ms timeout`
    : r.code !== null
      ? `exited with code ${r.code} after ${r.ms} ms`
      : `died (${r.signal ?? 'spawn failed'}) after ${r.ms} ms`;
  return `${r.label} ${how}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;
}

function assertOk(r: RunResult): void {
  if (r.code !== 0) assert.fail(describeRun(r));
}

async function withBroker(fn: (b: TestBroker) => Promise<void>, options: BrokerOptions = {}): Promise<void> {
  const broker = await startTestBroker(options);
  try {
    await fn(broker);
  } finally {
    await broker.close();
  }
}

function scriptEnv(b: TestBroker): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
  // Against Warren itself, expect Warren's prefetch_size; against an external broker (RabbitMQ) its refusal.
  if (env.WARREN_EXPECT_PREFETCH_SIZE === undefined && !b.external) env.WARREN_EXPECT_PREFETCH_SIZE = '1';
  // Warren-only features (the delayed-message exchange without a plugin, deduplication) run against Warren
  if (!b.external) env.WARREN_INTEROP_BROKER = 'warren';
  return env;
}

let goBinary: Promise<string> | undefined;

/** Build test/interop/go once, cached in os.tmpdir() under a hash of its sources and the Go version. */
function buildGo(): Promise<string> {
  goBinary ??= (async () => {
    const goDir = path.join(INTEROP, 'go');
    const hash = createHash('sha256');
    for (const f of readdirSync(goDir)
      .filter((n) => n.endsWith('.go'))
      .sort()) {
      hash.update(`${f}\0`).update(readFileSync(path.join(goDir, f)));
    }
    hash.update(spawnSync('go', ['version'], { encoding: 'utf8' }).stdout ?? '').update(GOPATH);
    const dir = path.join(os.tmpdir(), `warren-interop-go-${hash.digest('hex').slice(0, 16)}`);
    const bin = path.join(dir, 'warren-interop-go');
    if (existsSync(bin)) return bin;
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}.tmp`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH,
      GOFLAGS: '',
      GOCACHE: process.env.GOCACHE ?? path.join(os.tmpdir(), 'warren-interop-gocache'),
    };
    const r = await launch('go build', 'go', ['build', '-o', tmp, '.'], { cwd: goDir, env, timeoutMs: 180_000 }).done;
    if (r.code !== 0) {
      rmSync(tmp, { force: true });
      assert.fail(describeRun(r));
    }
    renameSync(tmp, bin); // atomic: concurrent test runs never see a half-written binary
    return bin;
  })();
  return goBinary;
}

function python(
  script: string,
  title: string,
  opts: { extra?: string[]; skip?: string | false; broker?: BrokerOptions } = {},
): void {
  it(title, { skip: skipPython || opts.skip || false }, async () => {
    await withBroker(async (b) => {
      const prefix = uniqueName(`interop-py-${script.replace(/\.py$/, '')}`);
      const args = [path.join(INTEROP, 'python', script), b.url, prefix, ...(opts.extra ?? [])];
      const label = `python3 ${script} ${(opts.extra ?? []).join(' ')}`.trim();
      assertOk(await launch(label, PYTHON, args, { timeoutMs: SCRIPT_TIMEOUT_MS, env: scriptEnv(b) }).done);
    }, opts.broker);
  });
}

function go(scenario: string, title: string, opts: { skip?: string | false; broker?: BrokerOptions } = {}): void {
  it(title, { skip: skipGo || opts.skip || false }, async () => {
    const bin = await buildGo();
    await withBroker(async (b) => {
      const args = [scenario, b.url, uniqueName(`interop-go-${scenario}`)];
      assertOk(await launch(`go ${scenario}`, bin, args, { timeoutMs: SCRIPT_TIMEOUT_MS, env: scriptEnv(b) }).done);
    }, opts.broker);
  });
}

describe('interop: pika, amqp091-go and amqp-tools clients', { concurrency: 4 }, () => {
  python('workqueue.py', 'pika work queue: durable, persistent, prefetch 1, redelivery after close/SIGKILL (004, 003)');
  python('streams.py', 'pika stream queue: declare rules, x-stream-offset first/numeric, non-destructive, 406/540');
  python('pubsub.py', 'pika pub/sub: fanout logs exchange, exclusive amq.gen queues, every subscriber gets all (004)');
  python('fastapi_flows.py', 'pika FastAPI guide: per-service queues, notifications, heartbeat=600, nack (003)');
  python('fastapi_flows.py', 'pika FastAPI guide: dead-letter exchange for nacked and expired tasks (003)', {
    extra: ['--dlx'],
  });
  python(
    'queue_features.py',
    'pika queue features: x-death wire types, TTL, nacks, priorities, SAC, quorum delivery limit, delayed, dedup',
  );
  python(
    'krakend.py',
    'pika KrakenD: topic + #, prefetch_count 10, prefetch_size 1024, mandatory, properties (001, 002)',
  );
  python('basics.py', 'pika basics: basic_get/get-empty, 14 properties + nested headers, bodies, confirms');
  python(
    'kombu_flow.py',
    'kombu: product RabbitMQ and its QoS (default), Celery prefetch raise, topic routing, ack/reject/requeue',
    {
      skip: skipKombu,
    },
  );
  python('kombu_flow.py', 'kombu with --no-advertise-rabbitmq: product Warren with the spec QoS, prefetch raise', {
    extra: ['--spec'],
    skip: skipKombu || skipExternal,
    broker: { advertiseRabbitmq: false },
  });
  python('idempotent.py', 'pika: unbind/delete/cancel of what is already gone answer -ok, as RabbitMQ 3.10 does');
  python('topic_routing.py', 'pika Evolution API: per-instance queues on a topic exchange, seed binding list (000)');

  go('fanout', 'go FastAPI shipping service: fanout exchange, exclusive server-named queue (003)');
  go('workqueue', 'go work queue: Qos(1), manual Ack, redelivery when a worker leaves (004, 003)');
  go('confirms', 'go publisher confirms: NotifyPublish acks every publish, in order');
  go('returns', 'go mandatory + NotifyReturn: 312 NO_ROUTE before the confirm (001)');
  go('passive404', 'go passive declare of a missing queue: channel error 404, connection survives');
  go(
    'reopen',
    'go 8 goroutines publishing to a missing exchange, 404, channel 1 reopened at once, 40 rounds (issue 17)',
  );
  go('heartbeat', 'go Heartbeat 2s: idle 5s, the broker heartbeats keep the connection alive (003)');
  go('krakend', 'go KrakenD: no_wait declares, no_local consume, Qos 10, mandatory + properties (001, 002)');
  go('properties', 'go properties and every header field type round-trip');
  go('blocked', 'go NotifyBlocked "low on memory" for the publisher only, during a memory alarm (watermark 0)', {
    skip: skipExternal,
    broker: { vmMemoryHighWatermark: 0, logLevel: 'error' },
  });

  it('pika orders service -> go shipping service across languages (003)', { skip: skipGo || skipPython }, async () => {
    const bin = await buildGo();
    await withBroker(async (b) => {
      const prefix = uniqueName('interop-xlang');
      const env = scriptEnv(b);
      const shipping = launch('go fanout --external', bin, ['fanout', b.url, prefix, '--external'], {
        timeoutMs: SCRIPT_TIMEOUT_MS,
        env,
      });
      try {
        await shipping.waitFor('READY', 15_000);
      } catch (e) {
        shipping.kill();
        assert.fail(`${(e as Error).message}\n${describeRun(await shipping.done)}`);
      }
      const orders = launch(
        'python3 order_service.py',
        PYTHON,
        [path.join(INTEROP, 'python', 'order_service.py'), b.url, prefix, '3'],
        {
          timeoutMs: SCRIPT_TIMEOUT_MS,
          env,
        },
      );
      const [o, s] = await Promise.all([orders.done, shipping.done]);
      assertOk(o);
      assertOk(s);
    });
  });

  it(
    'amqp-tools: declare, publish, get, consume -c N, delete round trip (004, 003)',
    { skip: skipAmqpTools },
    async () => {
      await withBroker(async (b) => {
        const args = [path.join(INTEROP, 'amqp-tools.sh'), b.url, uniqueName('interop-amqp-tools')];
        assertOk(await launch('amqp-tools.sh', 'bash', args, { timeoutMs: SCRIPT_TIMEOUT_MS, env: scriptEnv(b) }).done);
      });
    },
  );
});
