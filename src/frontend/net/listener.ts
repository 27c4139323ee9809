// TCP and TLS listeners for the front ends: one server per bind address, "::" meaning every IPv4 and IPv6
// interface (dual-stack), falling back to 0.0.0.0 where the host has no IPv6.
import net from 'node:net';
import tls from 'node:tls';
import type { TlsOptions } from '../../options.js';

export interface Listening {
  port: number;
  close(): Promise<void>;
}

export async function listen(
  port: number,
  hosts: string[],
  onSocket: (s: net.Socket) => void,
  tlsOptions: TlsOptions | null = null,
): Promise<Listening> {
  const servers: net.Server[] = [];
  let bound = port;
  try {
    for (const host of hosts) {
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
        : net.createServer(onSocket);
      server.on('error', () => {});
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
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw e;
  }
  return {
    port: bound,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
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
