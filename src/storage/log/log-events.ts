// What a SegmentLog (segment-log.ts) tells its owner: the message store, a stream, a replication follower.
export interface LogEvents {
  /** Everything up to `ticket` is durable. */
  onSynced(ticket: number): void;
  /** An fsync starts: it covers everything written so far (the confirm gate takes its mark here). */
  onSyncStart?(): void;
  /** Segment `seg` was sealed (the store may delete it once nothing in it is live). */
  sealed(seg: number): void;
  /** A write or fsync failed (disk full, I/O error); `null` when writes work again. */
  failure(err: Error | null): void;
  /** Every failed write or fsync, retries included: the confirms waiting now are refused (confirm-gate.ts). */
  writeFailed?(): void;
  /** Before each fsync: anything else that must be durable first (definitions, queue ids). */
  beforeSync(): Promise<void> | null;
}
