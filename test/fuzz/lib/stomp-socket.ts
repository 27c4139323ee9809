// @stomp/stompjs speaks to a WebSocket; this is the part of one it uses, over a plain TCP socket (one text
// frame per send, as STOMP over TCP), so stompjs can be recorded and run against the STOMP TCP listener.
import net from 'node:net';

export class TcpStompSocket {
  url = 'tcp';
  binaryType = 'arraybuffer';
  readyState = 0;
  onclose: ((ev?: unknown) => unknown) | null = null;
  onerror: ((ev: unknown) => unknown) | null = null;
  onmessage: ((ev: { data: string }) => unknown) | null = null;
  onopen: ((ev?: unknown) => unknown) | null = null;
  private readonly s: net.Socket;

  constructor(port: number) {
    this.s = net.connect(port, '127.0.0.1', () => {
      this.readyState = 1;
      this.onopen?.();
    });
    this.s.setEncoding('utf8');
    this.s.on('data', (d: string) => this.onmessage?.({ data: d }));
    this.s.on('error', (e) => this.onerror?.(e));
    this.s.on('close', () => {
      this.readyState = 3;
      this.onclose?.({ code: 1000, reason: '' });
    });
  }

  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    this.s.write(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }

  close(): void {
    this.readyState = 2;
    this.s.end();
  }
}
