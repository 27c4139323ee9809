// DISCONNECT (§DISCONNECT): the RECEIPT (if asked) is written before the socket closes.
import type { StompFrame } from '../frame.js';
import type { StompSession } from '../session.js';

export function handleDisconnect(s: StompSession, f: StompFrame): void {
  s.receipt(f);
  s.close();
}
