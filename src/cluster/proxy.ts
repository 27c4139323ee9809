// A follower accepts clients on every port the leader serves and pipes each TCP connection to the same
// protocol's port on the leader, byte for byte (LavinMQ's clustering proxy). TLS ports are piped too, not
// terminated here: every node has the same certificate and key, the leader terminates TLS as it would
// for a direct client, and client-certificate logins (EXTERNAL, ssl_cert_login) keep working because the
// leader sees the client's own certificate. What the leader does not see is the client's address: it sees
// the follower's (a `guest` login through a follower is judged by where the follower is, as loopback_users
// goes). When the leader changes, every piped connection is closed: the client reconnects, as it would
// to a leader that went away.
import net from 'node:net';
import { listen, type Listening } from '../frontend/net/listener.js';

/** Where `protocol`'s port of the leader is now, or null (no leader: the client is refused). */
export type ProxyTarget = (protocol: string) => { host: string; port: number } | null;

export class ClientProxy {
  private readonly listening: Listening[] = [];
  private readonly sockets = new Set<net.Socket>();
  /** Connections piped so far (management of a follower cannot show them: this is the count). */
  piped = 0;

  constructor(private readonly target: ProxyTarget) {}

  /** Listen on `port` (all `bind` addresses) for `protocol`. */
  async add(protocol: string, port: number, bind: string[]): Promise<void> {
    this.listening.push(await listen(port, bind, (s) => this.pipe(protocol, s)));
  }

  /** Close every piped connection (the leader changed); the listeners stay. */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Stop listening and close every piped connection. */
  async close(): Promise<void> {
    const closing = Promise.all(this.listening.map((l) => l.close()));
    this.listening.length = 0;
    this.dropAll();
    await closing;
  }

  private pipe(protocol: string, client: net.Socket): void {
    const t = this.target(protocol);
    if (t === null) {
      client.destroy();
      return;
    }
    this.piped++;
    const upstream = net.connect({ host: t.host, port: t.port });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', done);
    upstream.on('error', done);
    client.on('close', done);
    upstream.on('close', done);
    // pipe() handles backpressure both ways (pause the faster side while the other's buffer is full)
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
