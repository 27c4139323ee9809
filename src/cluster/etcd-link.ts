// The node's etcd client, replaceable: after a lost lease the node starts over on a fresh client (a process
// paused past its lease may find its gRPC channel and keepalive stream unusable, with etcd3's circuit
// breaker open or calls hanging), so nothing holds an Etcd3 but this.
import { Etcd3 } from 'etcd3';

export class EtcdLink {
  client: Etcd3;

  constructor(private readonly endpoints: string[]) {
    this.client = this.make();
  }

  /** A fresh client; the old one is closed (its watchers and keepalives end). */
  renew(): Etcd3 {
    const old = this.client;
    this.client = this.make();
    old.close();
    return this.client;
  }

  close(): void {
    this.client.close();
  }

  private make(): Etcd3 {
    return new Etcd3({ hosts: this.endpoints, dialTimeout: 3000 });
  }
}

/** `p`, or a rejection after `ms` (etcd calls on a broken channel may hang rather than fail). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer from etcd in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}
