// TCP and TLS listeners for the front ends: one server per bind address, "::" meaning every IPv4 and IPv6
// interface (dual-stack), falling back to 0.0.0.0 where the host has no IPv6.
import net from 'node:net';
import tls from 'node:tls';
import type { TlsOptions } from '../../options.js';
import { admission } from './admission.js';

export interface Listening {
  port: number;
  close(): Promise<void>;
}

/**
 * `admit`: plain TCP sockets are accepted paused and started when the turn has room (admission.ts: the
 * front ends' client connections); `onSocket` is then called, and the socket read, in a later turn, or
 * never if the listener has closed meanwhile. TLS sockets are started at once (their handshake comes first).
 */
export async function listen(
  port: number,
  hosts: string[],
  onSocket: (s: net.Socket) => void,
  tlsOptions: TlsOptions | null = null,
  admit = false,
): Promise<Listening> {
  let closed = false;
  const start = (s: net.Socket): void => {
    if (closed) s.destroy();
    else onSocket(s);
  };
  const { port: bound, servers } = await listenAll(port, hosts, () => {
    const server = tlsOptions
      ? tls.createServer(
          {
            cert: tlsOptions.cert,
            key: tlsOptions.key,
            ca: tlsOptions.ca,
            requestCert: tlsOptions.verifyPeer ?? false,
            rejectUnauthorized: tlsOptions.failIfNoPeerCert ?? false,
          },
          onSocket,
        )
      : admit
        ? net.createServer({ pauseOnConnect: true }, (s) => admission.admit(s, start))
        : net.createServer(onSocket);
    server.on('error', () => {});
    return server;
  });
  return {
    port: bound,
    close: () => {
      closed = true;
      return closeAll(servers);
    },
  };
}

/**
 * One server per bind address, made by `make`, all on the same port (the first bind picks it when `port`
 * is 0); "::" falls back to 0.0.0.0 on a host without IPv6. If a bind fails, the servers already bound
 * are closed before the error is thrown. Every listener (TCP, TLS, WebSocket, HTTP) binds through this.
 */
export async function listenAll<S extends net.Server>(
  port: number,
  hosts: string[],
  make: () => S,
): Promise<{ port: number; servers: S[] }> {
  const servers: S[] = [];
  let bound = port;
  try {
    for (const host of hosts) {
      const server = make();
      try {
        bound = await listenOne(server, bound, host);
      } catch (e) {
        if (host === '::' && (e as NodeJS.ErrnoException).code === 'EAFNOSUPPORT') {
          bound = await listenOne(server, bound, '0.0.0.0');
        } else throw e;
      }
      servers.push(server);
    }
  } catch (e) {
    await closeAll(servers);
    throw e;
  }
  return { port: bound, servers };
}

export async function closeAll(servers: net.Server[]): Promise<void> {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
}

function listenOne(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen({ port, host, backlog: 1024 }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}
