// PUBACK and PUBREC only once what they acknowledge is safe (§4.3.2, §4.3.3: the receiver has taken
// ownership): a persistent message that reached a durable queue after the message store's fsync (as
// RabbitMQ's MQTT plugin waits for its publisher confirm), and a QoS 2 packet id of a persistent session
// once the QoS 2 state that holds it is written (qos2-store.ts). Acknowledgements leave in the order of
// their PUBLISHes. Nothing waits (and nothing is allocated) when there is no file store. A failed write or
// fsync refuses the PUBACKs waiting for it as RabbitMQ's MQTT plugin refuses a rejected publish (failed()).
import type mqttPacket from 'mqtt-packet';
import type { MessageStore, SyncWaiter } from '../../core/queue/backing.js';
import type { Qos2Store } from './qos2-store.js';
import { RC5 } from './reason-codes.js';

export interface AckGateHost {
  readonly ended: boolean;
  readonly version: 3 | 4 | 5;
  send(p: mqttPacket.Packet): void;
}

export class AckGate implements SyncWaiter {
  /** null: a PUBACK refused on MQTT 3.1.1 (failed()), never sent. */
  private packets: (mqttPacket.Packet | null)[] = [];
  private tickets: number[] = [];
  private gens: number[] = [];
  private head = 0;
  private storeWaiting = false;
  private stateWaiting = false;
  /** Inside synced(): the store keeps this waiter if it returns true, so it is not added again. */
  private inSync = false;

  constructor(
    private readonly host: AckGateHost,
    private readonly store: MessageStore | null,
    private readonly qos2: Qos2Store,
  ) {}

  /** Send `p` once message-store ticket `ticket` is fsynced and QoS 2 state change `gen` is written. */
  send(p: mqttPacket.Packet, ticket: number, gen: number): void {
    if (this.head === this.packets.length && this.ready(ticket, gen)) {
      this.host.send(p);
      return;
    }
    this.packets.push(p);
    this.tickets.push(ticket);
    this.gens.push(gen);
    this.wait(ticket, gen);
  }

  private ready(ticket: number, gen: number): boolean {
    return (ticket === 0 || this.store === null || this.store.synced >= ticket) && gen <= this.qos2.written;
  }

  private wait(ticket: number, gen: number): void {
    if (ticket !== 0 && this.store !== null && this.store.synced < ticket && !this.storeWaiting) {
      this.storeWaiting = true;
      if (!this.inSync) this.store.addSyncWaiter(this);
    }
    if (gen > this.qos2.written && !this.stateWaiting) {
      this.stateWaiting = true;
      this.qos2.whenWritten(gen, () => {
        this.stateWaiting = false;
        this.flush();
      });
    }
  }

  /** The message store fsynced up to `_ticket` (SyncWaiter): returns true while still waiting. */
  synced(_ticket: number): boolean {
    this.storeWaiting = false;
    this.inSync = true;
    this.flush();
    this.inSync = false;
    return this.storeWaiting;
  }

  /**
   * A write or fsync failed (SyncWaiter): a QoS 1 PUBACK waiting for the store is refused, as RabbitMQ's MQTT
   * plugin refuses a rejected publish (rabbit_mqtt_processor): MQTT 5 gets PUBACK 0x83 (implementation
   * specific error), 3.1.1 none at all (it has no negative acknowledgement; the client publishes again when it
   * reconnects). A PUBREC (QoS 2) waits for the healed disk: refused, it would end the exchange with its
   * packet id still held (qos2-store.ts). Returns true while something still waits.
   */
  failed(): boolean {
    const synced = this.store?.synced ?? 0;
    for (let i = this.head; i < this.packets.length; i++) {
      const p = this.packets[i];
      const t = this.tickets[i]!;
      if (p?.cmd !== 'puback' || t === 0 || t <= synced) continue;
      this.tickets[i] = 0;
      this.packets[i] =
        this.host.version === 5
          ? { cmd: 'puback', messageId: p.messageId, reasonCode: RC5.IMPLEMENTATION_SPECIFIC }
          : null;
    }
    return this.synced(synced);
  }

  private flush(): void {
    if (this.host.ended) {
      this.packets = [];
      this.tickets = [];
      this.gens = [];
      this.head = 0;
      return;
    }
    let h = this.head;
    while (h < this.packets.length && this.ready(this.tickets[h]!, this.gens[h]!)) {
      const p = this.packets[h++];
      if (p) this.host.send(p);
    }
    if (h === this.packets.length) {
      this.packets = [];
      this.tickets = [];
      this.gens = [];
      h = 0;
    } else {
      // the first one still waiting decides what to wait for next
      this.wait(this.tickets[h]!, this.gens[h]!);
    }
    this.head = h;
  }
}
