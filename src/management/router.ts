// A small router for the management API: RabbitMQ's paths are few and fixed ("/api/queues/:vhost/:name"),
// so a table of patterns matched segment by segment is all that is needed. Segments are percent-decoded
// after splitting, so a vhost "/" arrives as %2F and stays one segment, as in RabbitMQ's Cowboy routes.
import type { Ctx } from './context.js';

export type Handler = (c: Ctx) => Promise<void> | void;

interface Route {
  segments: string[];
  handlers: Map<string, Handler>;
}

export class Router {
  private readonly routes: Route[] = [];

  on(methods: string | string[], pattern: string, h: Handler): void {
    const segments = pattern.split('/').filter((s) => s !== '');
    let r = this.routes.find((x) => x.segments.join('/') === segments.join('/'));
    if (!r) this.routes.push((r = { segments, handlers: new Map() }));
    for (const m of Array.isArray(methods) ? methods : [methods]) r.handlers.set(m, h);
  }

  /** The handler and the path parameters; `handler: null` means the path exists but not for this method. */
  match(method: string, path: string): { handler: Handler | null; params: Record<string, string> } | null {
    const raw = path.split('/').filter((s) => s !== '');
    let parts: string[];
    try {
      parts = raw.map((s) => decodeURIComponent(s));
    } catch {
      return null;
    }
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = r.segments[i]!;
        if (seg.startsWith(':')) params[seg.slice(1)] = parts[i]!;
        else if (seg !== parts[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const h = r.handlers.get(method) ?? (method === 'HEAD' ? r.handlers.get('GET') : undefined);
      return { handler: h ?? null, params };
    }
    return null;
  }
}
