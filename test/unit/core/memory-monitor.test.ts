// The memory alarm's thresholds as RabbitMQ's vm_memory_monitor: relative and absolute watermarks, raised
// when used > limit and cleared when used <= limit, the forced GC while alarmed and its spacing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { pino } from 'pino';
import {
  availableMemory,
  MemoryMonitor,
  type MemoryMonitorOptions,
  type MemorySample,
} from '../../../src/core/memory-monitor.js';

const MiB = 1024 * 1024;

function setup(over: Partial<MemoryMonitorOptions> = {}) {
  const s: MemorySample = { rss: 100 * MiB, heapTotal: 30 * MiB, heapUsed: 20 * MiB, arrayBuffers: 10 * MiB };
  const lines: { level: number; msg: string }[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) },
  );
  const changes: boolean[] = [];
  let now = 0;
  let gcs = 0;
  const m = new MemoryMonitor({
    watermark: { relative: 0.4 },
    strategy: 'allocated',
    node: 'warren@test',
    log,
    onChange: (on) => changes.push(on),
    sample: () => ({ ...s }),
    totalMemory: 1000 * MiB,
    heapLimit: 4096 * MiB,
    gc: () => void gcs++,
    now: () => now,
    ...over,
  });
  return {
    m,
    s,
    lines,
    changes,
    gcs: () => gcs,
    advance: (ms: number) => void (now += ms),
  };
}

test('a relative watermark is a fraction of the total memory, above 1.0 counted as 1.0', () => {
  const { m, lines } = setup();
  assert.equal(m.limit, Math.trunc(0.4 * 1000 * MiB));
  assert.ok(
    lines.some(
      (l) =>
        l.msg === `Memory high watermark set to 400 MiB (${m.limit} bytes) of 1000 MiB (${1000 * MiB} bytes) total`,
    ),
  );
  const { m: m2, lines: l2 } = setup({ watermark: { relative: 1.5 } });
  assert.equal(m2.limit, 1000 * MiB);
  assert.ok(l2.some((l) => /above the allowed maximum, falling back to 1/.test(l.msg)));
});

test('an absolute watermark is capped at the total memory', () => {
  assert.equal(setup({ watermark: { absolute: 200 * MiB } }).m.limit, 200 * MiB);
  assert.equal(setup({ watermark: { absolute: 5000 * MiB } }).m.limit, 1000 * MiB);
});

test("'allocated' is heap + buffers + the native part measured at start; 'rss' is the resident set", () => {
  const { m, s } = setup();
  assert.equal(m.used, 100 * MiB); // 30 + 10 + baseline 60
  s.rss = 500 * MiB; // the allocator keeps freed pages: not counted
  s.arrayBuffers = 50 * MiB;
  m.check();
  assert.equal(m.used, 140 * MiB);
  const r = setup({ strategy: 'rss' });
  r.s.rss = 321 * MiB;
  r.m.check();
  assert.equal(r.m.used, 321 * MiB);
});

test('raised when used goes over the watermark, cleared when back at or under it, with RabbitMQ log lines', () => {
  const { m, s, changes, lines, advance } = setup({ watermark: { absolute: 200 * MiB } });
  assert.equal(m.alarmed, false);
  s.arrayBuffers = 110 * MiB; // used = 30 + 110 + 60 = exactly the limit: not over it
  m.check();
  assert.deepEqual(changes, []);
  s.arrayBuffers = 111 * MiB;
  m.check();
  assert.deepEqual(changes, [true]);
  assert.equal(m.alarmed, true);
  assert.ok(lines.some((l) => l.msg === `vm_memory_high_watermark set. Memory used:${201 * MiB} allowed:${200 * MiB}`));
  assert.ok(
    lines.some((l) => l.level === 40 && l.msg.startsWith('memory resource limit alarm set on node warren@test.')),
  );
  assert.ok(lines.some((l) => l.msg.includes('*** Publishers will be blocked until this alarm clears ***')));
  advance(100);
  m.check(); // still over: no second notification
  assert.deepEqual(changes, [true]);
  s.arrayBuffers = 110 * MiB;
  m.check();
  assert.deepEqual(changes, [true, false]);
  assert.ok(
    lines.some((l) => l.msg === `vm_memory_high_watermark clear. Memory used:${200 * MiB} allowed:${200 * MiB}`),
  );
  assert.ok(lines.some((l) => l.msg === 'memory resource limit alarm cleared on node warren@test'));
});

test('while alarmed a full GC is forced at once, then spaced; never while under the watermark', () => {
  const { m, s, gcs, advance } = setup({ watermark: { absolute: 200 * MiB } });
  m.check();
  advance(5000);
  m.check();
  assert.equal(gcs(), 0, 'no GC while under the watermark');
  s.arrayBuffers = 300 * MiB;
  assert.equal(m.check(), true, 'the sample that raises the alarm collects');
  assert.equal(gcs(), 1);
  advance(100);
  assert.equal(m.check(), false, 'not again within 200 ms');
  advance(150);
  assert.equal(m.check(), true);
  assert.equal(gcs(), 2);
  s.arrayBuffers = 10 * MiB; // the GC freed the drained messages
  advance(250);
  m.check();
  assert.equal(m.alarmed, false);
  advance(5000);
  m.check();
  assert.equal(gcs(), 2);
  assert.equal(m.gcRuns, 2);
});

test('a slow GC waits 20 times its duration before the next (at most 5% of the time)', () => {
  let now = 0;
  let took = 0;
  const { m, s } = setup({
    watermark: { absolute: 200 * MiB },
    now: () => now,
    gc: () => {
      const t0 = performance.now();
      while (performance.now() < t0 + 60); // a GC of at least 60 ms (more when the machine is busy)
      took = performance.now() - t0;
    },
  });
  s.arrayBuffers = 300 * MiB;
  assert.equal(m.check(), true);
  now += 1100;
  assert.equal(m.check(), false, 'a 60+ ms GC: the next one only after 20 times that, over 1.2 s');
  // the monitor timed the same GC (to within its call): 20 times it, plus slack, and the next one runs
  now = 20 * took + 100;
  assert.equal(m.check(), true);
});

test("V8's heap over 3/4 of its limit raises the alarm whatever the watermark", () => {
  const { m, s, changes, lines } = setup({ watermark: { relative: 1 }, heapLimit: 400 * MiB });
  s.heapUsed = 300 * MiB; // exactly 3/4: not over
  m.check();
  assert.deepEqual(changes, []);
  s.heapUsed = 301 * MiB;
  m.check();
  assert.deepEqual(changes, [true]);
  assert.ok(m.used < m.limit);
  assert.ok(
    lines.some(
      (l) => l.msg === `V8 heap high: ${301 * MiB} bytes used of its ${400 * MiB}-byte limit (--max-old-space-size)`,
    ),
  );
  assert.ok(lines.some((l) => l.msg.startsWith('memory resource limit alarm set on node warren@test.')));
  s.heapUsed = 100 * MiB;
  m.check();
  assert.deepEqual(changes, [true, false]);
});

test('set_vm_memory_high_watermark takes effect at once; 0 blocks every publisher', () => {
  const { m, changes } = setup();
  m.setWatermark({ relative: 0 });
  assert.equal(m.limit, 0);
  assert.deepEqual(changes, [true]);
  m.setWatermark({ absolute: 500 * MiB });
  assert.equal(m.limit, 500 * MiB);
  assert.deepEqual(changes, [true, false]);
  assert.deepEqual(m.watermark, { absolute: 500 * MiB });
});

test('without a way to force a GC the alarm still clears when memory falls', () => {
  const { m, s, changes } = setup({ watermark: { absolute: 200 * MiB }, gc: null });
  s.arrayBuffers = 300 * MiB;
  assert.equal(m.check(), false);
  s.arrayBuffers = 10 * MiB;
  m.check();
  assert.deepEqual(changes, [true, false]);
});

test('the memory available is the RAM, or less under a cgroup limit', () => {
  const a = availableMemory();
  assert.ok(a > 0 && a <= totalmem());
  const GiB = 1024 ** 3;
  const files = (m: Record<string, string>) => (f: string) => {
    if (!(f in m)) throw new Error('ENOENT');
    return m[f]!;
  };
  assert.equal(availableMemory(16 * GiB, 0, files({})), 16 * GiB);
  // cgroup v2: 'max' is no limit; a number under the RAM is the limit
  assert.equal(availableMemory(16 * GiB, 0, files({ '/sys/fs/cgroup/memory.max': 'max\n' })), 16 * GiB);
  assert.equal(availableMemory(16 * GiB, 0, files({ '/sys/fs/cgroup/memory.max': '2147483648\n' })), 2 * GiB);
  // cgroup v1 without a limit reports a huge number
  const v1 = '/sys/fs/cgroup/memory/memory.limit_in_bytes';
  assert.equal(availableMemory(16 * GiB, 0, files({ [v1]: '9223372036854771712\n' })), 16 * GiB);
  assert.equal(availableMemory(16 * GiB, 0, files({ [v1]: '1073741824' })), GiB);
  // libuv's constrained memory (process.constrainedMemory)
  assert.equal(availableMemory(16 * GiB, 4 * GiB, files({})), 4 * GiB);
  const m = new MemoryMonitor({
    watermark: { relative: 0.4 },
    strategy: 'allocated',
    node: 'n',
    log: pino({ level: 'silent' }),
    onChange: () => {},
    totalMemory: availableMemory(16 * GiB, 0, files({ '/sys/fs/cgroup/memory.max': '1073741824' })),
  });
  assert.equal(m.limit, Math.trunc(0.4 * GiB));
});

test('the default GC is V8 gc(), exposed without --expose-gc', () => {
  // an absolute watermark of 0 raises the alarm at once, which forces a real GC
  const log = pino({ level: 'silent' });
  const m = new MemoryMonitor({
    watermark: { absolute: 0 },
    strategy: 'allocated',
    node: 'n',
    log,
    onChange: () => {},
  });
  assert.equal(m.alarmed, true);
  assert.equal(m.check(), true);
  assert.equal(m.gcRuns, 1);
});
