// CLI option mapping for the management-related options: listeners on by default at RabbitMQ's ports,
// 0/off turns them off; loopback users; load_definitions; the memory watermark (rabbitmq.conf names too).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseValue, readConfigFile, readEnv, SERVER_OPTIONS, toBrokerOptions } from '../../src/cli/config.js';
import { resolveOptions } from '../../src/options.js';

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

test('memory watermark: flag, WARREN_* variable, and rabbitmq.conf names in a config file', () => {
  assert.equal(parseValue(spec('vm-memory-high-watermark'), '0.6'), 0.6);
  assert.throws(() => parseValue(spec('vm-memory-high-watermark'), 'lots'), /not a non-negative number/);
  assert.throws(() => parseValue(spec('vm-memory-high-watermark'), '-1'), /not a non-negative number/);
  const env = readEnv({
    WARREN_VM_MEMORY_HIGH_WATERMARK: '0.5',
    WARREN_VM_MEMORY_HIGH_WATERMARK_ABSOLUTE: '2GB',
    WARREN_VM_MEMORY_CALCULATION_STRATEGY: 'rss',
  });
  const o = toBrokerOptions(env);
  assert.equal(o.vmMemoryHighWatermark, 0.5);
  assert.equal(o.vmMemoryHighWatermarkAbsolute, '2GB');
  assert.equal(o.vmMemoryCalculationStrategy, 'rss');
  assert.deepEqual(resolveOptions(o).memoryHighWatermark, { absolute: 2_000_000_000 });
  assert.deepEqual(resolveOptions({}).memoryHighWatermark, { relative: 0.4 });
  assert.equal(resolveOptions({}).memoryCalculationStrategy, 'allocated');
  assert.throws(() => toBrokerOptions({ vmMemoryCalculationStrategy: 'erlang' }), /allocated or rss/);
  assert.throws(() => resolveOptions({ vmMemoryHighWatermarkAbsolute: 'much' }), /size such as/);

  const dir = mkdtempSync(join(tmpdir(), 'warren-conf-'));
  const yaml = join(dir, 'warren.yaml');
  writeFileSync(
    yaml,
    'vm_memory_high_watermark.relative: 0.3\nvm_memory_calculation_strategy: rss\ndisk_free_limit.absolute: 1GB\n',
  );
  const c = readConfigFile(yaml);
  assert.equal(c.vmMemoryHighWatermark, 0.3);
  assert.equal(toBrokerOptions(c).diskFreeLimit, '1GB');
  assert.equal(toBrokerOptions(c).vmMemoryCalculationStrategy, 'rss');
  const t = join(dir, 'total.yaml');
  writeFileSync(t, 'total_memory_available_override_value: 4GiB\n');
  assert.equal(resolveOptions(toBrokerOptions(readConfigFile(t))).totalMemory, 4 * 1024 ** 3);
  assert.equal(resolveOptions({}).totalMemory, null);
  // disk_free_limit.relative (a multiple of total memory) from a config key and the environment (the flag:
  // test/storage/durability.test.ts)
  const rel = join(dir, 'rel.yaml');
  writeFileSync(rel, 'disk_free_limit.relative: 1.5\ntotal_memory_available_override_value: 1GiB\n');
  assert.equal(resolveOptions(toBrokerOptions(readConfigFile(rel))).diskFreeLimit, 1.5 * 1024 ** 3);
  assert.equal(toBrokerOptions(readEnv({ WARREN_DISK_FREE_LIMIT_RELATIVE: '2' })).diskFreeLimitRelative, 2);
  assert.equal(
    resolveOptions({ diskFreeLimit: '1GB', diskFreeLimitRelative: 0.5, totalMemoryAvailableOverrideValue: '2GB' })
      .diskFreeLimit,
    1_000_000_000,
  );
  assert.throws(() => resolveOptions({ diskFreeLimitRelative: -1 }), /multiple of the total memory/);
  const mq = join(dir, 'mqtt.yaml');
  writeFileSync(mq, 'mqtt.topic_alias_maximum: 32\n');
  assert.equal(resolveOptions(toBrokerOptions(readConfigFile(mq))).mqttTopicAliasMaximum, 32);
  assert.equal(toBrokerOptions(readEnv({ WARREN_MQTT_TOPIC_ALIAS_MAXIMUM: '0' })).mqttTopicAliasMaximum, 0);
  assert.equal(resolveOptions({}).mqttTopicAliasMaximum, 16);
  const json = join(dir, 'warren.json');
  writeFileSync(json, JSON.stringify({ 'vm_memory_high_watermark.absolute': 1073741824 }));
  assert.deepEqual(resolveOptions(toBrokerOptions(readConfigFile(json))).memoryHighWatermark, {
    absolute: 1073741824,
  });
});
