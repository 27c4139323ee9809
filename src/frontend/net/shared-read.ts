// Reading AMQP sockets into one shared buffer (Node's `onread`, which net.Server does not pass on to the
// sockets it accepts). By default Node reads each socket into a fresh 64 KiB ArrayBuffer per read: at
// 1 GB/s of large messages that is 16,000 new ArrayBuffers a second, all V8 external memory, and V8 runs a
// full GC per ~64 MiB of it (every 50 ms). Reads here go into one buffer that every socket shares: reads
// and their handling are synchronous on the one JS thread, so the buffer is free again when a read's
// callback returns, provided nothing keeps a view of it. The AMQP frame decoder guarantees that (it copies
// what outlives a push: split frames, large bodies into util/body-pool.ts buffers, and the handlers copy what
// they keep), so it is used for plain TCP AMQP connections only. Reads are also larger (256 KiB): fewer
// syscalls and callbacks for a fast publisher; the read budget (read-budget.ts) still bounds a turn.
//
// This sets the socket's internal onread fields, as net.Socket's constructor does for `onread`; if this
// Node's sockets lack them, the caller keeps reading with 'data' events.
import type { Socket } from 'node:net';

const READ_SIZE = 256 * 1024;
let shared: Buffer | null = null;

interface ReadHandle {
  useUserBuffer?(buf: Uint8Array): void;
}

/**
 * Have `socket`'s reads delivered to `onChunk` as views of the shared buffer, valid only during the call.
 * Returns false (nothing changed) when this Node does not support it; call before the first read.
 */
export function readIntoSharedBuffer(socket: Socket, onChunk: (chunk: Buffer) => void): boolean {
  const handle = (socket as unknown as { _handle?: ReadHandle | null })._handle;
  if (handle == null || typeof handle.useUserBuffer !== 'function') return false;
  let kBuffer: symbol | undefined;
  let kBufferCb: symbol | undefined;
  let kBufferGen: symbol | undefined;
  for (const s of Object.getOwnPropertySymbols(socket)) {
    if (s.description === 'kBuffer') kBuffer = s;
    else if (s.description === 'kBufferCb') kBufferCb = s;
    else if (s.description === 'kBufferGen') kBufferGen = s;
  }
  if (kBuffer === undefined || kBufferCb === undefined || kBufferGen === undefined) return false;
  const buf = (shared ??= Buffer.allocUnsafeSlow(READ_SIZE));
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[kBuffer] = buf;
  fields[kBufferGen] = null;
  fields[kBufferCb] = (n: number, b: Buffer) => {
    onChunk(b.subarray(0, n));
  };
  handle.useUserBuffer(buf);
  return true;
}
