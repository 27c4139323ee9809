// How a user's authorisation is answered (RabbitMQ's rabbit_authz_backend), protocol-neutral. A user of the
// internal store answers from its own permission maps (users.ts); a user admitted by an external backend
// carries an Authorizer (its OAuth 2 scopes, or the HTTP service's answers). Answers are synchronous, so a
// channel's AccessCache stays a field compare per publish; a backend that must ask elsewhere (HTTP) throws
// AuthzPending on a miss, and the front end replays the operation once the answer is in.

export type Access = 'configure' | 'write' | 'read';
export type ResourceKind = 'queue' | 'exchange';

/** Variables expanded in topic permission patterns (rabbit_auth_backend_internal:expand_topic_permission). */
export interface TopicVariables {
  username: string;
  vhost: string;
  client_id?: string;
}

export interface Authorizer {
  /** check_vhost_access. May throw AuthzPending. */
  vhost(vhost: string): boolean;
  /** check_resource_access (the default exchange is named amq.default here). May throw AuthzPending. */
  resource(vhost: string, kind: ResourceKind, name: string, access: Access): boolean;
  /** check_topic_access, asked for topic exchanges only. May throw AuthzPending. */
  topic(vhost: string, exchange: string, routingKey: string, access: 'write' | 'read', vars?: TopicVariables): boolean;
  /** True when answers may be AuthzPending (front ends then ask for a publish's answers at its method frame). */
  readonly async: boolean;
}

/** An answer not known yet: the front end waits for `answered`, then replays the operation. */
export class AuthzPending extends Error {
  constructor(readonly answered: Promise<unknown>) {
    super('authorisation answer pending');
  }
}
