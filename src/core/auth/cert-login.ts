// The login name of a client certificate (RabbitMQ's rabbit_ssl:peer_cert_auth_name), used by the EXTERNAL
// SASL mechanism on AMQPS and by ssl_cert_login for MQTT and STOMP over TLS. ssl_cert_login_from chooses:
// common_name (the subject's CN, the first one), distinguished_name (the subject as RFC 4514 text, most
// specific first: "CN=client,O=Org,C=UK"), or subject_alternative_name (the ssl_cert_login_san_type entry
// at ssl_cert_login_san_index, counting entries of that type from 0).
import { X509Certificate } from 'node:crypto';

/** What a login needs of a verified peer certificate (node:tls PeerCertificate has these; core imports no tls). */
export interface ClientCertificate {
  subject?: Record<string, string | string[] | undefined>;
  subjectaltname?: string;
  raw: Buffer;
}

export type CertLoginFrom = 'common_name' | 'distinguished_name' | 'subject_alternative_name';
export type SanType = 'dns' | 'ip' | 'email' | 'uri' | 'other_name';

export interface CertLoginOptions {
  from: CertLoginFrom;
  sanType: SanType;
  sanIndex: number;
}

export const DEFAULT_CERT_LOGIN: CertLoginOptions = { from: 'distinguished_name', sanType: 'dns', sanIndex: 0 };

/** The login name, or null when the certificate has none of the chosen kind. */
export function certLoginName(cert: ClientCertificate, o: CertLoginOptions): string | null {
  switch (o.from) {
    case 'common_name': {
      const cn = cert.subject?.CN as string | string[] | undefined;
      return (Array.isArray(cn) ? cn[0] : cn) ?? null;
    }
    case 'distinguished_name':
      return distinguishedName(cert);
    case 'subject_alternative_name':
      return sanName(cert.subjectaltname ?? '', o.sanType, o.sanIndex);
  }
}

function distinguishedName(cert: ClientCertificate): string | null {
  // X509Certificate.subject lists the RDNs one per line in the certificate's order (C first), values
  // already escaped as RFC 4514 §2.4 asks; RFC 4514 writes them in reverse, as RabbitMQ does
  const subject = new X509Certificate(cert.raw).subject;
  if (subject === '') return null;
  return subject.split('\n').reverse().join(',');
}

const SAN_PREFIX: Record<SanType, string> = {
  dns: 'DNS:',
  ip: 'IP Address:',
  email: 'email:',
  uri: 'URI:',
  other_name: 'othername:',
};

/** Node renders the extension as "DNS:a, IP Address:1.2.3.4, email:x@y"; pick the index-th of one type. */
function sanName(san: string, type: SanType, index: number): string | null {
  const prefix = SAN_PREFIX[type];
  const matches = san
    .split(', ')
    .filter((e) => e.startsWith(prefix))
    .map((e) => e.slice(prefix.length));
  return matches[index] ?? null;
}
