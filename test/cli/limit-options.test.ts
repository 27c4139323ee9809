// The AMQP limits from the CLI's three sources with their rabbitmq.conf names (cli/limit-options.ts):
// heartbeat, frame_max, channel_max, handshake_timeout, consumer_timeout, max_message_size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile, readEnv, toBrokerOptions } from '../../src/cli/config.js';
import { resolveOptions } from '../../src/options.js';

test("a RabbitMQ config's limit keys carry over: heartbeat, frame_max, channel_max, handshake_timeout, consumer_timeout, max_message_size", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-limits-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'warren.yaml');
  writeFileSync(
    file,
    'heartbeat: 30\nframe_max: 8192\nchannel_max: 16\nhandshake_timeout: 2000\nconsumer_timeout: 60000\nmax_message_size: 1048576\n',
  );
  const o = resolveOptions(toBrokerOptions(readConfigFile(file)));
  assert.deepEqual(
    [o.heartbeat, o.frameMax, o.channelMax, o.handshakeTimeout, o.consumerTimeout, o.maxMessageSize],
    [30, 8192, 16, 2000, 60000, 1048576],
  );
});

test('the flags and WARREN_* variables of the limits', () => {
  const env = readEnv({ WARREN_HANDSHAKE_TIMEOUT: '500', WARREN_MAX_MESSAGE_SIZE: '4096', WARREN_CHANNEL_MAX: '8' });
  const o = toBrokerOptions(env);
  assert.equal(o.handshakeTimeout, 500);
  assert.equal(o.maxMessageSize, 4096);
  assert.equal(o.channelMax, 8);
  assert.throws(() => readEnv({ WARREN_MAX_MESSAGE_SIZE: 'big' }), /--max-message-size: not a non-negative integer/);
  // unset: the defaults (RabbitMQ's)
  const d = resolveOptions(toBrokerOptions({}));
  assert.deepEqual([d.handshakeTimeout, d.maxMessageSize], [10000, 134217728]);
});
