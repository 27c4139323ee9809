// Who may do what in the management API, as rabbit_mgmt_util decides it: HTTP basic auth (or an OAuth 2
// bearer token) through the auth_backends chain (loopback_users applies here too), then the user's tags — management < policymaker,
// monitoring < administrator — and, for a vhost's objects, the same permissions AMQP checks.
import type { IncomingMessage } from 'node:http';
import type { Broker } from '../core/broker.js';
import type { User } from '../core/auth/users.js';
import { checkResource, vhostPermitted, type Access, type ResourceKind } from '../core/auth/permissions.js';
import { BrokerError } from '../core/errors.js';
import { HttpError, notAuthorised, notFound, type Ctx } from './context.js';

export type Level = 'management' | 'policymaker' | 'monitoring' | 'administrator';

const GRANTS: Record<string, Level[]> = {
  management: ['management'],
  policymaker: ['management', 'policymaker'],
  monitoring: ['management', 'monitoring'],
  administrator: ['management', 'policymaker', 'monitoring', 'administrator'],
};

export function hasLevel(u: User, level: Level): boolean {
  return u.tags.some((t) => GRANTS[t]?.includes(level));
}

/**
 * The user of a request, or an HttpError 401 with RabbitMQ's reason: HTTP basic auth, or `Authorization:
 * Bearer <token>` (an OAuth 2 token, user name empty, as rabbit_mgmt_util), through the auth_backends chain.
 */
export async function authenticate(broker: Broker, req: IncomingMessage): Promise<User> {
  const h = req.headers.authorization;
  const loginFailed = new HttpError(401, 'not_authorized', 'Login failed');
  if (!h) throw loginFailed;
  let name: string;
  let password: string;
  if (h.toLowerCase().startsWith('bearer ')) {
    name = '';
    password = h.slice(7).trim();
  } else if (h.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) throw loginFailed;
    name = decoded.slice(0, i);
    password = decoded.slice(i + 1);
  } else throw loginFailed;
  const remoteAddress = req.socket.remoteAddress ?? '';
  const u = await broker.login({ username: name, password, mechanism: 'PLAIN', remoteAddress, protocol: 'http' });
  if (typeof u === 'string') {
    if (u.includes('can only connect via localhost')) {
      throw new HttpError(401, 'not_authorized', 'User can only log in via localhost');
    }
    throw loginFailed;
  }
  if (!hasLevel(u, 'management')) throw notAuthorised('Not management user');
  return u;
}

const LEVEL_REASON: Record<Level, string> = {
  management: 'Not management user',
  policymaker: 'Not policymaker user',
  monitoring: 'Not monitor user',
  administrator: 'Not administrator user',
};

export function requireLevel(c: Ctx, level: Level): void {
  if (!hasLevel(c.user, level)) throw notAuthorised(LEVEL_REASON[level]);
}

/** May this user see the vhost's objects? Monitoring users see every vhost. */
export function canSeeVHost(c: Ctx, vhost: string): boolean {
  return hasLevel(c.user, 'monitoring') || vhostPermitted(c.user, vhost);
}

/** The vhost name of the request, checked to exist (404) and be visible (401). */
export function vhostParam(c: Ctx, name = c.params['vhost']!): string {
  if (!c.m.broker.vhosts.has(name)) throw notFound();
  if (!canSeeVHost(c, name)) throw notAuthorised('User not authorised to access virtual host');
  return name;
}

/** The permission check AMQP would make (rabbit_mgmt_util checks the same resources). */
export function checkAccess(c: Ctx, vhost: string, kind: ResourceKind, name: string, access: Access): void {
  if (!vhostPermitted(c.user, vhost)) throw notAuthorised('User not authorised to access virtual host');
  try {
    checkResource(c.user, vhost, kind, name, access);
  } catch (e) {
    if (e instanceof BrokerError) throw notAuthorised('Access refused.');
    throw e;
  }
}
