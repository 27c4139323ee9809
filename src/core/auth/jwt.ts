// JSON Web Tokens (RFC 7519) signed with JWS (RFC 7515), verified with node:crypto: RS256/384/512,
// PS256/384/512, ES256/384/512 and HS256/384/512, the algorithms RabbitMQ's oauth2 backend accepts through
// jose. Keys come from configuration (PEM public keys or certificates, symmetric secrets, JWKs) or a JWKS
// file; a token names its key with `kid`, else the configured default key is used (auth_oauth2.default_key).
import { constants, createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

/** A verification key: an asymmetric public key, or an HMAC secret. */
export type JwtKey = { kind: 'public'; key: KeyObject } | { kind: 'secret'; key: Buffer };

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/**
 * A key from configuration text: a PEM public key or certificate, a JWK (JSON; kty oct is a secret), or
 * anything else as a symmetric secret (RabbitMQ's signing_keys with kty oct).
 */
export function parseKey(text: string | Buffer): JwtKey {
  const s = (typeof text === 'string' ? text : text.toString('utf8')).trim();
  if (s.startsWith('-----BEGIN')) return { kind: 'public', key: createPublicKey(s) };
  if (s.startsWith('{')) return jwkKey(JSON.parse(s) as Record<string, unknown>);
  return { kind: 'secret', key: Buffer.from(s, 'utf8') };
}

export function jwkKey(jwk: Record<string, unknown>): JwtKey {
  if (jwk['kty'] === 'oct') return { kind: 'secret', key: Buffer.from(String(jwk['k'] ?? ''), 'base64url') };
  if (typeof jwk['value'] === 'string') return parseKey(jwk['value']); // UAA's {"kty":"RSA","value":PEM}
  return { kind: 'public', key: createPublicKey({ key: jwk as never, format: 'jwk' }) };
}

/** The keys of a JWKS document ({"keys": [...]}) by kid. */
export function parseJwks(text: string): Map<string, JwtKey> {
  const doc = JSON.parse(text) as { keys?: Record<string, unknown>[] };
  const out = new Map<string, JwtKey>();
  for (const k of doc.keys ?? []) {
    if (typeof k['kid'] !== 'string') continue;
    out.set(k['kid'], jwkKey(k));
  }
  return out;
}

export class JwtError extends Error {}

/**
 * The payload of a token whose signature verifies with the key it names (`kid`) or the default key. Expiry
 * and audience are the caller's (oauth2.ts), as RabbitMQ checks them after decoding.
 */
export function verifyJwt(
  token: string,
  keys: ReadonlyMap<string, JwtKey>,
  defaultKey: string | null,
): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('provided token is invalid');
  const [h, p, sig] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('provided token is invalid');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new JwtError('provided token is invalid');
  }
  const kid = typeof header['kid'] === 'string' ? header['kid'] : defaultKey;
  if (kid === null) throw new JwtError('no_signing_key: the token has no kid and no default key is set');
  const key = keys.get(kid);
  if (!key) throw new JwtError(`key_not_found: ${kid}`);
  const alg = String(header['alg'] ?? '');
  const data = Buffer.from(`${h}.${p}`, 'ascii');
  const signature = Buffer.from(sig, 'base64url');
  if (!checkSignature(alg, key, data, signature)) throw new JwtError('signature_invalid');
  return payload as Record<string, unknown>;
}

function checkSignature(alg: string, key: JwtKey, data: Buffer, signature: Buffer): boolean {
  const hash = HASH[alg.slice(2)];
  if (!hash) throw new JwtError(`unsupported algorithm ${alg}`);
  const family = alg.slice(0, 2);
  if (family === 'HS') {
    // an HMAC token needs a secret: a public key given as a secret would let anyone sign (the
    // "alg confusion" attack), so the key's kind must match the algorithm's
    if (key.kind !== 'secret') return false;
    const mac = createHmac(hash, key.key).update(data).digest();
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  }
  if (key.kind !== 'public') return false;
  try {
    if (family === 'RS') return verify(hash, data, key.key, signature);
    if (family === 'PS') {
      return verify(
        hash,
        data,
        { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    if (family === 'ES') return verify(hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
  throw new JwtError(`unsupported algorithm ${alg}`);
}
