// Who uses a queue, as the queue sees them: the connection that owns an exclusive queue or published a message,
// and a consumer's description for management. The Consumer interface itself is owned by the queue
// (queue.ts): the queue calls it, front ends implement it.

export interface ConsumerInfo {
  /** ClientConnection id. */
  connectionId: number;
  channel: number;
  prefetchCount: number;
  args: Record<string, unknown>;
}

/** The connection a queue is exclusive to, or a message was published on. */
export interface Owner {
  readonly id: number;
}
