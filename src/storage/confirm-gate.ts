// The hook through which cluster replication (src/cluster/replication/) holds publisher confirms until
// enough followers have a message on disk too. Storage owns the interface so that it never imports the
// cluster layer; with no gate, or a gate requiring nothing (a single node), a confirm goes out after the
// local fsync exactly as before.
import type { SyncWaiter } from '../core/queue/backing.js';

export interface ConfirmGate {
  /** Acknowledgements from followers a confirm waits for besides the local fsync; 0 on a single node. */
  readonly required: number;
  /** A mark covering every change to the data directory so far (taken as an fsync starts). */
  mark(): number;
  /**
   * Everything up to `ticket` is fsynced here: call `release(ticket)` once `required` followers have
   * everything up to `mark` on disk too (releases come in ticket order).
   */
  hold(ticket: number, mark: number, release: (ticket: number) => void): void;
}

/** Who waits for durability (publisher confirms, tx.commit-ok, compaction) and the gate between. */
export class Confirms {
  /** Cluster replication: confirms wait for followers too; null on a single node. */
  gate: ConfirmGate | null = null;
  /** Confirms may go out up to this ticket: fsynced here (and on enough followers, with a gate). */
  confirmed = 0;
  readonly waiters = new Set<SyncWaiter>();

  /** The gate's mark when the fsync in flight started (-1: none taken; the gate's mark now then). */
  private startMark = -1;

  /**
   * An fsync starts: what followers must have for its confirms is what was written before it, not what
   * is written while it runs (that would make every confirm wait for the next batch's replication too).
   */
  starting(): void {
    if (this.gate !== null) this.startMark = this.gate.mark();
  }

  /** The log fsynced everything up to `ticket`. */
  synced(ticket: number): void {
    const g = this.gate;
    const mark = this.startMark;
    this.startMark = -1;
    if (g !== null && g.required !== 0) g.hold(ticket, mark < 0 ? g.mark() : mark, this.release);
    else this.release(ticket);
  }

  /** A write or fsync failed: the waiters refuse what they wait for (or keep waiting). */
  failed(): void {
    for (const w of this.waiters) if (w.failed !== undefined && !w.failed()) this.waiters.delete(w);
  }

  /** Call `fn` once `ticket` may be confirmed. */
  after(t: number, fn: () => void): void {
    this.waiters.add({
      synced(ticket: number): boolean {
        if (ticket < t) return true;
        fn();
        return false;
      },
    });
  }

  private readonly release = (ticket: number): void => {
    if (ticket > this.confirmed) this.confirmed = ticket;
    for (const w of this.waiters) if (!w.synced(ticket)) this.waiters.delete(w);
  };
}
