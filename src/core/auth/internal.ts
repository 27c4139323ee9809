// The internal backend (rabbit_auth_backend_internal): the user store's users and password hashes. A
// certificate login (EXTERNAL, ssl_cert_login) brings no password: the user only has to exist, as
// RabbitMQ's check_user_login(Username, []) asks of the internal backend.
import type { AuthnBackend, LoginRequest } from './backend.js';
import { checkPassword } from './password.js';
import type { User, UserStore } from './users.js';

export class InternalBackend implements AuthnBackend {
  readonly name = 'internal';
  constructor(private readonly users: UserStore) {}

  login(req: LoginRequest): User | string {
    const u = this.users.users.get(req.username);
    if (!u) return `user '${req.username}' - invalid credentials`;
    if (req.password === undefined) return req.certificate !== undefined ? u : `user '${req.username}' - no password`;
    return checkPassword(req.password, u.passwordHash, u.hashingAlgorithm)
      ? u
      : `user '${req.username}' - invalid credentials`;
  }

  /**
   * The internal backend's logins do not expire, so the new secret is not checked, as RabbitMQ's
   * rabbit_auth_backend_internal:update_state/2 answers {ok, AuthUser} whatever it is: amqplib's and
   * @cloudamqp/amqp-client's own suites send "new secret" / "foobar" for guest and expect update-secret-ok.
   * Stricter than RabbitMQ 3.10 (which accepts these too): a user deleted (or deleted and created again)
   * since the login is refused.
   */
  updateSecret(user: User, _secret: string): string | null {
    const now = this.users.users.get(user.name);
    if (now === undefined) return `user '${user.name}' was deleted`;
    if (now !== user) return `user '${user.name}' was deleted and created again`;
    return null;
  }
}
