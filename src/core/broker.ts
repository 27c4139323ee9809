// The broker: vhosts, users and the live connections, independent of any protocol. Front ends authenticate
// against it, open vhosts through it, and register their connections so management can list them.
import { notAllowed } from './errors.js';
import { UserStore, type User } from './auth/users.js';
import { VHost } from './vhost.js';
import {
  checkLimits,
  limitOf,
  USER_LIMIT_KEYS,
  userChannelLimit,
  userConnectionLimit,
  vhostConnectionLimit,
  type UserLimits,
} from './resource-limits.js';

/** What a front end's connection exposes to the core (for listing and forced close). */
export interface ClientConnection {
  readonly id: number;
  readonly protocol: string;
  readonly user: string;
  readonly vhost: string;
  /** Open channels (user max-channels). */
  readonly channelCount: number;
  /** Close it from the server side (shutdown, management). */
  forceClose(reason: string): void;
}

export interface BrokerConfig {
  loopbackUsers: string[];
}

export class Broker {
  readonly vhosts = new Map<string, VHost>();
  readonly users = new UserStore();
  readonly connections = new Map<number, ClientConnection>();
  private nextConnectionId = 1;

  constructor(readonly config: BrokerConfig) {}

  addVHost(name: string): VHost {
    let v = this.vhosts.get(name);
    if (!v) this.vhosts.set(name, (v = new VHost(name)));
    return v;
  }

  /** The vhost a connection opens (connection.open); 530 NOT_ALLOWED as RabbitMQ when missing or forbidden. */
  openVHost(name: string, user: User): VHost {
    const v = this.vhosts.get(name);
    if (!v) throw notAllowed(`vhost ${name} not found`);
    if (!user.permissions.has(name)) {
      throw notAllowed(`access to vhost '${name}' refused for user '${user.name}'`);
    }
    const maxV = limitOf(v.limits['max-connections']);
    if (maxV >= 0 && this.countConnections((c) => c.vhost === name) >= maxV) {
      throw vhostConnectionLimit(name, user.name, maxV);
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
    for (const c of this.connections.values()) if (c.user === user) n += c.channelCount;
    if (n >= max) throw userChannelLimit(user, max);
  }

  /** rabbitmqctl set_user_limits (replaces the user's limits; {} clears them). */
  setUserLimits(user: string, limits: UserLimits): void {
    const u = this.users.users.get(user);
    if (!u) throw notAllowed(`user '${user}' not found`);
    checkLimits(limits as Record<string, unknown>, USER_LIMIT_KEYS);
    u.limits = { ...limits };
    for (const v of this.vhosts.values()) {
      v.listener?.changed(v);
      break;
    }
  }

  private countConnections(pred: (c: ClientConnection) => boolean): number {
    let n = 0;
    for (const c of this.connections.values()) if (pred(c)) n++;
    return n;
  }

  /**
   * The user when name/password are right and the user may connect from this address
   * (RabbitMQ loopback_users: guest only from localhost). Returns a reason string on failure.
   */
  authenticate(name: string, password: string, remoteAddress: string): User | string {
    const u = this.users.authenticate(name, password);
    if (!u) return `Login was refused using authentication mechanism PLAIN. For details see the broker logfile.`;
    if (this.config.loopbackUsers.includes(name) && !isLoopback(remoteAddress)) {
      return `User '${name}' can only connect via localhost`;
    }
    return u;
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
