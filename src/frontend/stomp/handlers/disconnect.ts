// DISCONNECT (§DISCONNECT): the RECEIPT (if asked) is written before the socket closes, after any SEND
// receipts still waiting for the message store.
import type { StompFrame } from '../frame.js';
import type { StompSession } from '../session.js';

export function handleDisconnect(s: StompSession, f: StompFrame): void {
  // after the RECEIPTs of SENDs still waiting for the disk: a client that waits for DISCONNECT's receipt
  // hears of them all
  s.receipts.whenDrained(() => {
    s.receipt(f);
    s.close();
  });
}
