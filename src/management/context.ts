// One management request as handlers see it: the authenticated user, path parameters, query, JSON body,
// and helpers that answer with RabbitMQ's status codes and error bodies ({"error": …, "reason": …}).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Broker } from '../core/broker.js';
import type { User } from '../core/auth/users.js';
import type { RateSampler } from './rates.js';
import type { ResolvedOptions } from '../options.js';
import type { MemoryMonitor } from '../core/memory-monitor.js';
import type { DiskFreeLimit } from '../core/disk-free-limit.js';
import type { ClusterInfo } from '../core/cluster-info.js';

/** An HTTP answer with RabbitMQ's body, thrown by handlers and turned into the response by the server. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export const notFound = (): HttpError => new HttpError(404, 'Object Not Found', 'Not Found');
export const badRequest = (reason: string): HttpError => new HttpError(400, 'bad_request', reason);
export const notAuthorised = (reason: string): HttpError => new HttpError(401, 'not_authorised', reason);

export interface Management {
  broker: Broker;
  rates: RateSampler;
  options: ResolvedOptions;
  /** The memory alarm's monitor (mem_used, mem_limit, set_vm_memory_high_watermark). */
  memory: MemoryMonitor;
  /** disk_free_limit (set_disk_free_limit). */
  diskFreeLimit: DiskFreeLimit;
  /** Bound ports, for /api/overview listeners. */
  ports: {
    amqp: number | null;
    amqps: number | null;
    management: number | null;
    prometheus: number | null;
    /** Other front ends' listeners (mqtt, stomp, http/web-mqtt, …). */
    others: { protocol: string; port: number }[];
  };
  /** Listener of the management UI/API (for close()). */
  nodeName: string;
  /** The cluster this node belongs to (issue 14), null on a single node. */
  cluster: ClusterInfo | null;
}

export interface Ctx {
  m: Management;
  req: IncomingMessage;
  res: ServerResponse;
  user: User;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when there is none). */
  body: unknown;
  /** PUT, POST, DELETE: broker.definitionsVersion before the handler ran (see whenStored). */
  definitionsVersion?: number;
}

/**
 * A success answers once the definitions the request changed are on disk, as RabbitMQ answers after its
 * mnesia transaction: a user, vhost or policy created with 201 survives a crash right after, and one the disk
 * did not take (full, failing, read-only) gets 500 instead of a success (it stays in effect and is written
 * once the disk works again: storage/definitions-file.ts retries).
 */
function whenStored(c: Ctx, status: number, send: () => void): void {
  const b = c.m.broker;
  const stored =
    status < 300 && c.definitionsVersion !== undefined && c.definitionsVersion !== b.definitionsVersion
      ? (b.definitionsStored?.() ?? null)
      : null;
  if (stored === null) return send();
  stored.then(send, (e: unknown) => {
    const body = JSON.stringify({
      error: 'internal_server_error',
      reason: `cannot store the definition change: ${(e as Error).message}`,
    });
    c.res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    c.res.end(body);
  });
}

export function sendJson(c: Ctx, status: number, value: unknown): void {
  const s = Buffer.from(JSON.stringify(value));
  whenStored(c, status, () => {
    c.res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': s.length,
      'cache-control': 'no-cache',
      vary: 'accept, accept-encoding, origin',
    });
    c.res.end(c.req.method === 'HEAD' ? undefined : s);
  });
}

export function sendStatus(c: Ctx, status: number, headers: Record<string, string> = {}): void {
  whenStored(c, status, () => {
    c.res.writeHead(status, { 'content-length': 0, ...headers });
    c.res.end();
  });
}

/** The body as an object; RabbitMQ answers 400 not_json otherwise. */
export function bodyObject(c: Ctx): Record<string, unknown> {
  const b = c.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw badRequest('not_json');
  return b as Record<string, unknown>;
}
