// Test helper: OAuth 2 access tokens signed with node:crypto (no identity provider needed): RS256, ES256
// and HS256 keys, and tokens with RabbitMQ-style scopes.
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface SigningKey {
  alg: 'RS256' | 'ES256' | 'HS256';
  kid: string | null;
  /** What the broker is configured with: a PEM public key, or the HMAC secret. */
  verify: string;
  private: KeyObject | Buffer;
  /** The public key as a JWK (for a JWKS file). */
  jwk: Record<string, unknown>;
}

export function rsaKey(kid: string | null = 'rsa-key'): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return {
    alg: 'RS256',
    kid,
    verify: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    private: privateKey,
    jwk,
  };
}

export function ecKey(kid: string | null = 'ec-key'): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
  return {
    alg: 'ES256',
    kid,
    verify: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    private: privateKey,
    jwk,
  };
}

export function hmacKey(secret: string, kid: string | null = 'hmac-key'): SigningKey {
  const jwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid, alg: 'HS256' };
  return { alg: 'HS256', kid, verify: secret, private: Buffer.from(secret), jwk };
}

export interface TokenClaims {
  scope?: string | string[];
  aud?: string | string[];
  sub?: string;
  /** Seconds from now; default one hour. */
  expiresIn?: number;
  [claim: string]: unknown;
}

/** A signed token; `nowMs` is the time iat and exp count from (a virtual clock's now in clock tests). */
export function token(key: SigningKey, claims: TokenClaims, nowMs = Date.now()): string {
  const { expiresIn, ...rest } = claims;
  const now = Math.floor(nowMs / 1000);
  const payload = { iat: now, exp: now + (expiresIn ?? 3600), ...rest };
  const header = { alg: key.alg, typ: 'JWT', ...(key.kid !== null ? { kid: key.kid } : {}) };
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const data = Buffer.from(`${h}.${p}`);
  let sig: Buffer;
  if (key.alg === 'HS256')
    sig = createHmac('sha256', key.private as Buffer)
      .update(data)
      .digest();
  else if (key.alg === 'ES256')
    sig = sign('sha256', data, { key: key.private as KeyObject, dsaEncoding: 'ieee-p1363' });
  else sig = sign('sha256', data, key.private as KeyObject);
  return `${h}.${p}.${sig.toString('base64url')}`;
}

/** A token signed by some other key (signature check fails). */
export function forged(claims: TokenClaims, kid = 'rsa-key'): string {
  const other = rsaKey(kid);
  return token(other, claims);
}
