// The management API client behind `warren ctl`: fetch with basic auth, and the failures rabbitmqctl users
// expect as one line and an exit code (sysexits, as rabbitmqctl uses them): 64 usage, 65 data error,
// 67 no such user, 69 broker unreachable, 70 software error (e.g. already exists), 77 refused credentials.

export class CtlError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const EX_USAGE = 64;
export const EX_DATAERR = 65;
export const EX_NOUSER = 67;
export const EX_UNAVAILABLE = 69;
export const EX_SOFTWARE = 70;
export const EX_NOPERM = 77;

/** rabbitmqctl's arity check: exactly `n` positional arguments, else its usage error (exit 64). */
export function need(args: string[], n: number): void {
  if (args.length < n) throw new CtlError('not enough arguments.', EX_USAGE);
  if (args.length > n) throw new CtlError('too many arguments.', EX_USAGE);
}

export interface Target {
  url: string;
  user: string;
  password: string;
}

export class CtlClient {
  constructor(readonly t: Target) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    let r: Response;
    try {
      r = await fetch(this.t.url.replace(/\/$/, '') + path, {
        method,
        headers: {
          authorization: 'Basic ' + Buffer.from(`${this.t.user}:${this.t.password}`).toString('base64'),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60000),
      });
    } catch (e) {
      const c = (e as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
      const cause = c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? (e as Error).message;
      throw new CtlError(`unable to connect to Warren's management API at ${this.t.url} (${cause})`, EX_UNAVAILABLE);
    }
    const text = await r.text();
    let json: unknown = null;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
    }
    if (r.status === 401) {
      const reason = (json as { reason?: string } | null)?.reason ?? 'Login failed';
      throw new CtlError(`access refused for user '${this.t.user}': ${reason}`, EX_NOPERM);
    }
    return { status: r.status, json };
  }

  async get<T = unknown>(path: string): Promise<T> {
    const r = await this.request('GET', path);
    if (r.status === 404) throw new CtlError(`not found: ${path}`, EX_DATAERR);
    if (r.status !== 200) throw apiError(r);
    return r.json as T;
  }

  /** A change: 2xx is fine, anything else an error with the API's reason. */
  async change(method: string, path: string, body?: unknown, notFound?: CtlError): Promise<void> {
    const r = await this.request(method, path, body);
    if (r.status === 404 && notFound) throw notFound;
    if (r.status < 200 || r.status > 299) throw apiError(r);
  }
}

function apiError(r: { status: number; json: unknown }): CtlError {
  const reason = (r.json as { reason?: string } | null)?.reason ?? `HTTP ${r.status}`;
  return new CtlError(reason, r.status === 400 ? EX_DATAERR : EX_SOFTWARE);
}

export const enc = encodeURIComponent;
