// ACK and NACK (§ACK, §NACK): the message is named by the MESSAGE's ack header (1.2) or its message-id
// (1.0, 1.1); in ack mode `client` they are cumulative over the subscription. NACK requeues unless
// requeue:false (then the message is discarded: dead-lettered if its queue has a DLX).
import type { QueuedMessage } from '../../../core/message.js';
import { StompError, type StompFrame } from '../frame.js';
import type { StompSession, Unacked } from '../session.js';

export function handleAck(s: StompSession, f: StompFrame, ack: boolean): void {
  const cmd = ack ? 'ACK' : 'NACK';
  // 1.2: id (the MESSAGE's ack header); 1.0/1.1: message-id
  const idHeader = s.version === '1.2' ? 'id' : 'message-id';
  const mid = f.get(idHeader);
  const m = mid === undefined ? null : /^[TQ]_(.*)@@session-[^@]*@@(\d+)$/.exec(mid);
  if (m === null) throw new StompError('Invalid header', `"${cmd}" must include a valid "${idHeader}" header\n`, false);
  const tag = Number(m[2]);
  const d = s.unacked.get(tag);
  if (d === undefined) return; // RabbitMQ: acking an unknown or already settled message is ignored
  const requeue = f.get('requeue') !== 'false';
  const settled: Unacked[] = [];
  if (d.sub.ack === 'client') {
    // cumulative: this message and every earlier one of the same subscription
    for (const u of s.unacked.values()) {
      if (u.tag > tag) break;
      if (u.sub === d.sub) settled.push(u);
    }
  } else settled.push(d);
  const back: QueuedMessage[] = [];
  for (const u of settled) {
    s.unacked.delete(u.tag);
    u.sub.unacked--;
    if (ack) {
      u.queue.ack(u.entry);
      s.channelStats.ack++;
    } else if (requeue) back.push(u.entry);
    else u.queue.discard(u.entry);
  }
  if (back.length !== 0) d.queue.requeue(back);
  if (d.sub.starved) {
    d.sub.starved = false;
    d.sub.queue.dispatch();
  }
}

/** NACK is not a STOMP 1.0 command. */
export function handleNack(s: StompSession, f: StompFrame): void {
  if (s.version === '1.0') throw new StompError('Bad command', 'NACK is not a STOMP 1.0 command', false);
  handleAck(s, f, false);
}
