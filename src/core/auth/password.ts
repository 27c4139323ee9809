// Password hashes in RabbitMQ's format (rabbit_password_hashing_sha256): base64(salt(4) ++ sha256(salt ++ pw)),
// so definitions exported from RabbitMQ import unchanged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function hashPassword(password: string, salt: Buffer = randomBytes(4)): string {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export function checkPassword(password: string, hash: string): boolean {
  const raw = Buffer.from(hash, 'base64');
  if (raw.length !== 36) return false;
  const expected = Buffer.from(hashPassword(password, raw.subarray(0, 4)), 'base64');
  return timingSafeEqual(raw, expected);
}
