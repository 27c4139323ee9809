// RabbitMQ's password hash format: a hash exported by RabbitMQ 3.10 (guest/guest, sha256) verifies, and the
// sha512 and md5 variants RabbitMQ also accepts work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPassword, hashPassword } from '../../../../src/core/auth/password.js';

test('a RabbitMQ sha256 hash of guest verifies', () => {
  // from the RabbitMQ anchor's GET /api/definitions
  assert.ok(checkPassword('guest', 'U67VkBRwS1lmuIAl89ALY7WnVqtTj4jVQzzaZaTKNoHQElAt'));
  assert.ok(!checkPassword('guesT', 'U67VkBRwS1lmuIAl89ALY7WnVqtTj4jVQzzaZaTKNoHQElAt'));
});

test('sha512 and md5 round trip; empty hash never matches', () => {
  for (const alg of ['rabbit_password_hashing_sha512', 'rabbit_password_hashing_md5']) {
    const h = hashPassword('s3cret', undefined, alg);
    assert.ok(checkPassword('s3cret', h, alg));
    assert.ok(!checkPassword('s3cret', h));
  }
  assert.ok(!checkPassword('', ''));
});
