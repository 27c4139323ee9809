// The broker: vhosts, users and the live connections, independent of any protocol. Front ends authenticate
// against it, open vhosts through it, and register their connections so management can list them.
import { notAllowed } from './errors.js';
import { UserStore, type User } from './auth/users.js';
import { AuthService } from './auth/service.js';
import type { LoginRequest } from './auth/backend.js';
import { vhostPermitted } from './auth/permissions.js';
import type { DefinitionChange } from './declare.js';
import { VHost } from './vhost.js';
import { Alarms } from './alarms.js';
import type { MessageStore } from './queue/backing.js';
import type { Queue } from './queue/queue.js';
import type { ChannelStats } from './stats.js';
import { GlobalCounters } from './global-counters.js';
import {
  checkLimits,
  limitOf,
  USER_LIMIT_KEYS,
  userChannelLimit,
  userConnectionLimit,
  type UserLimits,
} from './resource-limits.js';

// the front ends count on their channels with these (defined with the other message counters)
export { newChannelStats, type ChannelStats } from './stats.js';

/** A channel as management lists it (GET /api/channels), described by its front end. */
export interface ChannelInfo {
  number: number;
  consumerCount: number;
  messagesUnacknowledged: number;
  prefetchCount: number;
  globalPrefetchCount: number;
  confirm: boolean;
  transactional: boolean;
  /** The channel's own counters (the same object for the channel's life, so rates can be sampled). */
  stats: ChannelStats;
}

/** What a front end's connection exposes to the core (for listing and forced close). */
export interface ClientConnection {
  readonly id: number;
  readonly protocol: string;
  readonly user: string;
  readonly vhost: string;
  /** Open channels (user max-channels; a connection without channels counts 0). */
  readonly channelCount?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly connectedAt?: number;
  readonly clientProperties?: Record<string, unknown>;
  readonly tls?: boolean;
  readonly frameMax?: number;
  readonly channelMax?: number;
  readonly heartbeat?: number;
  readonly blocked?: boolean;
  readonly stats?: { recvOct: number; sendOct: number; recvCnt: number; sendCnt: number };
  /** The open channels, for management. */
  channelInfos?(): ChannelInfo[];
  /** Close it from the server side (shutdown, management). */
  forceClose(reason: string): void;
  /** Its byte stream (broker.faults.dropConnection({ abrupt }) destroys it). */
  readonly socket?: { destroy(): void };
}

export interface BrokerConfig {
  loopbackUsers: string[];
  /** The node's name (`warren@NAME`); default `warren@localhost` (STANDALONE_NODE_NAME), a cluster node its own. */
  nodeName?: string;
  /** The cluster's name (RabbitMQ cluster_name); default the node name. */
  clusterName?: string;
}

/** Vhost metadata and limits (rabbitmqctl add_vhost --description/--tags, set_vhost_limits). */
export interface VHostSettings {
  description: string;
  tags: string[];
  defaultQueueType: string;
  /** max-connections, max-queues; absent = unlimited. */
  limits: Record<string, number>;
}

/** The name of a node not in a cluster unless --node-name says otherwise. */
export const STANDALONE_NODE_NAME = 'warren@localhost';

export class Broker {
  readonly vhosts = new Map<string, VHost>();
  readonly vhostSettings = new Map<string, VHostSettings>();
  readonly users = new UserStore();
  /** Logins through the auth_backends chain, vhost access, credential expiry, update-secret. */
  readonly auth: AuthService = new AuthService(this.users, () => this.config.loopbackUsers, isLoopback);
  readonly connections = new Map<number, ClientConnection>();
  readonly alarms = new Alarms();
  /** The message store of a file-backed broker (publisher confirms wait on its fsyncs), else null. */
  store: MessageStore | null = null;
  /** Cluster-wide parameters would live here; per-vhost runtime parameters (component → name → value). */
  readonly parameters = new Map<string, Map<string, Map<string, unknown>>>();
  readonly startedAt = Date.now();
  /**
   * Node-wide counts of events that belong to no queue (management's message_stats.confirm,
   * return_unroutable and drop_unroutable; Prometheus' messages received on confirm channels): plain
   * numbers bumped in place by the front ends, sampled on a timer.
   */
  readonly stats = { confirm: 0, returnUnroutable: 0, dropUnroutable: 0, receivedConfirm: 0 };
  /** The Stream protocol's global counters (Prometheus rabbitmq_global_*{protocol="stream"}). */
  readonly global = new GlobalCounters();
  /** RabbitMQ-style node name, shown by management and metrics. */
  readonly nodeName: string;
  /** RabbitMQ's cluster_name: the node's own name on a single node, `--cluster-name` in a cluster. */
  readonly clusterName: string;
  /** Called after any definition change (users, vhosts, permissions, or a vhost's own definitions). */
  onDefinitionsChanged: ((vhost?: VHost, change?: DefinitionChange) => void) | null = null;
  /** Definition changes so far (the management API waits for definitionsStored after a request's own). */
  definitionsVersion = 0;
  /** The changes so far on disk (a promise; null when they are, or with storage 'memory'): storage.ts. */
  definitionsStored: (() => Promise<void> | null) | null = null;
  /** Called when any vhost creates a queue (the file store attaches message storage to durable ones). */
  onQueueCreated: ((q: Queue) => void) | null = null;
  /** Called when any vhost deletes a queue, for each listener (MQTT: a stored session's parked deliveries). */
  readonly queueDeletedListeners = new Set<(q: Queue) => void>();
  private nextConnectionId = 1;

  constructor(readonly config: BrokerConfig) {
    // One node on its own is warren@localhost (a cluster names its nodes: cluster/config.ts): the host part of a
    // node name is what RabbitMQ's stream plugin advertises, and stream clients check that the connection they
    // opened for a publisher is on the stream's leader by comparing the two (rabbitmq-stream-js-client's own
    // tests do); Warren advertises `localhost` to clients on loopback (frontend/stream/server.ts), as the
    // anchor RabbitMQ (anchor@localhost) does, so both say localhost.
    this.nodeName = config.nodeName ?? STANDALONE_NODE_NAME;
    this.clusterName = config.clusterName ?? this.nodeName;
    this.users.onChange = () => this.definitionsChanged();
  }

  /** A vhost's queue/exchange/binding change comes with `change`; anything else without (see DefinitionChange). */
  definitionsChanged(vhost?: VHost, change?: DefinitionChange): void {
    this.onDefinitionsChanged?.(vhost, change);
    this.definitionsVersion++;
  }

  addVHost(name: string, settings?: Partial<VHostSettings>): VHost {
    let v = this.vhosts.get(name);
    if (!v) {
      this.vhosts.set(name, (v = new VHost(name)));
      v.listener = {
        changed: (vh, change) => this.definitionsChanged(vh, change),
        queueCreated: (q) => this.onQueueCreated?.(q),
        queueDeleted: (q) => {
          for (const fn of this.queueDeletedListeners) fn(q);
        },
      };
      this.vhostSettings.set(name, { description: '', tags: [], defaultQueueType: 'classic', limits: {} });
    }
    if (settings) {
      const s = this.vhostSettings.get(name)!;
      if (settings.description !== undefined) s.description = settings.description;
      if (settings.tags !== undefined) s.tags = settings.tags;
      if (settings.defaultQueueType !== undefined) s.defaultQueueType = settings.defaultQueueType;
      if (settings.limits !== undefined) {
        s.limits = settings.limits;
        const mq = settings.limits['max-queues'];
        v.maxQueues = typeof mq === 'number' && mq >= 0 ? mq : -1;
      }
    }
    this.definitionsChanged();
    return v;
  }

  /** Delete a vhost: its connections are closed (320), its queues and exchanges go, permissions on it too. */
  deleteVHost(name: string): boolean {
    const v = this.vhosts.get(name);
    if (!v) return false;
    for (const c of [...this.connections.values()]) {
      if (c.vhost === name) c.forceClose(`vhost '${name}' is deleted`);
    }
    for (const q of [...v.queues.values()]) v.deleteQueueObject(q);
    this.global.vhostDeleted(v.stats.publish, v.retired);
    this.vhosts.delete(name);
    this.vhostSettings.delete(name);
    this.parameters.delete(name);
    this.users.forgetVHost(name);
    this.definitionsChanged();
    return true;
  }

  /** Delete a user; RabbitMQ closes the user's connections too. */
  deleteUser(name: string): boolean {
    if (!this.users.delete(name)) return false;
    for (const c of [...this.connections.values()]) {
      if (c.user === name) c.forceClose(`user '${name}' is deleted`);
    }
    return true;
  }

  /** The vhost a connection opens (connection.open); 530 NOT_ALLOWED as RabbitMQ when missing or forbidden. */
  openVHost(name: string, user: User): VHost {
    const v = this.vhosts.get(name);
    if (!v) throw notAllowed(`vhost ${name} not found`);
    if (!vhostPermitted(user, name)) {
      throw notAllowed(`access to vhost '${name}' refused for user '${user.name}'`);
    }
    const max = this.vhostSettings.get(name)?.limits['max-connections'];
    if (max !== undefined && max >= 0) {
      let n = 0;
      for (const c of this.connections.values()) if (c.vhost === name) n++;
      if (n >= max) {
        throw notAllowed(
          `access to vhost '${name}' refused for user '${user.name}': connection limit (${max}) is reached`,
        );
      }
    }
    const maxU = limitOf(user.limits['max-connections']);
    if (maxU >= 0 && this.countConnections((c) => c.user === user.name) >= maxU) {
      throw userConnectionLimit(user.name, maxU);
    }
    return v;
  }

  /** A connection of `user` opens a channel: refused at the user's max-channels (530 NOT_ALLOWED). */
  checkChannelLimit(user: string): void {
    const max = limitOf(this.users.users.get(user)?.limits['max-channels']);
    if (max < 0) return;
    let n = 0;
    for (const c of this.connections.values()) if (c.user === user) n += c.channelCount ?? 0;
    if (n >= max) throw userChannelLimit(user, max);
  }

  /** rabbitmqctl set_user_limits (replaces the user's limits; {} clears them). */
  setUserLimits(user: string, limits: UserLimits): void {
    const u = this.users.users.get(user);
    if (!u) throw notAllowed(`user '${user}' not found`);
    checkLimits(limits as Record<string, unknown>, USER_LIMIT_KEYS);
    u.limits = { ...limits };
    this.definitionsChanged();
  }

  private countConnections(pred: (c: ClientConnection) => boolean): number {
    let n = 0;
    for (const c of this.connections.values()) if (pred(c)) n++;
    return n;
  }

  /**
   * Log in through the auth_backends chain (auth/service.ts): the user, or the text the client is refused
   * with (RabbitMQ's "Login was refused …", or loopback_users' "can only connect via localhost"). A promise
   * only when a backend answers later (HTTP).
   */
  login(req: LoginRequest): User | string | Promise<User | string> {
    return this.auth.login(req);
  }

  /** Connections accepted so far (rabbitmq_connections_opened_total). */
  get allocatedConnections(): number {
    return this.nextConnectionId - 1;
  }

  allocateConnectionId(): number {
    return this.nextConnectionId++;
  }

  register(c: ClientConnection): void {
    this.connections.set(c.id, c);
  }

  unregister(c: ClientConnection): void {
    this.connections.delete(c.id);
  }
}

export function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}
