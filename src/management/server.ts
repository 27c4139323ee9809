// The management HTTP(S) listener: RabbitMQ's /api on node:http with a small router (the API is a fixed
// table of paths; a framework would add a dependency and per-request overhead for nothing we need), HTTP
// basic auth, JSON bodies (20 MiB at most, RabbitMQ's default max_body_size), errors as RabbitMQ's JSON,
// and the single-page UI from src/management/ui/. Management is a client of the core: it reads core
// objects and calls the same core operations the AMQP front end calls.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrokerError } from '../core/errors.js';
import type { Logger } from '../util/logger.js';
import type { TlsOptions } from '../options.js';
import { authenticate } from './auth.js';
import { AuthzPending } from '../core/auth/authz.js';
import { HttpError, type Ctx, type Management } from './context.js';
import { Router } from './router.js';
import { registerOverview } from './api/overview.js';
import { registerCluster } from './api/cluster.js';
import { registerObjects } from './api/objects.js';
import { registerConnections } from './api/connections.js';
import { registerStream } from './api/stream.js';
import { registerAccess } from './api/access.js';
import { registerUserLimits } from './api/user-limits.js';
import { registerPolicies } from './api/policies.js';
import { registerDefinitions } from './api/definitions.js';
import { registerBrowse } from './api/browse.js';
import { registerSuperStreams } from './api/super-streams.js';

const MAX_BODY = 20 * 1024 * 1024;
const UI_DIR = fileURLToPath(new URL('../../../src/management/ui/', import.meta.url));
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function buildRouter(): Router {
  const r = new Router();
  registerOverview(r);
  registerCluster(r);
  registerObjects(r);
  registerConnections(r);
  registerStream(r);
  registerUserLimits(r);
  registerAccess(r);
  registerPolicies(r);
  registerDefinitions(r);
  registerBrowse(r);
  registerSuperStreams(r);
  return r;
}

/** The client closed its connection before its request body was complete: nothing to answer, nothing wrong. */
class ClientGone extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'bad_request', 'Payload Too Large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (e) => reject(new ClientGone(e.message)));
  });
}

function sendError(res: ServerResponse, status: number, error: string, reason: string, challenge = true): void {
  const body = JSON.stringify({ error, reason });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  };
  // the UI's own requests get no challenge, or the browser would open its login dialog over the page's
  if (status === 401 && challenge) headers['www-authenticate'] = 'Basic realm="RabbitMQ Management"';
  res.writeHead(status, headers);
  res.end(body);
}

function mapError(e: unknown): HttpError | null {
  if (e instanceof HttpError) return e;
  if (e instanceof BrokerError) {
    if (e.kind === 'NOT_FOUND') return new HttpError(404, 'Object Not Found', 'Not Found');
    if (e.kind === 'ACCESS_REFUSED') return new HttpError(401, 'not_authorised', 'Access refused.');
    // not the client's fault (e.g. the disk did not take a durable declare: storage.ts)
    if (e.kind === 'INTERNAL_ERROR') return new HttpError(500, 'internal_server_error', e.message);
    return new HttpError(400, 'bad_request', e.message);
  }
  return null;
}

export class ManagementServer {
  private readonly router = buildRouter();

  constructor(
    readonly m: Management,
    private readonly log: Logger,
  ) {}

  createServer(tls: TlsOptions | null): Server {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((e: unknown) => {
        if (e instanceof ClientGone) {
          res.destroy();
          return;
        }
        this.log.error({ err: e }, 'management request failed');
        if (!res.headersSent) sendError(res, 500, 'internal_server_error', 'Internal Server Error');
        else res.destroy();
      });
    };
    const s = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca }, handler) : createServer(handler);
    s.keepAliveTimeout = 5000;
    return s;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      // a request target the URL parser refuses (e.g. `//%/x`, read as a host `%`): the client's error, not
      // a 500 (the HTTP fuzzer found it)
      return sendError(res, 400, 'bad_request', 'Invalid request target');
    }
    const path = url.pathname;
    if (!path.startsWith('/api/')) return this.serveUi(path, res);
    const method = req.method ?? 'GET';
    const hit = this.router.match(method, path);
    if (!hit) return sendError(res, 404, 'Object Not Found', 'Not Found');
    if (!hit.handler) {
      res.writeHead(405, { 'content-length': 0, allow: 'GET, PUT, POST, DELETE' });
      res.end();
      return;
    }
    try {
      const user = await authenticate(this.m.broker, req);
      let body: unknown = undefined;
      if (method === 'PUT' || method === 'POST' || method === 'DELETE') {
        const raw = await readBody(req);
        if (raw.length > 0) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new HttpError(400, 'bad_request', 'not_json');
          }
        }
      }
      const c: Ctx = { m: this.m, req, res, user, params: hit.params, query: url.searchParams, body };
      if (method !== 'GET' && method !== 'HEAD') c.definitionsVersion = this.m.broker.definitionsVersion;
      // an auth backend that answers later (HTTP) makes a check wait: the handler runs again with the
      // answer (handlers check before they act)
      for (let round = 0; ; round++) {
        try {
          await hit.handler(c);
          break;
        } catch (e) {
          if (!(e instanceof AuthzPending) || round >= 3) throw e;
          await e.answered.catch(() => undefined);
        }
      }
    } catch (e) {
      const h = mapError(e);
      if (!h) throw e;
      if (h.status === 503 && h.error === 'failed') {
        const b = JSON.stringify({ status: 'failed', reason: h.reason });
        res.writeHead(503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
        res.end(b);
        return;
      }
      sendError(res, h.status, h.error, h.reason, req.headers['x-warren-ui'] === undefined);
    }
  }

  private async serveUi(path: string, res: ServerResponse): Promise<void> {
    const rel = path === '/' ? 'index.html' : normalize(path).replace(/^([/\\])+/, '');
    if (rel.includes('..')) return sendError(res, 404, 'Object Not Found', 'Not Found');
    try {
      const data = await readFile(UI_DIR + rel);
      res.writeHead(200, {
        'content-type': MIME[extname(rel)] ?? 'application/octet-stream',
        'content-length': data.length,
        'cache-control': 'no-cache',
      });
      res.end(data);
    } catch {
      sendError(res, 404, 'Object Not Found', 'Not Found');
    }
  }
}
