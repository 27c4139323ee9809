// A record's place in a segment log (segment-log.ts): what cursors read up to, what an fsync covers, what a
// replication follower acknowledges.

/** A record's place in the log: its segment and its byte offset there. Ordered by (seg, off). */
export interface LogPosition {
  seg: number;
  off: number;
}

export function positionBefore(a: LogPosition, b: LogPosition): boolean {
  return a.seg < b.seg || (a.seg === b.seg && a.off < b.off);
}
