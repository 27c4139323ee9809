// Client failover with host lists on a real 3-node cluster (issue 14), as users configure RabbitMQ clusters:
// pika with a list of URLParameters and amqp091-go looping over the URLs (test/cluster/clients/) publish with
// confirms and consume with acks while the leader is killed with -9. Publishing is confirmed again within
// 5 s of the kill, and every confirmed message is delivered at least once. (amqplib's is in chaos.mjs.)
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startTestCluster, type TestCluster } from '../helpers/cluster/cluster.js';
import { waitInSync } from './helpers.js';

const CLIENTS = fileURLToPath(new URL('../../../test/cluster/clients/', import.meta.url));
const PYTHON = process.env['WARREN_INTEROP_PYTHON'] ?? '/usr/bin/python3';
const GOPATH = process.env['WARREN_INTEROP_GOPATH'] ?? '/usr/share/gocode';

const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 15000 }).status === 0;
const skipPika = ok(PYTHON, ['-c', 'import pika']) ? false : `${PYTHON} cannot import pika (python3-pika)`;
const skipGo =
  ok('go', ['version']) && existsSync(join(GOPATH, 'src/github.com/rabbitmq/amqp091-go'))
    ? false
    : 'go or amqp091-go missing (golang-go golang-github-rabbitmq-amqp091-go-dev)';

let c: TestCluster | undefined;
const buildDir = mkdtempSync(join(tmpdir(), 'warren-cluster-go-'));
before(async () => {
  if (!skipPika || !skipGo) c = await startTestCluster({ nodes: 3, leaseTtl: 2 });
});
after(async () => {
  await c?.close();
  rmSync(buildDir, { recursive: true, force: true });
});

interface Event {
  event: string;
  t?: number;
  confirmed?: string[];
  received?: string[];
  redelivered?: number;
}

/** Run a client program; its JSON lines come out as events. */
function run(cmd: string, args: string[]): { proc: ChildProcess; next(name: string, ms: number): Promise<Event> } {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 20000) stderr += d.toString();
  });
  const events: Event[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      events.push(JSON.parse(l) as Event);
    } catch {
      return;
    }
    for (const w of waiters.splice(0)) w();
  });
  proc.on('exit', () => {
    for (const w of waiters.splice(0)) w();
  });
  return {
    proc,
    async next(name, ms) {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = events.findIndex((e) => e.event === name);
        if (i >= 0) return events.splice(i, 1)[0]!;
        assert.ok(proc.exitCode === null, `${cmd} exited ${proc.exitCode} before "${name}": ${stderr}`);
        assert.ok(Date.now() < deadline, `no "${name}" from ${cmd} in ${ms} ms: ${stderr}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
  };
}

/** Traffic through `cmd`, a leader killed with -9, then the checks of the issue. */
async function failover(cmd: string, args: string[]): Promise<string> {
  const cl = c!;
  const leader = await cl.waitForLeader();
  await waitInSync(
    cl,
    cl.nodes.map((n) => n.nodeName),
  );
  const client = run(cmd, args);
  try {
    await client.next('ready', 30000);
    const t0 = Date.now();
    await leader.kill();
    const again = await client.next('confirmed-again', 15000);
    const ms = again.t! - t0;
    assert.ok(ms < 5000, `publishing confirmed again ${ms} ms after the kill`);
    await new Promise((r) => setTimeout(r, 1000)); // some traffic on the new leader
    client.proc.stdin!.write('stop\n');
    const r = await client.next('result', 30000);
    const got = new Set(r.received);
    const lost = r.confirmed!.filter((id) => !got.has(id));
    assert.deepEqual(lost.slice(0, 20), [], `${lost.length} of ${r.confirmed!.length} confirmed messages never came`);
    assert.ok(r.confirmed!.length > 100);
    return `confirmed again ${ms} ms after the kill; ${r.confirmed!.length} confirmed, all delivered (${r.redelivered} redelivered)`;
  } finally {
    client.proc.kill('SIGKILL');
    await leader.start(); // back as a follower
  }
}

test(
  'pika with a list of URLParameters: confirmed again within 5 s of a leader kill -9, nothing confirmed lost',
  { skip: skipPika },
  async (t) => {
    const urls = c!.nodes.map((n) => n.url).join(',');
    t.diagnostic(await failover(PYTHON, [join(CLIENTS, 'failover_pika.py'), urls, 'pika-failover']));
  },
);

test(
  'amqp091-go looping over the URLs: confirmed again within 5 s of a leader kill -9, nothing confirmed lost',
  { skip: skipGo },
  async (t) => {
    const bin = join(buildDir, 'failover');
    const env = {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH,
      GOFLAGS: '',
      GOCACHE: process.env['GOCACHE'] ?? join(tmpdir(), 'warren-interop-gocache'),
    };
    const b = spawnSync('go', ['build', '-o', bin, 'failover.go'], {
      cwd: CLIENTS,
      env,
      encoding: 'utf8',
      timeout: 180000,
    });
    assert.equal(b.status, 0, b.stderr);
    const urls = c!.nodes.map((n) => n.url).join(',');
    t.diagnostic(await failover(bin, [urls, 'go-failover']));
  },
);
