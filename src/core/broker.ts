// The broker: vhosts, users and the live connections, independent of any protocol. Front ends authenticate
// against it, open vhosts through it, and register their connections so management can list them.
import { notAllowed } from './errors.js';
import { UserStore, type User } from './auth/users.js';
import { VHost } from './vhost.js';
import { Alarms } from './alarms.js';
import type { MessageStore } from './queue/backing.js';

/** What a front end's connection exposes to the core (for listing and forced close). */
export interface ClientConnection {
  readonly id: number;
  readonly protocol: string;
  readonly user: string;
  readonly vhost: string;
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
  readonly alarms = new Alarms();
  /** The message store of a file-backed broker (publisher confirms wait on its fsyncs), else null. */
  store: MessageStore | null = null;
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
    return v;
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
