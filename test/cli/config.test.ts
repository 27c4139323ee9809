// CLI option mapping for the management-related options: listeners on by default at RabbitMQ's ports,
// 0/off turns them off; loopback users; load_definitions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseValue, readEnv, SERVER_OPTIONS, toBrokerOptions } from '../../src/cli/config.js';

const spec = (flag: string) => SERVER_OPTIONS.find((s) => s.flag === flag)!;

test('management and Prometheus default to 15672/15692; 0 or off turns them off', () => {
  const d = toBrokerOptions({});
  assert.equal(d.managementPort, 15672);
  assert.equal(d.prometheusPort, 15692);
  assert.equal(parseValue(spec('management-port'), '0'), null);
  assert.equal(parseValue(spec('prometheus-port'), 'off'), null);
  assert.equal(parseValue(spec('management-port'), '15000'), 15000);
  assert.throws(() => parseValue(spec('management-port'), 'x'), /not a port/);
  const env = readEnv({
    WARREN_MANAGEMENT_PORT: '0',
    WARREN_PROMETHEUS_PORT: '9999',
    WARREN_LOAD_DEFINITIONS: '/d.json',
  });
  assert.deepEqual(toBrokerOptions(env).managementPort, null);
  assert.deepEqual(toBrokerOptions(env).prometheusPort, 9999);
  assert.equal(toBrokerOptions(env).loadDefinitions, '/d.json');
});

test('--loopback-users: a list, or none', () => {
  assert.deepEqual(toBrokerOptions({ loopbackUsers: ['guest', 'ops'] }).loopbackUsers, ['guest', 'ops']);
  assert.deepEqual(toBrokerOptions({ loopbackUsers: ['none'] }).loopbackUsers, []);
  assert.equal(toBrokerOptions({}).loopbackUsers, undefined);
});
