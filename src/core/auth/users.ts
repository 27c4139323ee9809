// Users: password hash (RabbitMQ's format), tags, and per-vhost permissions and topic permissions with their
// regular expressions compiled once. Every change bumps `generation`, so channels that cache permission
// checks (as RabbitMQ's rabbit_channel permission_cache does) see revocations at once.
import { preconditionFailed } from '../errors.js';
import { checkPassword, DEFAULT_HASHING, hashPassword } from './password.js';
import type { UserLimits } from '../resource-limits.js';
import type { Authorizer } from './authz.js';

export interface Permission {
  configure: string;
  write: string;
  read: string;
}

export interface TopicPermission {
  exchange: string;
  write: string;
  read: string;
}

/** A permission with its regexes compiled. An empty pattern means '^$' (rabbit_auth_backend_internal). */
export class CompiledPermission implements Permission {
  readonly configureRe: RegExp;
  readonly writeRe: RegExp;
  readonly readRe: RegExp;
  constructor(
    readonly configure: string,
    readonly write: string,
    readonly read: string,
  ) {
    this.configureRe = compile(configure);
    this.writeRe = compile(write);
    this.readRe = compile(read);
  }
}

export class CompiledTopicPermission implements TopicPermission {
  readonly writeRe: string;
  readonly readRe: string;
  constructor(
    readonly exchange: string,
    readonly write: string,
    readonly read: string,
  ) {
    // validated now; compiled per check because {username}/{vhost} expand first
    compile(write);
    compile(read);
    this.writeRe = write === '' ? '^$' : write;
    this.readRe = read === '' ? '^$' : read;
  }
}

export function compile(pattern: string): RegExp {
  try {
    return new RegExp(pattern === '' ? '^$' : pattern);
  } catch {
    throw preconditionFailed(`'${pattern}' is not a valid regular expression`);
  }
}

export class User {
  /** Per vhost. */
  readonly permissions = new Map<string, CompiledPermission>();
  /** Per vhost, then per exchange. */
  readonly topicPermissions = new Map<string, Map<string, CompiledTopicPermission>>();
  /** Bumped on every permission change (see UserStore.generation). */
  generation = 0;
  /** set_user_limits: max-connections, max-channels (absent or negative: none). */
  limits: UserLimits = {};
  /**
   * Who answers this user's authorisation: null for the internal store (the maps above), else the external
   * backend's view (OAuth 2 scopes, the HTTP service). Such a user lives only on its connection.
   */
  authz: Authorizer | null = null;
  /** The name of the backend that admitted this login (update-secret asks the same one). */
  authn = 'internal';
  /** When the credential stops being valid, ms since the epoch (an OAuth 2 token's exp); null: never. */
  expiresAt: number | null = null;
  constructor(
    readonly name: string,
    public passwordHash: string,
    public tags: string[],
    public hashingAlgorithm: string = DEFAULT_HASHING,
  ) {}

  isAdministrator(): boolean {
    return this.tags.includes('administrator');
  }
}

export class UserStore {
  readonly users = new Map<string, User>();
  /** Called after every change, for durable storage. */
  onChange: (() => void) | null = null;

  /** Create or replace a user with a password ('' for none: the user cannot log in with a password). */
  add(name: string, password: string, tags: string[] = []): User {
    return this.put(name, password === '' ? '' : hashPassword(password), tags, DEFAULT_HASHING);
  }

  /** Create or update a user from a hash (definitions import, PUT /api/users with password_hash). */
  put(name: string, passwordHash: string, tags: string[], algorithm: string): User {
    let u = this.users.get(name);
    if (u) {
      u.passwordHash = passwordHash;
      u.tags = tags;
      u.hashingAlgorithm = algorithm;
      u.generation++;
    } else {
      this.users.set(name, (u = new User(name, passwordHash, tags, algorithm)));
    }
    this.changed();
    return u;
  }

  delete(name: string): boolean {
    const u = this.users.get(name);
    if (!u) return false;
    this.users.delete(name);
    u.permissions.clear();
    u.topicPermissions.clear();
    u.generation++;
    this.changed();
    return true;
  }

  /** The user if the password is right, else null. */
  authenticate(name: string, password: string): User | null {
    const u = this.users.get(name);
    if (!u) return null;
    return checkPassword(password, u.passwordHash, u.hashingAlgorithm) ? u : null;
  }

  setPermissions(user: string, vhost: string, p: Permission): void {
    const u = this.users.get(user);
    if (!u) return;
    u.permissions.set(vhost, new CompiledPermission(p.configure, p.write, p.read));
    u.generation++;
    this.changed();
  }

  clearPermissions(user: string, vhost: string): boolean {
    const u = this.users.get(user);
    if (!u || !u.permissions.delete(vhost)) return false;
    u.generation++;
    this.changed();
    return true;
  }

  setTopicPermission(user: string, vhost: string, p: TopicPermission): void {
    const u = this.users.get(user);
    if (!u) return;
    let m = u.topicPermissions.get(vhost);
    if (!m) u.topicPermissions.set(vhost, (m = new Map()));
    m.set(p.exchange, new CompiledTopicPermission(p.exchange, p.write, p.read));
    u.generation++;
    this.changed();
  }

  /** Clear one exchange's topic permission, or all of the vhost's when `exchange` is undefined. */
  clearTopicPermissions(user: string, vhost: string, exchange?: string): boolean {
    const u = this.users.get(user);
    const m = u?.topicPermissions.get(vhost);
    if (!u || !m) return false;
    const had = exchange === undefined ? m.size > 0 : m.delete(exchange);
    if (exchange === undefined || m.size === 0) u.topicPermissions.delete(vhost);
    if (had) {
      u.generation++;
      this.changed();
    }
    return had;
  }

  /** Drop every permission on a deleted vhost. */
  forgetVHost(vhost: string): void {
    for (const u of this.users.values()) {
      const a = u.permissions.delete(vhost);
      const b = u.topicPermissions.delete(vhost);
      if (a || b) u.generation++;
    }
    this.changed();
  }

  private changed(): void {
    this.onChange?.();
  }
}
