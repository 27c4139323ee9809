// The verified client certificate of a byte stream, when it is a TLS socket whose peer sent a certificate
// the CA bundle verifies (EXTERNAL on AMQPS; ssl_cert_login for MQTT and STOMP over TLS). WebSocket streams
// carry none.
import type { Duplex } from 'node:stream';
import { TLSSocket, type PeerCertificate } from 'node:tls';

export function peerCert(stream: Duplex): PeerCertificate | null {
  if (!(stream instanceof TLSSocket) || !stream.authorized) return null;
  const c = stream.getPeerCertificate();
  return c && c.raw ? c : null;
}
