// One node of a Warren cluster (issue 14): joins etcd under a lease, follows the leader (piping clients to
// it, streaming its log) and campaigns when it may lead; as leader it runs the broker on its replicated data
// directory. Every change of role goes through one chain (`transition`), so promotion and demotion never
// interleave. See ARCHITECTURE.md "Cluster".
import { performance } from 'node:perf_hooks';
import { startBroker, type RunningBroker } from '../server.js';
import type { BrokerOptions } from '../options.js';
import type { ClusterInfo } from '../core/cluster-info.js';
import type { Logger } from '../util/logger.js';
import { VERSION } from '../version.js';
import type { ClusterConfig, ClusterKeys } from './config.js';
import { NodeLease } from './lease.js';
import { within, type EtcdLink } from './etcd-link.js';
import { ClusterState, type MemberRecord } from './state.js';
import { ClientProxy } from './proxy.js';
import { DefinitionsMirror, importMirrored } from './definitions-mirror.js';
import { InSyncSet } from './isr.js';
import type { FollowerLink, LeaderLink, Replication } from './replication-link.js';
import { startFollowerMetrics } from './follower-metrics.js';

/** Client protocols a follower pipes to the leader, with the option that holds each one's port. */
export const PROXIED = [
  ['amqp', 'amqpPort'],
  ['amqps', 'amqpsPort'],
  ['management', 'managementPort'],
  ['management-tls', 'managementTlsPort'],
  ['prometheus-tls', 'prometheusTlsPort'],
  ['mqtt', 'mqttPort'],
  ['mqtts', 'mqttsPort'],
  ['stomp', 'stompPort'],
  ['stomps', 'stompsPort'],
  ['web-mqtt', 'webMqttPort'],
  ['web-stomp', 'webStompPort'],
  ['web-mqtt-tls', 'webMqttTlsPort'],
  ['web-stomp-tls', 'webStompTlsPort'],
  // the Stream protocol's open and metadata answers advertise the leader's host and port, so a stream
  // client that came through a follower then connects to the leader itself, as with a RabbitMQ cluster
  ['stream', 'streamPort'],
  ['streams', 'streamsPort'],
] as const;

export type Role = 'starting' | 'follower' | 'leader' | 'stopped';

export class ClusterNode {
  role: Role = 'starting';
  /** The broker while this node leads. */
  running: RunningBroker | null = null;
  /** ms from winning the election to serving clients, last time this node was promoted. */
  lastPromotionMs: number | null = null;
  private lease: NodeLease | null = null;
  private proxy: ClientProxy | null = null;
  private metrics: { close(): Promise<void> } | null = null;
  private follower: FollowerLink | null = null;
  private followed: string | null = null;
  private followChain: Promise<void> = Promise.resolve();
  private offFollow: (() => void) | null = null;
  private leaderLink: LeaderLink | null = null;
  private isr: InSyncSet | null = null;
  private mirror: DefinitionsMirror | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly cfg: ClusterConfig,
    private readonly keys: ClusterKeys,
    private readonly etcd: EtcdLink,
    readonly state: ClusterState,
    readonly info: ClusterInfo,
    /** startBroker's options, every port fixed (start.ts picked the free ones). */
    private readonly opts: BrokerOptions,
    readonly ports: Record<string, number>,
    private readonly replication: Replication,
    private readonly log: Logger,
  ) {}

  get name(): string {
    return this.cfg.nodeName;
  }

  /**
   * Join: a port this node cannot listen on fails the start (`warren server` exits with EADDRINUSE, as a
   * single node does and as RabbitMQ does when a listener cannot bind at boot), before it is a member.
   */
  async start(): Promise<void> {
    // the prefix read and watched, retried on a fresh etcd client as after a lost lease (register): a watch
    // etcd3 never reports created (seen on a loaded machine) left a node silent, neither joined nor failed
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      try {
        await within(this.state.start(), this.cfg.leaseTtl * 1000, 'watch');
        break;
      } catch (e) {
        this.log.warn(`cluster: cannot join through etcd (${(e as Error).message}), retrying`);
        this.etcd.renew();
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    let failed: Error | null = null;
    await this.transition(() =>
      this.join(false, false).catch((e: unknown) => {
        failed = e as Error;
      }),
    );
    if (failed !== null) {
      await this.stop();
      throw failed;
    }
  }

  /** Clean stop: a leader closes its broker (clients get 320) and gives up its lease, so a follower wins at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.state.poke();
    await this.transition(async () => {
      if (this.role === 'leader') {
        // confirm nothing more, and let a follower take over while the broker closes (a rolling restart
        // costs one election, not an election after a TTL)
        this.leaderLink?.setRequiredAcks(Infinity);
        await this.lease?.revoke();
        await this.stopLeader();
      }
      await this.stopFollower();
      await this.lease?.revoke();
      this.role = 'stopped';
    });
    await this.state.stop();
  }

  private transition(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn).catch((e: unknown) => {
      this.log.error(`cluster: ${(e as Error).stack ?? String(e)}`);
    });
    this.chain = next;
    return next;
  }

  /**
   * Listen on this node's ports as a follower, then a new lease and this node's member record under it, then
   * campaign. The ports come first: a node that cannot serve them must not be a member (the leader would
   * count it in the in-sync set while it follows nothing). `retry`: after a step-down, ports another process
   * took meanwhile are tried again (logged, not a member meanwhile) rather than given up on.
   */
  private async join(fresh = false, retry = true): Promise<void> {
    for (let wait = 500; !this.stopping; wait = Math.min(wait * 2, 5000)) {
      try {
        await this.startFollower();
        break;
      } catch (e) {
        await this.stopFollower();
        if (!retry) throw e;
        this.log.error(`cluster: ${this.name} cannot listen as a follower (${(e as Error).message}), retrying`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    if (this.stopping) return;
    await this.register(fresh);
    if (this.stopping) return;
    void this.campaign();
  }

  /** The current etcd client (replaced after a lost lease, etcd-link.ts). */
  private get client() {
    return this.etcd.client;
  }

  /**
   * A new lease and this node's member record under it (retried until etcd answers). `fresh`: after a lost
   * lease or a failure, on a new etcd client with the state read again.
   */
  private async register(fresh = false): Promise<void> {
    const ms = this.cfg.leaseTtl * 1000;
    for (let wait = 100; !this.stopping; wait = Math.min(wait * 2, 2000)) {
      let lease: NodeLease | null = null;
      try {
        if (fresh) {
          this.etcd.renew();
          await within(this.state.start(), ms, 'watch');
        }
        fresh = true;
        const l = new NodeLease(this.client, this.cfg.leaseTtl, (why) => this.leaseLost(l, why));
        lease = l;
        await within(l.grant(), ms, 'lease grant');
        this.lease = l;
        const rec: MemberRecord = {
          name: this.name,
          host: this.cfg.advertiseHost,
          ports: this.ports,
          clusterPort: this.cfg.advertisePort ?? this.ports['cluster'] ?? 0,
          version: VERSION,
          startedAt: Date.now(),
        };
        await within(
          this.client.put(this.keys.member(this.name)).value(JSON.stringify(rec)).lease(l.id).exec(),
          ms,
          'member record',
        );
        await within(this.client.put(this.keys.node(this.name)).value(this.name).exec(), ms, 'node record');
        break;
      } catch (e) {
        lease?.release();
        if (this.lease === lease) this.lease = null;
        this.log.warn(`cluster: cannot join through etcd (${(e as Error).message}), retrying`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** May this node lead? Only with a live lease, and only from the in-sync set once there is one. */
  private eligible(): boolean {
    const isr = this.state.isr;
    return this.lease !== null && this.lease.valid() && (isr === null || isr.length === 0 || isr.includes(this.name));
  }

  private async campaign(): Promise<void> {
    const lease = this.lease;
    while (!this.stopping && this.role === 'follower' && this.lease === lease && lease !== null) {
      await this.state.until(
        () =>
          this.stopping ||
          this.role !== 'follower' ||
          this.lease !== lease ||
          (this.state.leader === null && this.eligible()),
      );
      if (this.stopping || this.role !== 'follower' || this.lease !== lease) return;
      try {
        // the leader key exists only while its lease does: create it if nobody holds it
        const r = await this.client
          .if(this.keys.leader, 'Create', '==', 0)
          .then(this.client.put(this.keys.leader).value(this.name).lease(lease.id))
          .commit();
        if (r.succeeded) {
          const epoch = Number(r.header.revision);
          await this.transition(() => this.promote(lease, epoch));
          return;
        }
      } catch (e) {
        this.log.warn(`cluster: campaign failed (${(e as Error).message}), retrying`);
      }
      // lost the race (or etcd failed): wait for the leader key to go again
      await this.state.until(() => this.stopping || this.state.leader !== null, 1000).catch(() => undefined);
    }
  }

  private async startFollower(): Promise<void> {
    this.role = 'follower';
    const proxy = new ClientProxy((protocol) => {
      const l = this.state.leader;
      if (protocol === 'cluster') return null;
      if (l === null || l.name === this.name) return null;
      const m = this.state.members.get(l.name);
      const port = m?.ports[protocol];
      return m && port ? { host: m.host, port } : null;
    });
    this.proxy = proxy;
    const bind =
      this.opts.bind === undefined ? ['::'] : Array.isArray(this.opts.bind) ? this.opts.bind : [this.opts.bind];
    for (const [protocol] of PROXIED) {
      const port = this.ports[protocol];
      if (port !== undefined) await proxy.add(protocol, port, bind);
    }
    // the cluster port is held too (RabbitMQ's 25672 is bound for the node's life): another process taking
    // it meanwhile would leave this node unable to lead; a follower connecting here is closed (not a leader)
    const cp = this.ports['cluster'];
    if (cp !== undefined && cp !== 0) await proxy.add('cluster', cp, bind);
    const pp = this.ports['prometheus'];
    if (pp !== undefined) this.metrics = await startFollowerMetrics(pp, bind, this.info, () => proxy.piped);
    this.offFollow = this.state.onChange(() => this.follow());
    this.follow();
    this.log.info(`cluster: ${this.name} follows (leader ${this.state.leader?.name ?? 'not elected yet'})`);
  }

  /** The leader changed: close piped connections, stream from the new one. */
  private follow(): void {
    if (this.role !== 'follower') return;
    const l = this.state.leader;
    const key = l === null ? null : `${l.name}#${l.epoch}`;
    if (key === this.followed) return;
    this.followed = key;
    this.proxy?.dropAll();
    this.followChain = this.followChain.then(async () => {
      await this.follower?.close();
      this.follower = null;
      const m = l ? this.state.members.get(l.name) : undefined;
      if (l === null || l.name === this.name || m === undefined || this.role !== 'follower') return;
      try {
        this.follower = await this.replication.follower({
          dataDir: this.opts.dataDir ?? './data',
          nodeName: this.name,
          leader: { name: l.name, host: m.host, port: m.clusterPort, epoch: l.epoch },
          log: this.log,
        });
      } catch (e) {
        this.log.warn(`cluster: cannot follow ${l.name}: ${(e as Error).message}`);
      }
    });
  }

  private async stopFollower(): Promise<void> {
    this.offFollow?.();
    this.offFollow = null;
    this.followed = null;
    await this.followChain;
    await this.follower?.close();
    this.follower = null;
    await this.proxy?.close();
    this.proxy = null;
    await this.metrics?.close();
    this.metrics = null;
  }

  private async promote(lease: NodeLease, epoch: number): Promise<void> {
    if (this.lease !== lease || !lease.valid() || this.stopping) return;
    lease.strict = true;
    const t0 = performance.now();
    this.log.info(`cluster: ${this.name} won the election (epoch ${epoch})`);
    await this.stopFollower();
    this.role = 'leader';
    this.state.poke();
    let link: LeaderLink;
    try {
      const running = await startBroker({ ...this.opts, clusterInfo: this.info });
      this.running = running;
      importMirrored(running.broker, this.state.definitions, this.log);
      this.mirror = new DefinitionsMirror(this.client, this.keys, running.broker, epoch, this.log);
      this.mirror.start();
      link = await this.replication.leader({
        running,
        port: this.ports['cluster'] ?? 0,
        bind: running.options.bind,
        nodeName: this.name,
        epoch,
        leaseValid: () => lease.valid(),
        log: this.log,
      });
    } catch (e) {
      // a port taken meanwhile (the broker's, or the cluster port: a leader no follower reaches confirms
      // nothing): let another node lead, and join again with a new lease
      this.log.error(`cluster: cannot start as leader: ${(e as Error).message}`);
      await this.stopLeader();
      await lease.revoke();
      this.lease = null;
      await this.join();
      return;
    }
    this.leaderLink = link;
    if (!lease.valid()) link.setRequiredAcks(Infinity);
    this.isr = new InSyncSet(
      this.client,
      this.keys,
      this.state,
      this.name,
      epoch,
      link,
      this.replication.shipsData,
      this.log,
    );
    await this.isr.start();
    this.lastPromotionMs = Math.round(performance.now() - t0);
    this.log.info(`cluster: ${this.name} leads, serving clients ${this.lastPromotionMs} ms after winning`);
  }

  private async stopLeader(): Promise<void> {
    this.isr?.stop();
    this.isr = null;
    this.mirror?.stop();
    this.mirror = null;
    const running = this.running;
    this.running = null;
    await running?.close();
    await this.leaderLink?.close();
    this.leaderLink = null;
    this.role = 'follower';
  }

  /**
   * The lease may have expired (paused past it, cut off from etcd). A leader stops confirming at once (the
   * gate also asks `lease.valid()` itself), closes its clients and listeners, and joins again as a follower.
   */
  private leaseLost(lease: NodeLease, why: string): void {
    if (this.lease !== lease || this.stopping) return;
    this.log.warn(
      `cluster: ${this.name} lost its etcd lease (${why})${this.role === 'leader' ? ': stepping down' : ''}`,
    );
    this.leaderLink?.setRequiredAcks(Infinity);
    this.lease = null;
    this.state.poke();
    void this.transition(async () => {
      if (this.role === 'leader') {
        await this.stopLeader();
        await this.join(true);
      } else {
        // a follower keeps piping clients; it only needs a lease again to be seen and to campaign
        await this.register(true);
        if (!this.stopping) void this.campaign();
      }
    });
  }
}
