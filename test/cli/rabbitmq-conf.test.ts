// A config file in rabbitmq.conf's own `key = value` syntax (cli/rabbitmq-conf.ts): an operator's lines work
// unchanged (disk_free_limit.relative / .absolute in RabbitMQ's units, comments), an unknown key is named by
// its line, and `warren server --config rabbitmq.conf` runs with it (the limit logged as RabbitMQ logs it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile, toBrokerOptions } from '../../src/cli/config.js';
import { resolveOptions } from '../../src/options.js';
import { OTHER_LISTENERS_OFF, spawnWarren } from '../helpers/warren-child.js';

const dir = mkdtempSync(join(tmpdir(), 'warren-rmqconf-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function conf(name: string, text: string) {
  const p = join(dir, name);
  writeFileSync(p, text);
  return resolveOptions(toBrokerOptions(readConfigFile(p)));
}

test("rabbitmq.conf lines: disk_free_limit in RabbitMQ's units, comments, blank lines", () => {
  const rel = conf(
    'rabbitmq.conf',
    "# a RabbitMQ operator's file\n\ndisk_free_limit.relative = 1.5\ntotal_memory_available_override_value = 1GiB  # for the test\n",
  );
  assert.equal(rel.diskFreeLimit, 1.5 * 1024 ** 3);
  assert.deepEqual(rel.diskFreeLimitSetting, { relative: 1.5 });
  // rabbit_resource_monitor_misc:parse_information_unit: GB = 10^9, GiB = 2^30, a bare number is bytes
  assert.equal(conf('a.conf', 'disk_free_limit.absolute = 2GB\n').diskFreeLimit, 2_000_000_000);
  assert.equal(conf('b.conf', 'disk_free_limit.absolute = 50000000\n').diskFreeLimit, 50_000_000);
  assert.equal(conf('c.conf', 'disk_free_limit.absolute = 1GiB\n').diskFreeLimit, 1024 ** 3);
  assert.equal(conf('d.conf', 'disk_free_limit.absolute = 500mb\n').diskFreeLimit, 500_000_000);
  const both = conf('e.conf', 'vm_memory_high_watermark.relative = 0.6\nvm_memory_calculation_strategy = rss\n');
  assert.deepEqual(both.memoryHighWatermark, { relative: 0.6 });
  assert.equal(both.memoryCalculationStrategy, 'rss');
  // the syntax is recognised by its lines too, whatever the file is called
  assert.equal(conf('warren.cfg', '# x\ndisk_free_limit.absolute = 1GB\n').diskFreeLimit, 1_000_000_000);
  // YAML files are read as before
  assert.equal(conf('w.yaml', 'disk_free_limit.absolute: 3GB\n').diskFreeLimit, 3_000_000_000);
});

test('rabbitmq.conf: an unknown key or a line without = is named by its line', () => {
  assert.throws(
    () => conf('bad.conf', 'disk_free_limit.absolute = 1GB\n\nlisteners.ssl.default = 5671\n'),
    /bad\.conf:3: unknown or unsupported setting 'listeners\.ssl\.default'/,
  );
  assert.throws(() => conf('bad2.conf', 'disk_free_limit.absolute 1GB\n'), /bad2\.conf:1: expected 'key = value'/);
  assert.throws(() => conf('bad3.conf', 'disk_free_limit.absolute = lots\n'), /expected a size/);
});

test('warren server --config rabbitmq.conf: the limit applies and is logged as RabbitMQ logs it', async () => {
  const p = join(dir, 'server.conf');
  writeFileSync(p, 'disk_free_limit.relative = 1.5\ntotal_memory_available_override_value = 1GiB\n');
  const data = mkdtempSync(join(tmpdir(), 'warren-rmqconf-data-'));
  const s = await spawnWarren([
    '--amqp-port',
    '0',
    '--bind',
    '127.0.0.1',
    '--data-dir',
    data,
    '--config',
    p,
    ...OTHER_LISTENERS_OFF,
  ]);
  try {
    // 1.5 × 1 GiB = 1,610,612,736 bytes: rabbit_disk_monitor's "Disk free limit set to 1610MB"
    assert.match(s.stderr(), /Disk free limit set to 1610MB/);
  } finally {
    s.child.kill('SIGTERM');
    await s.exited;
    rmSync(data, { recursive: true, force: true });
  }
});
