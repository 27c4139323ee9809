// A minimal STOMP 1.2 client over TCP for the soak: CONNECT, SEND, SUBSCRIBE, ACK, each optionally with a
// receipt. Raw because the soak wants the TCP listener and to see each RECEIPT itself (a receipted SEND is
// the STOMP form of a publisher confirm: RabbitMQ's STOMP adapter sends it once the message is confirmed).
import { connect } from 'node:net';

export class Stomp {
  constructor(port) {
    this.sock = connect({ host: '127.0.0.1', port });
    this.sock.setNoDelay(true);
    this.buf = '';
    this.receipts = new Map();
    this.nextReceipt = 0;
    this.onMessage = () => {};
    this.closed = new Promise((resolve) => {
      this.sock.on('close', resolve);
      this.sock.on('error', () => {});
    });
    this.closed.then(() => {
      for (const [, r] of this.receipts) r.reject(new Error('closed'));
      this.receipts.clear();
    });
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d) => this.onData(d));
  }

  /** Resolves once CONNECTED arrives. */
  async open() {
    const connected = new Promise((resolve, reject) => {
      this.onConnected = resolve;
      void this.closed.then(() => reject(new Error('closed before CONNECTED')));
    });
    this.frame('CONNECT', {
      'accept-version': '1.2',
      host: '/',
      login: 'guest',
      passcode: 'guest',
      'heart-beat': '0,0',
    });
    await connected;
  }

  frame(command, headers, body = '') {
    let s = command + '\n';
    for (const [k, v] of Object.entries(headers)) s += `${k}:${v}\n`;
    this.sock.write(s + '\n' + body + '\0');
  }

  /** Sends a frame with a receipt header; resolves when the RECEIPT comes back. */
  receipted(command, headers, body) {
    const id = `r${this.nextReceipt++}`;
    const p = new Promise((resolve, reject) => this.receipts.set(id, { resolve, reject }));
    this.frame(command, { ...headers, receipt: id }, body);
    return p;
  }

  onData(d) {
    this.buf += d;
    for (;;) {
      const end = this.buf.indexOf('\0');
      if (end < 0) return;
      const raw = this.buf.slice(0, end).replace(/^\n+/, '');
      this.buf = this.buf.slice(end + 1);
      const sep = raw.indexOf('\n\n');
      const lines = raw.slice(0, sep).split('\n');
      const headers = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (!(l.slice(0, i) in headers)) headers[l.slice(0, i)] = l.slice(i + 1);
      }
      const body = raw.slice(sep + 2);
      const cmd = lines[0];
      if (cmd === 'CONNECTED') this.onConnected?.();
      else if (cmd === 'RECEIPT') {
        const r = this.receipts.get(headers['receipt-id']);
        this.receipts.delete(headers['receipt-id']);
        r?.resolve();
      } else if (cmd === 'MESSAGE') this.onMessage(headers, body);
      else if (cmd === 'ERROR') {
        const r = headers['receipt-id'] && this.receipts.get(headers['receipt-id']);
        if (r) r.reject(new Error(headers.message));
        this.lastError = `${headers.message} ${body}`;
      }
    }
  }

  close() {
    this.sock.destroy();
  }
}
