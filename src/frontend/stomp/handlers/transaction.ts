// BEGIN, COMMIT, ABORT (§BEGIN, §COMMIT, §ABORT): a SEND, ACK or NACK with a transaction header is held
// (connection.ts) until COMMIT handles them in order, or ABORT drops them.
import { StompError, type StompFrame } from '../frame.js';
import type { StompSession } from '../session.js';
import { handleAck } from './ack.js';
import { handleSend } from './send.js';

export function badTransaction(tx: string): StompError {
  return new StompError('Bad transaction', `Invalid transaction identifier: "${tx}"\n`, false);
}

function requireTx(s: StompSession, f: StompFrame): string {
  const tx = f.get('transaction');
  if (tx === undefined)
    throw new StompError('Missing transaction', `${f.command} must include a transaction header`, false);
  if (!s.txs.has(tx)) throw badTransaction(tx);
  return tx;
}

/** A SEND, ACK or NACK inside transaction `tx`: held until COMMIT. */
export function holdInTransaction(s: StompSession, f: StompFrame, tx: string): void {
  const ops = s.txs.get(tx);
  if (ops === undefined) throw badTransaction(tx);
  ops.push({ kind: f.command === 'SEND' ? 'send' : f.command === 'ACK' ? 'ack' : 'nack', frame: f });
}

export function handleBegin(s: StompSession, f: StompFrame): void {
  const tx = f.get('transaction');
  if (tx === undefined) throw new StompError('Missing transaction', 'BEGIN must include a transaction header', false);
  if (s.txs.has(tx)) throw badTransaction(tx);
  s.txs.set(tx, []);
}

export function handleCommit(s: StompSession, f: StompFrame): void {
  const tx = requireTx(s, f);
  const ops = s.txs.get(tx)!;
  s.txs.delete(tx);
  for (const op of ops) {
    if (op.kind === 'send') {
      const before = s.appended;
      if (handleSend(s, op.frame)) s.sendReceipt(op.frame, before);
    } else handleAck(s, op.frame, op.kind === 'ack');
  }
}

export function handleAbort(s: StompSession, f: StompFrame): void {
  s.txs.delete(requireTx(s, f));
}
