// The HTTP backend (RabbitMQ's rabbitmq_auth_backend_http): a site's own service answers each question at
// user_path, vhost_path, resource_path and topic_path with RabbitMQ's parameters, GET with a query string
// or POST with a form body (http_method), and the body `allow`, `allow <tags…>` (user_path) or `deny`;
// anything but status 200 is an error (refused). Answers are cached for cache_ttl ms as
// rabbitmq_auth_backend_cache does (auth_backends = cache with auth_cache.cached_backend = http).
//
// Authorisation is asked when an operation needs it; a miss throws AuthzPending and the front end replays
// the operation when the answer is in (authz.ts). An answer fetched for a replay is kept at least a
// second, so the replay finds it even with no cache (ttl 0).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AuthnBackend, LoginRequest } from './backend.js';
import { AuthzPending, type Access, type Authorizer, type ResourceKind, type TopicVariables } from './authz.js';
import { User } from './users.js';
import { now } from '../../util/clock.js';

export interface HttpAuthOptions {
  /** auth_http.user_path: login (username, password). */
  userPath: string;
  /** auth_http.vhost_path: vhost access (username, vhost, ip). */
  vhostPath: string;
  /** auth_http.resource_path: queue/exchange access (username, vhost, resource, name, permission). */
  resourcePath: string;
  /** auth_http.topic_path: topic access (… resource=topic, name = the exchange, routing_key, variables). */
  topicPath: string;
  /** auth_http.http_method: 'get' (default) or 'post'. */
  httpMethod?: 'get' | 'post';
  /** auth_cache.cache_ttl, ms: how long answers are reused. Default 0 (no cache) unless cached. */
  cacheTtl?: number;
  /** Request timeout, ms (auth_http.request_timeout; RabbitMQ 15000). */
  requestTimeout?: number;
}

interface Entry {
  answer: string;
  expires: number;
}

/** An answer fetched while an operation waits serves its replay even with no cache (ttl 0). */
const REPLAY_GRACE = 1000;

export class HttpBackend implements AuthnBackend {
  readonly name = 'http';
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly ttl: number;

  constructor(private readonly o: HttpAuthOptions) {
    this.ttl = o.cacheTtl ?? 0;
  }

  async login(req: LoginRequest): Promise<User | string> {
    const params: Record<string, string> = { username: req.username };
    if (req.password !== undefined) params['password'] = req.password;
    if (req.clientId !== undefined) params['client_id'] = req.clientId;
    let body: string;
    try {
      body = await this.cached(this.o.userPath, params);
    } catch (e) {
      return `HTTP backend error: ${(e as Error).message}`;
    }
    if (body.startsWith('deny')) {
      const reason = body.slice(5).trim();
      return reason === ''
        ? 'Denied by the backing HTTP service'
        : `Denied by the backing HTTP service. Reason: ${reason}`;
    }
    if (!body.startsWith('allow')) return `HTTP backend error: bad_response ${JSON.stringify(body)}`;
    const tags = body
      .slice(5)
      .split(/\s+/)
      .filter((t) => t !== '');
    const u = new User(req.username, '', tags);
    u.authn = this.name;
    u.authz = new HttpAuthorizer(this, req.username, req.remoteAddress);
    return u;
  }

  /** The HTTP backend keeps no secret state: a new secret is checked at user_path for the same user. */
  async updateSecret(user: User, secret: string): Promise<string | null> {
    const r = await this.login({
      username: user.name,
      password: secret,
      mechanism: 'PLAIN',
      remoteAddress: '',
      protocol: '',
    });
    if (typeof r === 'string') return r;
    user.tags = r.tags;
    user.generation++;
    return null;
  }

  /**
   * A yes/no question answered from the cache, or AuthzPending while it is asked. Errors and anything but
   * `allow` are no (bool_req).
   */
  ask(path: string, params: Record<string, string>): boolean {
    const key = cacheKey(path, params);
    const e = this.cache.get(key);
    if (e !== undefined) {
      if (e.expires > now()) return e.answer.startsWith('allow');
      this.cache.delete(key);
    }
    const keep = Math.max(this.ttl, REPLAY_GRACE);
    const p = this.fetchOnce(key, path, params).then(
      (answer) => this.cache.set(key, { answer, expires: now() + keep }),
      () => this.cache.set(key, { answer: 'deny', expires: now() + keep }),
    );
    throw new AuthzPending(p);
  }

  private async cached(path: string, params: Record<string, string>): Promise<string> {
    const key = cacheKey(path, params);
    const e = this.cache.get(key);
    if (e !== undefined && e.expires > now()) return e.answer;
    const answer = await this.fetchOnce(key, path, params);
    if (this.ttl > 0) this.cache.set(key, { answer, expires: now() + this.ttl });
    return answer;
  }

  /** One request per question at a time, however many connections ask it. */
  private fetchOnce(key: string, path: string, params: Record<string, string>): Promise<string> {
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.fetch(path, params).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private fetch(path: string, params: Record<string, string>): Promise<string> {
    const query = new URLSearchParams(params).toString();
    const post = this.o.httpMethod === 'post';
    const url = new URL(path);
    if (!post) url.search = query;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: post ? 'POST' : 'GET',
          timeout: this.o.requestTimeout ?? 15000,
          headers: post ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode ?? 0}`));
            resolve(Buffer.concat(chunks).toString('utf8').trim());
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(post ? query : undefined);
    });
  }

  vhostPath(): string {
    return this.o.vhostPath;
  }
  resourcePath(): string {
    return this.o.resourcePath;
  }
  topicPath(): string {
    return this.o.topicPath;
  }
}

function cacheKey(path: string, params: Record<string, string>): string {
  return `${path}?${new URLSearchParams(params).toString()}`;
}

/** One HTTP-backed user's authorisation: every answer from the service (through the cache). */
class HttpAuthorizer implements Authorizer {
  readonly async = true;
  constructor(
    private readonly b: HttpBackend,
    private readonly username: string,
    private readonly ip: string,
  ) {}

  vhost(vhost: string): boolean {
    return this.b.ask(this.b.vhostPath(), { username: this.username, vhost, ip: this.ip });
  }

  resource(vhost: string, kind: ResourceKind, name: string, access: Access): boolean {
    return this.b.ask(this.b.resourcePath(), {
      username: this.username,
      vhost,
      resource: kind,
      name,
      permission: access,
    });
  }

  topic(vhost: string, exchange: string, routingKey: string, access: 'write' | 'read', vars?: TopicVariables): boolean {
    const params: Record<string, string> = {
      username: this.username,
      vhost,
      resource: 'topic',
      name: exchange,
      permission: access,
      routing_key: routingKey,
    };
    // the topic authorisation context's variables (MQTT: client_id), as RabbitMQ adds them
    if (vars?.client_id !== undefined) params['variable_map.client_id'] = vars.client_id;
    return this.b.ask(this.b.topicPath(), params);
  }
}
