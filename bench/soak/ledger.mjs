// What the soak checks, per stream of tracked messages (each body starts "stream|id|"):
// - lost: confirmed (publisher confirm, MQTT PUBACK, STOMP RECEIPT, pika's confirm) and never acked by a
//   consumer, after the final drain;
// - ackedCameBack: delivered again after an ack the broker is known to have processed (a later round trip
//   on the same channel or connection was answered: the broker handles a channel's frames in order, as
//   bench/durability/crash-loop.mjs);
// - dupWithoutRedelivered: delivered again without the redelivered flag (AMQP, STOMP's `redelivered`
//   header) although the broker was not killed since the earlier delivery. After a kill -9 RabbitMQ too may
//   deliver again without the flag (the "delivered" mark of a classic queue's index is written lazily), so
//   those are counted apart (dupAfterKill) and allowed. So is a delayed message (REFIRED_AFTER_KILL) delivered
//   twice after a kill -9 that came after its confirm: a released message's remove record is written only once
//   its queue copy is fsynced (storage/delayed-store.ts: at least once rather than lost), so a kill in between
//   leaves the copy in its queue and the record that releases it again at the restart, a second message that
//   is not a redelivery.

/** Streams whose messages a kill -9 may put in their queue twice (see above). */
const REFIRED_AFTER_KILL = new Set(['delayed']);

export class Ledger {
  constructor() {
    /** @type {Map<string, ReturnType<typeof newStream>>} */
    this.streams = new Map();
    /** incremented at every kill -9 */
    this.killGen = 0;
  }

  stream(name) {
    let s = this.streams.get(name);
    if (!s) this.streams.set(name, (s = newStream()));
    return s;
  }

  static body(stream, id, pad) {
    return `${stream}|${id}|${'x'.repeat(pad)}`;
  }

  static parse(body) {
    const s = typeof body === 'string' ? body : body.toString('latin1', 0, 40);
    const a = s.indexOf('|');
    const b = s.indexOf('|', a + 1);
    return { stream: s.slice(0, a), id: Number(s.slice(a + 1, b)) };
  }

  confirmed(stream, id) {
    const s = this.stream(stream);
    s.confirmed.add(id);
    if (REFIRED_AFTER_KILL.has(stream)) s.confirmGen.set(id, this.killGen);
  }

  /**
   * A delivery. `redelivered` is null where the protocol has no such flag (MQTT: duplicates allowed, QoS 1
   * is at least once, counted only).
   */
  delivered(stream, id, redelivered) {
    const s = this.stream(stream);
    s.deliveries++;
    const prev = s.lastDelivery.get(id);
    if (prev !== undefined) {
      s.duplicates++;
      if (s.processed.has(id)) s.ackedCameBack++;
      else if (redelivered === false) {
        const refired = (s.confirmGen.get(id) ?? this.killGen) < this.killGen;
        if (prev === this.killGen && !refired) s.dupWithoutRedelivered++;
        else s.dupAfterKill++;
      }
    }
    s.processed.delete(id);
    s.lastDelivery.set(id, this.killGen);
  }

  acked(stream, id) {
    this.stream(stream).acked.add(id);
  }

  /** The broker answered a round trip sent after this ack. */
  processed(stream, id) {
    this.stream(stream).processed.add(id);
  }

  summary() {
    const out = {};
    for (const [name, s] of this.streams) {
      let lost = 0;
      const lostIds = [];
      for (const id of s.confirmed)
        if (!s.acked.has(id)) {
          lost++;
          if (lostIds.length < 20) lostIds.push(id);
        }
      out[name] = {
        confirmed: s.confirmed.size,
        consumed: s.acked.size,
        deliveries: s.deliveries,
        duplicates: s.duplicates,
        lost,
        lostIds,
        ackedCameBack: s.ackedCameBack,
        dupWithoutRedelivered: s.dupWithoutRedelivered,
        dupAfterKill: s.dupAfterKill,
      };
    }
    return out;
  }
}

function newStream() {
  return {
    confirmed: new Set(),
    acked: new Set(),
    processed: new Set(),
    /** id -> killGen at its last delivery */
    lastDelivery: new Map(),
    /** id -> killGen at its confirm (REFIRED_AFTER_KILL streams only) */
    confirmGen: new Map(),
    deliveries: 0,
    duplicates: 0,
    ackedCameBack: 0,
    dupWithoutRedelivered: 0,
    dupAfterKill: 0,
  };
}
