// Users, their tags and per-vhost permissions. Authentication checks the password hash; the checks of
// configure/write/read permissions per operation come with the access-control work (issue: operating Warren).
import { checkPassword, hashPassword } from './password.js';
import type { UserLimits } from '../resource-limits.js';

export interface Permission {
  configure: string;
  write: string;
  read: string;
}

export class User {
  readonly permissions = new Map<string, Permission>();
  /** set_user_limits: max-connections, max-channels (absent or negative: none). */
  limits: UserLimits = {};
  constructor(
    readonly name: string,
    public passwordHash: string,
    public tags: string[],
  ) {}
}

export class UserStore {
  readonly users = new Map<string, User>();

  add(name: string, password: string, tags: string[] = []): User {
    const u = new User(name, hashPassword(password), tags);
    this.users.set(name, u);
    return u;
  }

  /** The user if the password is right, else null. */
  authenticate(name: string, password: string): User | null {
    const u = this.users.get(name);
    if (!u) return null;
    return checkPassword(password, u.passwordHash) ? u : null;
  }

  setPermissions(user: string, vhost: string, p: Permission): void {
    this.users.get(user)?.permissions.set(vhost, p);
  }
}
