// A Warren cluster for tests and scripts: a real etcd and N `warren server --etcd` child processes on
// loopback ports reserved for the test process (ports.ts), each with its own data directory; nodes can be stopped, killed (-9), paused
// (SIGSTOP) and resumed, and started again on the same ports and data. Used by test/cluster/ and
// bench/cluster/chaos.mjs (after `npm run build`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { FaultProxy } from '../fault-proxy.js';
import { startEtcd, type EtcdProcess } from './etcd.js';
import { reservePort } from './ports.js';

const WARREN_BIN = fileURLToPath(new URL('../../../../bin/warren', import.meta.url));

export interface NodePorts {
  amqp: number;
  management: number;
  prometheus: number;
  cluster: number;
}

export class TestNode {
  proc: ChildProcess | null = null;
  private log = '';
  private exited: Promise<void> = Promise.resolve();
  paused = false;

  constructor(
    readonly name: string,
    readonly ports: NodePorts,
    readonly dataDir: string,
    private readonly args: string[],
    /** With `faults`: the proxy between this node and etcd (its --etcd points there). */
    readonly etcdProxy: FaultProxy | null = null,
    /** With `faults`: the proxy the other nodes reach this node's cluster port through. */
    readonly clusterProxy: FaultProxy | null = null,
  ) {}

  /** warren@NAME */
  get nodeName(): string {
    return `warren@${this.name}`;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.ports.amqp}/`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Everything it logged since it was last started. */
  output(): string {
    return this.log;
  }

  /** Start the process; resolves once it has joined the cluster (its member record is in etcd). */
  async start(timeoutMs = 20000): Promise<void> {
    if (this.proc) throw new Error(`${this.name} is running`);
    this.log = '';
    const child = spawn(process.execPath, [WARREN_BIN, 'server', ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = child;
    this.paused = false;
    const onData = (d: Buffer) => {
      if (this.log.length < 2_000_000) this.log += d.toString();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exited = new Promise((r) =>
      child.on('exit', () => {
        if (this.proc === child) this.proc = null;
        r();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    while (!this.log.includes('joined cluster')) {
      if (this.proc !== child) throw new Error(`${this.name} exited: ${this.log}`);
      if (Date.now() > deadline) {
        // debugging: with NODE_OPTIONS=--report-on-signal, a diagnostic report (stack, handles) of the stuck node
        if (process.env['WARREN_TEST_CLUSTER_LOGS'] && process.env['NODE_OPTIONS']?.includes('--report-on-signal')) {
          child.kill('SIGUSR2');
          await sleep(2000);
        }
        throw new Error(`${this.name} did not join: ${this.log}`);
      }
      await sleep(25);
    }
  }

  /** kill -9 */
  async kill(): Promise<void> {
    if (!this.proc) return;
    if (this.paused) this.proc.kill('SIGCONT');
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: a clean stop. */
  async stop(): Promise<void> {
    if (!this.proc) return;
    if (this.paused) this.proc.kill('SIGCONT');
    this.proc.kill('SIGTERM');
    await this.exited;
  }

  pause(): void {
    this.proc?.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
    this.paused = false;
  }
}

export interface ClusterOptions {
  nodes?: number;
  /** etcd lease TTL of each node, seconds (failover takes about this). */
  leaseTtl?: number;
  /** Extra `warren server` arguments for every node. */
  args?: string[];
  clusterName?: string;
  /**
   * Put a fault-injecting proxy (test/helpers/fault-proxy.ts) between each node and etcd and in front of each
   * node's cluster port (advertised with --cluster-advertise-port), so a test can cut or blackhole them.
   */
  faults?: boolean;
}

export class TestCluster {
  readonly etcdClient: Etcd3;

  constructor(
    readonly etcd: EtcdProcess,
    readonly nodes: TestNode[],
    readonly clusterName: string,
    private readonly root: string,
    private readonly o: ClusterOptions,
  ) {
    this.etcdClient = new Etcd3({ hosts: etcd.url });
  }

  /** A new node (empty data directory, the next name n4, n5, …) added to the running cluster and started. */
  async addNode(): Promise<TestNode> {
    const n = await makeNode(this.nodes.length + 1, this.etcd, this.root, this.clusterName, this.o);
    this.nodes.push(n);
    await n.start();
    return n;
  }

  node(name: string): TestNode {
    const n = this.nodes.find((x) => x.name === name || x.nodeName === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** The leader's node name as etcd has it now, or null. */
  async leaderName(): Promise<string | null> {
    return (await this.etcdClient.get(`warren/${this.clusterName}/leader`).string()) ?? null;
  }

  /** Wait for a leader (other than `not`) that serves AMQP; returns its node. */
  async waitForLeader(timeoutMs = 15000, not: string | null = null): Promise<TestNode> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const name = await this.leaderName().catch(() => null);
      if (name !== null && name !== not) {
        const n = this.node(name);
        if (n.output().includes(' leads, serving clients')) return n;
      }
      if (Date.now() > deadline) throw new Error(`no leader after ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** The in-sync set as etcd has it. */
  async isr(): Promise<string[] | null> {
    const v = await this.etcdClient.get(`warren/${this.clusterName}/isr`).string();
    return v === null ? null : (JSON.parse(v) as string[]);
  }

  urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    // debugging a flaky run: WARREN_TEST_CLUSTER_LOGS=DIR keeps every node's log of this cluster there
    const keep = process.env['WARREN_TEST_CLUSTER_LOGS'];
    if (keep) {
      mkdirSync(keep, { recursive: true });
      for (const n of this.nodes) writeFileSync(join(keep, `${basename(this.root)}-${n.name}.log`), n.output());
    }
    for (const n of this.nodes) {
      await n.etcdProxy?.close();
      await n.clusterProxy?.close();
    }
    this.etcdClient.close();
    await this.etcd.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** etcd and `nodes` Warren nodes (n1, n2, …), all started; the first to win the election leads. */
export async function startTestCluster(o: ClusterOptions = {}): Promise<TestCluster> {
  const etcd = await startEtcd();
  const root = mkdtempSync(join(tmpdir(), 'warren-cluster-'));
  const clusterName = o.clusterName ?? 'test';
  const nodes: TestNode[] = [];
  const c = new TestCluster(etcd, nodes, clusterName, root, o);
  try {
    for (let i = 1; i <= (o.nodes ?? 3); i++) nodes.push(await makeNode(i, etcd, root, clusterName, o));
    await Promise.all(nodes.map((n) => n.start()));
  } catch (e) {
    await c.close();
    throw e;
  }
  return c;
}

async function makeNode(
  i: number,
  etcd: EtcdProcess,
  root: string,
  clusterName: string,
  o: ClusterOptions,
): Promise<TestNode> {
  const ports: NodePorts = {
    amqp: await reservePort(),
    management: await reservePort(),
    prometheus: await reservePort(),
    cluster: await reservePort(),
  };
  const name = `n${i}`;
  const dataDir = join(root, name);
  let etcdUrl = etcd.url;
  let etcdProxy: FaultProxy | null = null;
  let clusterProxy: FaultProxy | null = null;
  const faultArgs: string[] = [];
  if (o.faults) {
    const u = new URL(etcd.url);
    etcdProxy = await new FaultProxy(u.hostname, Number(u.port)).start();
    etcdUrl = `http://127.0.0.1:${etcdProxy.port}`;
    clusterProxy = await new FaultProxy('127.0.0.1', ports.cluster).start();
    faultArgs.push('--cluster-advertise-port', String(clusterProxy.port));
  }
  const args = [
    ...['--etcd', etcdUrl, '--node-name', name, '--cluster-name', clusterName],
    ...['--cluster-port', String(ports.cluster), '--cluster-advertise-host', '127.0.0.1', ...faultArgs],
    ...['--cluster-lease-ttl', String(o.leaseTtl ?? 2), '--bind', '127.0.0.1', '--data-dir', dataDir],
    ...['--amqp-port', String(ports.amqp), '--management-port', String(ports.management)],
    ...['--prometheus-port', String(ports.prometheus)],
    ...['--mqtt-port', 'off', '--stomp-port', 'off', '--web-mqtt-port', 'off', '--web-stomp-port', 'off'],
    ...['--stream-port', 'off'],
    ...(o.args ?? []),
  ];
  return new TestNode(name, ports, dataDir, args, etcdProxy, clusterProxy);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
