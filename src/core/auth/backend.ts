// What an authentication backend is (RabbitMQ's rabbit_authn_backend), protocol-neutral. Every front end
// logs in through AuthService (service.ts) with a LoginRequest; the backend that admits the user hands back
// a `User` whose `authz` (null for the internal store's users, whose permissions live on the User itself)
// answers the checks permissions.ts makes.
import type { ClientCertificate } from './cert-login.js';
import type { User } from './users.js';

/** One login attempt, as every front end describes it. */
export interface LoginRequest {
  /** The user name the client sent ('' allowed: OAuth 2 takes it from the token). */
  username: string;
  /** The password, or an OAuth 2 token; undefined for a certificate login (EXTERNAL, ssl_cert_login). */
  password?: string;
  /** SASL mechanism for the refusal text: PLAIN, AMQPLAIN, EXTERNAL (MQTT, STOMP and HTTP say PLAIN). */
  mechanism: string;
  remoteAddress: string;
  /** 'amqp' | 'mqtt' | 'stomp' | 'http' | 'stream', for the logs. */
  protocol: string;
  /** The verified client certificate of a certificate login (its login name is `username`). */
  certificate?: ClientCertificate;
  /** MQTT client id (RabbitMQ passes it to backends as client_id). */
  clientId?: string;
}

/**
 * A backend's answer to a login: the user; a string saying why it refused (logged; the chain tries the next
 * backend, as rabbit_access_control does after `refused`); or a promise of either.
 */
export type LoginAnswer = User | string | Promise<User | string>;

export interface AuthnBackend {
  /** RabbitMQ's name in auth_backends: internal, oauth2, http, cache. */
  readonly name: string;
  login(req: LoginRequest): LoginAnswer;
  /**
   * connection.update-secret (rabbit_access_control:update_state): check the new secret for `user` and, when
   * good, update the same User object in place (tags, authorisation, expiry; generation bumped so the
   * channels' caches drop). Returns null on success, or why it was refused.
   */
  updateSecret(user: User, secret: string): string | null | Promise<string | null>;
}
