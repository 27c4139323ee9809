// The verified client certificate of a byte stream, when it is a TLS socket (ssl_cert_login for MQTT and
// STOMP over TLS; WebSocket streams carry none).
import type { Duplex } from 'node:stream';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import { verifiedPeerCertificate } from '../../core/auth/cert-login.js';

export function peerCert(stream: Duplex): PeerCertificate | null {
  return stream instanceof TLSSocket ? verifiedPeerCertificate(stream) : null;
}
