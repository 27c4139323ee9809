// Authorisation checks, protocol-neutral, with RabbitMQ's rules and texts (rabbit_access_control,
// rabbit_auth_backend_internal): a resource (queue or exchange) needs the user's configure/write/read regex
// for the vhost to match its name; the default exchange is checked as "amq.default"; topic permissions
// restrict routing keys on topic exchanges only, and an exchange without one is unrestricted. Failures are
// 403 ACCESS_REFUSED "access to queue 'q' in vhost '/' refused for user 'u'".
//
// Front ends call these where RabbitMQ's rabbit_channel does (see docs/compat.md "Access control"), through
// an AccessCache per channel so a publisher pays one string compare per message, not a regex.
//
// A user admitted by an external backend (OAuth 2, HTTP) answers through its `authz` instead of the maps
// (authz.ts); the checks and their texts are the same.
import { accessRefused, rs } from '../errors.js';
import type { User } from './users.js';
import { AuthzPending, type Access, type ResourceKind, type TopicVariables } from './authz.js';

export type { Access, ResourceKind, TopicVariables } from './authz.js';

function resourceName(kind: ResourceKind, name: string): string {
  // rabbit_access_control:check_resource_access/4 renames the default exchange
  return kind === 'exchange' && name === '' ? 'amq.default' : name;
}

/** check_vhost_access: may the user open (or see, in management) this vhost? */
export function vhostPermitted(user: User, vhost: string): boolean {
  return user.authz !== null ? user.authz.vhost(vhost) : user.permissions.has(vhost);
}

export function permitted(user: User, vhost: string, kind: ResourceKind, name: string, access: Access): boolean {
  if (user.authz !== null) return user.authz.resource(vhost, kind, resourceName(kind, name), access);
  const p = user.permissions.get(vhost);
  if (!p) return false;
  const re = access === 'configure' ? p.configureRe : access === 'write' ? p.writeRe : p.readRe;
  re.lastIndex = 0;
  return re.test(resourceName(kind, name));
}

export function checkResource(user: User, vhost: string, kind: ResourceKind, name: string, access: Access): void {
  if (!permitted(user, vhost, kind, name, access)) {
    throw accessRefused(`access to ${rs(kind, resourceName(kind, name), vhost)} refused for user '${user.name}'`);
  }
}

export function topicPermitted(
  user: User,
  vhost: string,
  exchange: string,
  routingKey: string,
  access: 'write' | 'read',
  vars?: TopicVariables,
): boolean {
  if (user.authz !== null) return user.authz.topic(vhost, exchange, routingKey, access, vars);
  const tp = user.topicPermissions.get(vhost)?.get(exchange);
  if (!tp) return true;
  let pattern = access === 'write' ? tp.writeRe : tp.readRe;
  if (pattern.includes('{')) {
    const v = vars ?? { username: user.name, vhost };
    pattern = pattern.replace(/\{(username|vhost|client_id)\}/g, (_m, k: string) => {
      const s = (v as unknown as Record<string, string | undefined>)[k];
      return s === undefined ? `{${k}}` : s;
    });
  }
  try {
    return new RegExp(pattern).test(routingKey);
  } catch {
    return false;
  }
}

export function checkTopic(
  user: User,
  vhost: string,
  exchange: string,
  routingKey: string,
  access: 'write' | 'read',
  vars?: TopicVariables,
): void {
  if (!topicPermitted(user, vhost, exchange, routingKey, access, vars)) {
    throw accessRefused(
      `access to topic '${routingKey}' in exchange '${exchange}' in vhost '${vhost}' refused for user '${user.name}'`,
    );
  }
}

/**
 * The checks one channel makes, with a cache of the last few successes (RabbitMQ caches 12 per channel).
 * The cache is dropped when the user's permissions change (User.generation), so revocation is immediate.
 */
export class AccessCache {
  private gen: number;
  private lastWriteExchange: string | null = null;
  private readonly ok = new Set<string>();

  constructor(
    readonly user: User,
    readonly vhost: string,
  ) {
    this.gen = user.generation;
  }

  private fresh(): void {
    if (this.gen !== this.user.generation) {
      this.gen = this.user.generation;
      this.lastWriteExchange = null;
      this.ok.clear();
    }
  }

  // Hot path: basic.publish.
  checkPublish(exchange: string): void {
    if (this.lastWriteExchange === exchange && this.gen === this.user.generation) return;
    this.check('exchange', exchange, 'write');
    this.lastWriteExchange = exchange;
  }

  check(kind: ResourceKind, name: string, access: Access): void {
    this.fresh();
    const key = `${access}\u0000${kind}\u0000${name}`;
    if (this.ok.has(key)) return;
    checkResource(this.user, this.vhost, kind, name, access);
    if (this.ok.size >= 12) this.ok.clear();
    this.ok.add(key);
  }

  /**
   * True when a publish to `exchange` needs a routing-key check: the user has topic permissions on it here,
   * or an external backend answers (its topic checks apply to every topic exchange, as RabbitMQ asks them).
   */
  hasTopicRestriction(exchange: string): boolean {
    if (this.user.authz !== null) return true;
    return this.user.topicPermissions.get(this.vhost)?.has(exchange) === true;
  }

  /** Cheap test before hasTopicRestriction on the publish path. */
  mayRestrictTopics(): boolean {
    return this.user.authz !== null || this.user.topicPermissions.size !== 0;
  }

  /**
   * An external backend that answers asynchronously (HTTP): ask for a publish's answers at its method frame
   * (which the front end can replay), so the checks when its content is complete hit the cache.
   */
  preparePublish(exchange: string, routingKey: string, topicExchange: boolean, vars?: TopicVariables): void {
    if (this.user.authz === null || !this.user.authz.async) return;
    try {
      this.checkPublish(exchange);
      if (topicExchange) this.checkTopic(exchange, routingKey, 'write', vars);
    } catch (e) {
      // only the wait matters here: a refusal is thrown where the publish is checked, when it is complete
      if (e instanceof AuthzPending) throw e;
    }
  }

  checkTopic(exchange: string, routingKey: string, access: 'write' | 'read', vars?: TopicVariables): void {
    checkTopic(this.user, this.vhost, exchange, routingKey, access, vars);
  }
}
