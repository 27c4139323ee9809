// The hook through which cluster replication (src/cluster/replication/) holds publisher confirms until
// enough followers have a message on disk too. Storage owns the interface so that it never imports the
// cluster layer; with no gate, or a gate requiring nothing (a single node), a confirm goes out after the
// local fsync exactly as before.
import type { SyncWaiter } from '../core/queue/backing.js';

export interface ConfirmGate {
  /** Acknowledgements from followers a confirm waits for besides the local fsync; 0 on a single node. */
  readonly required: number;
  /**
   * Everything up to `ticket` is fsynced here: call `release(ticket)` once `required` followers have
   * everything written so far on disk too (releases come in ticket order).
   */
  hold(ticket: number, release: (ticket: number) => void): void;
}

/** Who waits for durability (publisher confirms, tx.commit-ok, compaction) and the gate between. */
export class Confirms {
  /** Cluster replication: confirms wait for followers too; null on a single node. */
  gate: ConfirmGate | null = null;
  /** Confirms may go out up to this ticket: fsynced here (and on enough followers, with a gate). */
  confirmed = 0;
  readonly waiters = new Set<SyncWaiter>();

  /** The log fsynced everything up to `ticket`. */
  synced(ticket: number): void {
    if (this.gate !== null && this.gate.required !== 0) this.gate.hold(ticket, this.release);
    else this.release(ticket);
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
