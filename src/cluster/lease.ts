// This node's etcd lease: its membership key and, on the leader, the leader key live under it. A leader
// must stop confirming the moment its lease may have expired, before etcd says so (a paused process hears
// nothing until it runs again, and then its sockets are read before any timer). So the lease keeps its own
// deadline, the send time of the last keepalive etcd answered + the TTL it granted (etcd starts the TTL when
// it receives the keepalive, later than we sent it, so the local deadline is never late), and `valid()`
// answers from the clock alone; the confirm path asks it synchronously. A watchdog turns a passed deadline
// into `onLost` within 50 ms of running again, on the leader (`strict`).
// Keepalives are one request each (etcd3's keepaliveOnce), every third of the TTL, each with its own send
// time: a long-lived keepalive stream that stops answering (seen after SIGSTOP/SIGCONT under load) cannot
// then leave the lease unrenewed without an error, and no answer is ever matched to the wrong request.
import { performance } from 'node:perf_hooks';
import type { Etcd3, Lease } from 'etcd3';

/** Stop trusting the lease this long before the deadline (clock rate differences, the watchdog's step). */
const MARGIN_MS = 250;

export class NodeLease {
  private readonly lease: Lease;
  private deadline = 0;
  private lost = false;
  private readonly watchdog: NodeJS.Timeout;
  private keepalive: NodeJS.Timeout | null = null;
  private inFlight = false;
  /** The lease id as etcd gave it (decimal string), once granted. */
  id = '';
  /**
   * A leader's lease: a passed deadline is a loss at once (it must stop confirming). A follower only stops
   * campaigning while its deadline has passed (a busy event loop, a slow etcd) and starts over only when
   * etcd says the lease is gone.
   */
  strict = false;

  constructor(
    client: Etcd3,
    readonly ttl: number,
    private readonly onLost: (why: string) => void,
  ) {
    this.lease = client.lease(ttl, { autoKeepAlive: false });
    this.lease.on('lost', (e: Error) => this.loseWith(`etcd: ${e.message}`));
    this.watchdog = setInterval(() => {
      if (this.lost || this.deadline === 0 || this.valid()) return;
      // past the deadline without an answer for a whole TTL: etcd has expired it, whatever the role
      if (this.strict || performance.now() > this.deadline + this.ttl * 1000) {
        this.loseWith('lease deadline passed without keepalive');
      }
    }, 50);
    this.watchdog.unref();
  }

  /** Grant the lease (before anything is put under it), then keep it alive. */
  async grant(): Promise<string> {
    const sent = performance.now();
    this.id = await this.lease.grant();
    this.deadline = sent + this.ttl * 1000;
    this.keepalive = setInterval(() => this.renew(), (this.ttl * 1000) / 3);
    return this.id;
  }

  /** The lease certainly holds now (no process paused past it, no keepalive missing past the TTL). */
  valid(): boolean {
    return !this.lost && performance.now() < this.deadline - MARGIN_MS;
  }

  get isLost(): boolean {
    return this.lost;
  }

  /** Give the lease up at once (clean stop: the leader key goes with it, a follower wins without waiting). */
  async revoke(): Promise<void> {
    this.stop();
    this.lost = true;
    await this.lease.revoke().catch(() => undefined);
  }

  /** Stop keeping it alive without telling etcd (it expires by its TTL). */
  release(): void {
    this.stop();
    this.lost = true;
    this.lease.release();
  }

  private renew(): void {
    if (this.inFlight || this.lost) return;
    this.inFlight = true;
    const sent = performance.now();
    const timeout = setTimeout(() => (this.inFlight = false), this.ttl * 1000);
    this.lease.keepaliveOnce().then(
      (res) => {
        clearTimeout(timeout);
        this.inFlight = false;
        const granted = Number(res.TTL);
        if (granted > 0) this.deadline = Math.max(this.deadline, sent + granted * 1000);
      },
      () => {
        // an expired lease also comes as 'lost'; anything else: the next tick tries again
        clearTimeout(timeout);
        this.inFlight = false;
      },
    );
  }

  private stop(): void {
    clearInterval(this.watchdog);
    if (this.keepalive !== null) clearInterval(this.keepalive);
    this.keepalive = null;
  }

  private loseWith(why: string): void {
    if (this.lost) return;
    this.lost = true;
    this.stop();
    this.lease.release();
    this.onLost(why);
  }
}
