// The two probes of the fairness measurement (issue #6: "one connection publishing flat out does not starve
// others"), each on a connection of its own next to the load:
// - ConfirmProbe: amqplib, ~100 msg/s with publisher confirms to its own queue, consumed (manual ack) on a
//   second channel of the same connection: confirm latency and publish → deliver latency per message;
// - HeartbeatProbe: a raw connection that negotiates a 1 s heartbeat and timestamps every heartbeat frame the
//   broker sends (answering each), so the gaps show how late the broker's heartbeats get under load and
//   whether it closes a connection whose heartbeats are answered.
// Samples are kept with their send/arrival time; the caller picks the measurement window afterwards.
import amqp from 'amqplib';
import { RawClient } from './raw-client.js';

export interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of `xs` (milliseconds); all zero when there are none. */
export function stats(xs: number[]): Stats {
  if (xs.length === 0) return { n: 0, p50: 0, p99: 0, max: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  return { n: s.length, p50: at(50), p99: at(99), max: s[s.length - 1]! };
}

export interface ConfirmResult {
  confirm: Stats;
  deliver: Stats;
  /** Messages sent in the window whose confirm or delivery had not arrived when the probe stopped. */
  missing: number;
  error: string | null;
}

export class ConfirmProbe {
  private readonly sentAt: number[] = [];
  private readonly confirmedAt: number[] = [];
  private readonly deliveredAt: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private error: string | null = null;
  private stopping = false;

  private constructor(
    private readonly conn: amqp.ChannelModel,
    private readonly pub: amqp.ConfirmChannel,
    private readonly queue: string,
  ) {}

  static async start(uri: string, ratePerS = 100): Promise<ConfirmProbe> {
    // TCP_NODELAY: amqplib leaves Nagle on by default, which alone adds ~20-40 ms to a 100 msg/s probe
    const conn = await amqp.connect(uri, { noDelay: true });
    const pub = await conn.createConfirmChannel();
    const sub = await conn.createChannel();
    const { queue } = await sub.assertQueue('', { exclusive: true });
    const p = new ConfirmProbe(conn, pub, queue);
    conn.on('error', (e: Error) => (p.error ??= `connection: ${e.message}`));
    conn.on('close', () => {
      if (!p.stopping) p.error ??= 'connection closed';
    });
    await sub.consume(queue, (m) => {
      if (m === null) return;
      const seq = m.content.readUInt32BE(0);
      p.deliveredAt[seq] = performance.now();
      sub.ack(m);
    });
    p.timer = setInterval(() => p.publish(), 1000 / ratePerS);
    return p;
  }

  private publish(): void {
    const seq = this.sentAt.length;
    const body = Buffer.alloc(16);
    body.writeUInt32BE(seq, 0);
    this.sentAt.push(performance.now());
    this.pub.publish('', this.queue, body, {}, (err) => {
      if (err !== null && err !== undefined) this.error ??= `nack for message ${seq}`;
      else this.confirmedAt[seq] = performance.now();
    });
  }

  /** Stop publishing, wait up to `graceMs` for the last confirms and deliveries, close. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const n = this.sentAt.length;
    const end = performance.now() + graceMs;
    while (performance.now() < end && (this.confirmedAt.length < n || this.deliveredAt.length < n)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    this.stopping = true;
    await this.conn.close().catch(() => {});
  }

  /** Latencies of the messages sent in [from, to) (performance.now() times). */
  result(from: number, to: number): ConfirmResult {
    const confirm: number[] = [];
    const deliver: number[] = [];
    let missing = 0;
    for (let i = 0; i < this.sentAt.length; i++) {
      const t = this.sentAt[i]!;
      if (t < from || t >= to) continue;
      const c = this.confirmedAt[i];
      const d = this.deliveredAt[i];
      if (c === undefined || d === undefined) missing++;
      if (c !== undefined) confirm.push(c - t);
      if (d !== undefined) deliver.push(d - t);
    }
    return { confirm: stats(confirm), deliver: stats(deliver), missing, error: this.error };
  }
}

export interface HeartbeatResult {
  /** Gaps between consecutive heartbeat frames from the broker, ms. */
  gaps: Stats;
  /** The broker's heartbeat period: the median gap (half the interval, from Warren as from RabbitMQ). */
  period: number;
  /** How much later than the period the heartbeats came (gap - period), ms. */
  late: Stats;
  /** The longest time in the window without a heartbeat (counting from its edges), ms. */
  longestSilence: number;
  /** Why the broker ended the connection, if it did (it must not: every heartbeat was answered). */
  closedBy: string | null;
}

export class HeartbeatProbe {
  private constructor(readonly client: RawClient) {}

  static async start(uri: string, heartbeatS = 1): Promise<HeartbeatProbe> {
    return new HeartbeatProbe(await RawClient.connect(uri, { heartbeat: heartbeatS }));
  }

  stop(): void {
    this.client.close();
  }

  /** Gaps between heartbeats that arrived in [from, to]. */
  result(from: number, to: number): HeartbeatResult {
    const hb = this.client.heartbeats.filter((t) => t >= from && t <= to);
    const gaps: number[] = [];
    for (let i = 1; i < hb.length; i++) gaps.push(hb[i]! - hb[i - 1]!);
    const g = stats(gaps);
    const period = g.p50;
    const edges = hb.length === 0 ? to - from : Math.max(hb[0]! - from, to - hb[hb.length - 1]!);
    return {
      gaps: g,
      period,
      late: stats(gaps.map((x) => Math.max(0, x - period))),
      longestSilence: Math.max(g.max, edges),
      closedBy: this.client.closedBy,
    };
  }
}
