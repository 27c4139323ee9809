// Logins and their lifetime, for every front end (RabbitMQ's rabbit_access_control): the auth_backends
// chain tried in order (the first backend that admits the user wins; a refusal passes to the next), an
// authn backend optionally paired with another authz backend ({authn, authz} as RabbitMQ's
// `auth_backends.1.authn = …`, `.authz = …`), loopback_users, vhost access, a credential's expiry (an OAuth 2
// token's exp closes its connection unless update-secret brought a new one) and update-secret itself.
//
// Answers are synchronous where the backends are (internal, OAuth 2), so a broker without the HTTP backend
// logs in exactly as before; the HTTP backend's make them promises.
import type { AuthnBackend, LoginRequest } from './backend.js';
import { AuthzPending, type Authorizer } from './authz.js';
import type { User } from './users.js';
import { InternalBackend } from './internal.js';
import { permitted, topicPermitted } from './permissions.js';
import type { UserStore } from './users.js';
import { clearTimer, now, setTimer, type Timer } from '../../util/clock.js';

/** One entry of auth_backends: a backend for both, or an authn backend whose users another authorises. */
export interface ChainEntry {
  authn: AuthnBackend;
  /** Authorisation from another backend: 'internal' (the store's permissions for the same name). */
  authz?: 'internal';
}

/** A logged-in connection, as expiry and update-secret see it. */
export interface AuthenticatedConnection {
  readonly userObj: User | null;
  /** The credential expired (no update-secret in time): close as the protocol does. */
  credentialExpired(): void;
}

export type LoginResult = User | string;

export class AuthService {
  chain: ChainEntry[];
  /** Why logins were refused, per backend (the front ends log it with the connection's name). */
  log: ((msg: string) => void) | null = null;
  private readonly timers = new WeakMap<AuthenticatedConnection, Timer>();

  constructor(
    private readonly users: UserStore,
    private readonly loopbackUsers: () => readonly string[],
    private readonly isLoopback: (addr: string) => boolean,
  ) {
    this.chain = [{ authn: new InternalBackend(users) }];
  }

  /** The chain names, for logs and the overview. */
  get backendNames(): string[] {
    return this.chain.map((e) => (e.authz ? `${e.authn.name}+${e.authz}` : e.authn.name));
  }

  /**
   * Log in: the user, or the text the client gets (RabbitMQ's "Login was refused using authentication
   * mechanism PLAIN. For details see the broker logfile.", or the loopback refusal).
   */
  login(req: LoginRequest): LoginResult | Promise<LoginResult> {
    return this.tryFrom(0, req, []);
  }

  private tryFrom(i: number, req: LoginRequest, reasons: string[]): LoginResult | Promise<LoginResult> {
    for (; i < this.chain.length; i++) {
      const entry = this.chain[i]!;
      const a = entry.authn.login(req);
      if (a instanceof Promise) {
        const next = i + 1;
        return a.then(
          (r) => (typeof r === 'string' ? this.tryFrom(next, req, [...reasons, r]) : this.admitted(entry, r, req)),
          (e: unknown) => this.tryFrom(next, req, [...reasons, String(e)]),
        );
      }
      if (typeof a !== 'string') return this.admitted(entry, a, req);
      reasons.push(a);
    }
    this.log?.(`login refused for user '${req.username}': ${reasons.join('; ')}`);
    return `Login was refused using authentication mechanism ${req.mechanism}. For details see the broker logfile.`;
  }

  private admitted(entry: ChainEntry, u: User, req: LoginRequest): LoginResult {
    // {authn, authz} pair: the authn backend only vouches for the name; the store's entry authorises
    if (entry.authz === 'internal' && u.authn !== 'internal') u.authz = storeAuthorizer(this.users, u.name);
    // rabbit_access_control:check_user_loopback, for every backend
    if (this.loopbackUsers().includes(u.name) && !this.isLoopback(req.remoteAddress)) {
      return `User '${u.name}' can only connect via localhost`;
    }
    return u;
  }

  /** check_vhost_access, waiting for a backend that answers later. */
  vhostAccess(user: User, vhost: string): boolean | Promise<boolean> {
    return answered(() => (user.authz !== null ? user.authz.vhost(vhost) : user.permissions.has(vhost)));
  }

  /**
   * Close `conn` when its user's credential expires (rabbit_reader ensure_credential_expiry_timer); a
   * credential already expired closes it at once. Call after login and after update-secret.
   */
  watchExpiry(conn: AuthenticatedConnection): void {
    this.unwatch(conn);
    const at = conn.userObj?.expiresAt ?? null;
    if (at === null) return;
    // on the broker's clock (util/clock.ts), so a test's clock.advance() expires tokens too; setTimer caps
    // the wait at setTimeout's 2^31-1 ms, and a later expiry re-arms here
    const t = setTimer(() => {
      this.timers.delete(conn);
      if ((conn.userObj?.expiresAt ?? 0) <= now()) conn.credentialExpired();
      else this.watchExpiry(conn);
    }, at - now());
    this.timers.set(conn, t);
  }

  /** The connection is gone: no expiry timer. */
  unwatch(conn: AuthenticatedConnection): void {
    const t = this.timers.get(conn);
    if (t !== undefined) {
      clearTimer(t);
      this.timers.delete(conn);
    }
  }

  /**
   * connection.update-secret: the backend that admitted the connection checks `newSecret` for the same
   * user and updates the user in place (tags, permissions, expiry; every channel's cache drops); the expiry
   * timer follows the new credential. Resolves to null, or to why it was refused (the caller closes the
   * connection with RabbitMQ's "New secret was refused by one of the backends").
   */
  refreshSecret(conn: AuthenticatedConnection, newSecret: string): string | null | Promise<string | null> {
    const u = conn.userObj;
    if (u === null) return 'not logged in';
    const backend = this.chain.find((e) => e.authn.name === u.authn)?.authn;
    if (!backend) return `backend ${u.authn} is not configured`;
    const done = (r: string | null): string | null => {
      if (r === null) this.watchExpiry(conn);
      else this.log?.(`secret update refused for user '${u.name}': ${r}`);
      return r;
    };
    const r = backend.updateSecret(u, newSecret);
    return r instanceof Promise ? r.then(done) : done(r);
  }
}

/**
 * Run a check that may throw AuthzPending: its answer now, or a promise of it once the backend answered
 * (asked again then; a backend that keeps saying "pending" is a no after a few rounds).
 */
export function answered<T>(check: () => T, rounds = 3): T | Promise<T> {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof AuthzPending) || rounds === 0) throw e;
    return e.answered.then(() => answered(check, rounds - 1));
  }
}

/** An externally authenticated user authorised by the user store's entry of the same name. */
function storeAuthorizer(users: UserStore, name: string): Authorizer {
  const inStore = (): User | undefined => users.users.get(name);
  return {
    async: false,
    vhost: (vhost) => inStore()?.permissions.has(vhost) === true,
    resource: (vhost, kind, res, access) => {
      const u = inStore();
      return u !== undefined && permitted(u, vhost, kind, res, access);
    },
    topic: (vhost, exchange, key, access, vars) => {
      const u = inStore();
      return u !== undefined && topicPermitted(u, vhost, exchange, key, access, vars);
    },
  };
}
