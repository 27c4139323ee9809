// Frameworks run for real: the scenario programs under test/interop/ (python/celery_flow.py with a real
// `celery worker`, python/aio_pika_flow.py, ruby/bunny_flow.rb, php/amqplib_flow.php), each against a fresh
// in-process Warren with its management API (the scenarios drop their own connection through
// DELETE /api/connections/NAME to check the clients' reconnects). Each program takes AMQP_URL NAME_PREFIX
// [MODE], reads WARREN_MANAGEMENT_URL, exits 0 when every step passed and prints what failed otherwise.
// The npm frameworks (amqp-connection-manager, rascal, @cloudamqp/amqp-client) are in test/clients/frameworks/.
//
//   WARREN_TEST_AMQP_URL=amqp://guest:guest@localhost:5672/ node --test dist/test/interop/frameworks.test.js
// runs them against RabbitMQ (management on WARREN_TEST_MANAGEMENT_URL, default http://localhost:15672).
//
// Debian packages (installed by .ci/run): python3-celery, python3-aio-pika, ruby-bunny, php-cli + php-amqplib.
// A framework whose package is missing is skipped with the package to install.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { startBroker, type BrokerOptions } from '../../src/index.js';
import { uniqueName } from '../helpers/broker.js';
import { REPO_ROOT } from '../helpers/paths.js';

const INTEROP = path.join(REPO_ROOT, 'test', 'interop');
const PYTHON = process.env.WARREN_INTEROP_PYTHON ?? '/usr/bin/python3';
const EXTERNAL = process.env.WARREN_TEST_AMQP_URL;

function missing(cmd: string, args: string[], pkg: string): string | false {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0 ? false : `${pkg} is not installed (apt-get install ${pkg})`;
}

const skipCelery = missing(PYTHON, ['-c', 'import celery, pika'], 'python3-celery');
const skipAioPika = missing(PYTHON, ['-c', 'import aio_pika, pika'], 'python3-aio-pika');
const skipBunny = missing('ruby', ['-e', 'require "bunny"'], 'ruby-bunny');
const skipPhp = missing('php', ['-r', 'require "/usr/share/php/PhpAmqpLib/autoload.php";'], 'php-cli php-amqplib');

interface Target {
  url: string;
  management: string;
  close(): Promise<void>;
}

async function target(options: BrokerOptions): Promise<Target> {
  if (EXTERNAL) {
    const management = process.env.WARREN_TEST_MANAGEMENT_URL ?? 'http://localhost:15672';
    return { url: EXTERNAL, management, close: async () => {} };
  }
  const b = await startBroker({
    amqpPort: 0,
    managementPort: 0,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'warn',
    ...options,
  });
  return {
    url: `amqp://guest:guest@127.0.0.1:${b.amqpPort}/`,
    management: `http://127.0.0.1:${b.managementPort}`,
    close: () => b.close(),
  };
}

/** Run a program without blocking the event loop (the broker runs in this process); resolve with its output. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const start = Date.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => (out += `\nspawn error: ${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const how = code === 0 ? null : `exited with ${code ?? signal} after ${Date.now() - start} ms`;
      resolve(how === null ? null : `${cmd} ${args.join(' ')} ${how}\n${out}`);
    });
  });
}

function scenario(
  title: string,
  cmd: string,
  script: string,
  opts: { skip: string | false; mode?: string; broker?: BrokerOptions; timeoutMs?: number },
): void {
  it(title, { skip: opts.skip || (opts.broker && EXTERNAL ? 'needs an in-process Warren' : false) }, async () => {
    const t = await target(opts.broker ?? {});
    try {
      const prefix = uniqueName(`fw-${path.basename(script).replace(/\.\w+$/, '')}`);
      const args = [path.join(INTEROP, script), t.url, prefix, ...(opts.mode ? [opts.mode] : [])];
      const env = { ...process.env, WARREN_MANAGEMENT_URL: t.management, PYTHONDONTWRITEBYTECODE: '1' };
      const failure = await run(cmd, args, env, opts.timeoutMs ?? 60_000);
      if (failure !== null) assert.fail(failure);
    } finally {
      await t.close();
    }
  });
}

describe('frameworks: Celery, aio-pika, Bunny, php-amqplib against the broker', { concurrency: 3 }, () => {
  scenario(
    'Celery worker: tasks, rpc:// results, a group, countdown, retries, celery inspect ping/active',
    PYTHON,
    'python/celery_flow.py',
    { skip: skipCelery, mode: 'basics', timeoutMs: 120_000 },
  );
  scenario(
    'Celery acks_late: a task that kills its worker is redelivered to the next one',
    PYTHON,
    'python/celery_flow.py',
    {
      skip: skipCelery,
      mode: 'acks_late',
      timeoutMs: 120_000,
    },
  );
  scenario(
    'Celery ETA tasks do not hold back plain tasks (kombu raises the prefetch with basic.qos)',
    PYTHON,
    'python/celery_flow.py',
    {
      // kombu sends its prefetch raise with global=true only to a broker whose product is "RabbitMQ"; to
      // "Warren" it sends global=false meaning the whole channel (the spec), which Warren still reads as
      // RabbitMQ does (new consumers only). Fixed by the QoS/product-name change of issue 17 (another branch).
      skip: skipCelery || (EXTERNAL ? false : 'waits for the issue 17 fix of the default product name/global QoS'),
      mode: 'eta',
      timeoutMs: 120_000,
    },
  );
  scenario(
    'Celery ETA tasks with --advertise-rabbitmq (kombu takes its RabbitMQ QoS path)',
    PYTHON,
    'python/celery_flow.py',
    { skip: skipCelery, mode: 'eta', broker: { advertiseRabbitmq: true }, timeoutMs: 120_000 },
  );
  scenario(
    'aio-pika: confirms, queue iterators, prefetch, dead-lettering, RPC and Master patterns, robust reconnect',
    PYTHON,
    'python/aio_pika_flow.py',
    { skip: skipAioPika },
  );
  scenario(
    'Bunny: confirms, prefetch, returns, DLX, direct reply-to RPC, tx, automatic recovery',
    'ruby',
    'ruby/bunny_flow.rb',
    { skip: skipBunny },
  );
  scenario(
    'php-amqplib: AMQPLAIN/PLAIN, confirms, basic_consume, qos, returns, DLX, RPC, reconnect()',
    'php',
    'php/amqplib_flow.php',
    { skip: skipPhp },
  );
});
