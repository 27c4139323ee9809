// What the AMQP and MQTT floods (flood.ts, flood-mqtt.ts) share: a batch of pre-encoded publishes written
// flat out, keeping about 1 MiB queued in the socket so the kernel always has the next bytes to take (no
// rate limit, no confirms), for a number of seconds or until SIGTERM; then the one JSON result line.
import type { Socket } from 'node:net';

/** `count` copies of one encoded publish, roughly `bytes` long (at least 4). */
export function repeatBatch(one: Buffer, bytes = 131072): { batch: Buffer; count: number } {
  const count = Math.max(4, Math.floor(bytes / one.length));
  const batch = Buffer.allocUnsafe(one.length * count);
  for (let i = 0; i < count; i++) one.copy(batch, i * one.length);
  return { batch, count };
}

/**
 * Write `batch` (of `count` messages) as fast as `sock` takes it for `seconds`, or until SIGTERM. Prints
 * "flooding" on stderr when it starts (run.ts waits for it). Returns the messages sent and the time taken.
 */
export async function pump(
  sock: Socket,
  batch: Buffer,
  count: number,
  seconds: number,
): Promise<{ sent: number; elapsed: number }> {
  let sent = 0;
  let stopped = false;
  const write = (): void => {
    while (!stopped && sock.writableLength < 1048576 && !sock.destroyed) {
      sock.write(batch);
      sent += count;
    }
  };
  sock.on('drain', write);
  const t0 = performance.now();
  process.stderr.write('flooding\n');
  write();
  await new Promise<void>((r) => {
    const t = setTimeout(r, seconds * 1000);
    process.once('SIGTERM', () => {
      clearTimeout(t);
      r();
    });
  });
  stopped = true;
  return { sent, elapsed: (performance.now() - t0) / 1000 };
}

/** The result line on stdout: {"sent":…, "received":…, "seconds":…, "sentPerS":…, "receivedPerS":…, "errors":[…]}. */
export function printResult(sent: number, received: number, elapsed: number, errors: unknown[]): void {
  const result = {
    sent,
    received,
    seconds: elapsed,
    sentPerS: Math.round(sent / elapsed),
    receivedPerS: Math.round(received / elapsed),
    errors,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}
