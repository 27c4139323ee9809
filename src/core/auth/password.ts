// Password hashes in RabbitMQ's format: base64(salt(4) ++ hash(salt ++ password)), with the hash function
// named by the user's hashing_algorithm (rabbit_password_hashing_sha256 by default; sha512 and the legacy
// md5 are accepted too), so definitions exported from RabbitMQ import unchanged and their users log in.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const DEFAULT_HASHING = 'rabbit_password_hashing_sha256';

const ALGORITHMS: Record<string, string> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

export function isHashingAlgorithm(name: string): boolean {
  return name in ALGORITHMS;
}

export function hashPassword(password: string, salt: Buffer = randomBytes(4), algorithm = DEFAULT_HASHING): string {
  const fn = ALGORITHMS[algorithm] ?? 'sha256';
  const digest = createHash(fn).update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/** An empty hash never matches (RabbitMQ: a user without a password cannot log in with one). */
export function checkPassword(password: string, hash: string, algorithm = DEFAULT_HASHING): boolean {
  if (hash === '') return false;
  const raw = Buffer.from(hash, 'base64');
  if (raw.length < 5) return false;
  const expected = Buffer.from(hashPassword(password, raw.subarray(0, 4), algorithm), 'base64');
  return raw.length === expected.length && timingSafeEqual(raw, expected);
}
