// A fault-injecting TCP proxy for the cluster tests (issue 14, no split brain): it sits on a loopback port in
// front of a target (a node's cluster port, etcd) and forwards byte for byte until told otherwise:
//   cut()        every connection through it is closed at once and new ones are closed as they come (a
//                link that went down: both sides see it at once). destroy(), not resetAndDestroy(): Node 20
//                marks a socket closing even when its RST fails (a pipe already ended it), and such a handle
//                never closes, so the process spins at exit (Environment::CleanupHandles);
//   blackhole()  connections stay open but nothing crosses in either direction, and new ones hang unanswered
//                (a partition: packets lost, each side learns only by its own timeouts). Nothing is dropped:
//                reads stop, so what was sent waits in the kernel buffers as in TCP retransmission queues;
//   heal()       traffic flows again (what a blackhole held back is delivered, unless a side gave up).
// Network namespaces would fault real interfaces but need root and veth/iptables set-up in CI; a proxy per
// link gives the same faults between chosen nodes, anywhere the tests run.
import { createServer, connect, type Server, type Socket } from 'node:net';

export type FaultMode = 'pass' | 'cut' | 'blackhole';

interface Pair {
  client: Socket;
  upstream: Socket | null;
}

export class FaultProxy {
  mode: FaultMode = 'pass';
  port = 0;
  private readonly pairs = new Set<Pair>();
  private server: Server | null = null;

  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  /** Listen on `port` (0: a free one; `port` tells which) on 127.0.0.1. */
  async start(port = 0): Promise<this> {
    const server = createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => ok());
    });
    const a = server.address();
    this.port = typeof a === 'object' && a !== null ? a.port : port;
    return this;
  }

  /** Connections open through it now. */
  get connections(): number {
    return this.pairs.size;
  }

  cut(): void {
    this.mode = 'cut';
    for (const p of this.pairs) this.drop(p);
  }

  blackhole(): void {
    this.mode = 'blackhole';
    for (const p of this.pairs) {
      // unpiped as well as paused: a pipe resumes its source on the destination's 'drain'
      if (p.upstream !== null) {
        p.client.unpipe(p.upstream);
        p.upstream.unpipe(p.client);
        p.upstream.pause();
      }
      p.client.pause();
    }
  }

  heal(): void {
    this.mode = 'pass';
    for (const p of this.pairs) {
      if (p.upstream === null) this.open(p);
      else {
        p.client.pipe(p.upstream);
        p.upstream.pipe(p.client);
      }
    }
  }

  async close(): Promise<void> {
    for (const p of this.pairs) this.drop(p);
    const s = this.server;
    this.server = null;
    if (s !== null) await new Promise<void>((r) => s.close(() => r()));
  }

  private accept(client: Socket): void {
    if (this.mode === 'cut') {
      client.destroy();
      return;
    }
    const p: Pair = { client, upstream: null };
    this.pairs.add(p);
    client.on('error', () => this.drop(p));
    client.on('close', () => this.drop(p));
    if (this.mode === 'blackhole')
      client.pause(); // accepted by the kernel, never answered until heal()
    else this.open(p);
  }

  /** Connect `p` to the target and forward both ways, respecting backpressure (pipe). */
  private open(p: Pair): void {
    const up = connect(this.targetPort, this.targetHost);
    p.upstream = up;
    up.on('error', () => this.drop(p));
    up.on('close', () => this.drop(p));
    p.client.pipe(up);
    up.pipe(p.client);
    p.client.resume();
  }

  private drop(p: Pair): void {
    if (!this.pairs.delete(p)) return;
    p.client.destroy();
    p.upstream?.destroy();
  }
}
