// BEGIN, COMMIT, ABORT (§BEGIN, §COMMIT, §ABORT), as RabbitMQ 3.10's: a SEND, ACK or NACK with a
// transaction header is checked when it arrives (a bad one gets its ERROR then, and is not held), then held
// (connection.ts) until COMMIT publishes and settles them in order, or ABORT drops them. A BEGIN of a
// transaction already open starts it again, empty (RabbitMQ's begin_transaction overwrites it).
import type { BrokerError } from '../../../core/errors.js';
import { StompError, type StompFrame } from '../frame.js';
import type { StompSession } from '../session.js';
import { ackTarget, settle } from './ack.js';
import { publish, sendTarget } from './send.js';

export function badTransaction(tx: string): StompError {
  return new StompError('Bad transaction', `Invalid transaction identifier: "${tx}"\n`, false);
}

function missingTransaction(f: StompFrame): StompError {
  return new StompError('Missing transaction', `"${f.command}" must include a 'transaction' header\n`, false);
}

function requireTx(s: StompSession, f: StompFrame): string {
  const tx = f.get('transaction');
  if (tx === undefined) throw missingTransaction(f);
  if (!s.txs.has(tx)) throw badTransaction(tx);
  return tx;
}

/** A SEND, ACK or NACK inside transaction `tx`: checked now, held until COMMIT. */
export function holdInTransaction(s: StompSession, f: StompFrame, tx: string): void {
  const ops = s.txs.get(tx);
  if (ops === undefined) throw badTransaction(tx);
  if (f.command === 'SEND') ops.push({ kind: 'send', frame: f, target: sendTarget(s, f), ack: null });
  else ops.push({ kind: f.command === 'ACK' ? 'ack' : 'nack', frame: f, target: null, ack: ackTarget(s, f) });
}

export function handleBegin(s: StompSession, f: StompFrame): void {
  const tx = f.get('transaction');
  if (tx === undefined) throw missingTransaction(f);
  s.txs.set(tx, []);
}

/**
 * COMMIT: RabbitMQ sends its RECEIPT first (the held frames go to the channel asynchronously), then come
 * the MESSAGEs the SENDs routed, then the SENDs' own RECEIPTs (their publisher confirms), after every
 * SEND of the transaction was published. A failed ACK (the channel's 406) ends the connection after that.
 */
export function handleCommit(s: StompSession, f: StompFrame): void {
  const tx = requireTx(s, f);
  const ops = s.txs.get(tx)!;
  s.txs.delete(tx);
  s.receipt(f);
  const receipts: [StompFrame, number, number][] = [];
  let failed: BrokerError | null = null;
  for (const op of ops) {
    if (op.kind === 'send') {
      const before = s.appended;
      if (publish(s, op.frame, op.target!)) receipts.push([op.frame, before, s.appended]);
    } else if ((failed = settle(s, op.frame, op.ack!, op.kind === 'ack')) !== null) break;
  }
  for (const [frame, before, after] of receipts) s.sendReceipt(frame, before, after);
  if (failed !== null) throw failed;
}

export function handleAbort(s: StompSession, f: StompFrame): void {
  s.txs.delete(requireTx(s, f));
}
