// The soak's verdicts on the samples, and its text table.

const median = (a) => {
  const s = a.filter((x) => x !== null && x !== undefined).sort((x, y) => x - y);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Flat when the last quarter's median is at most the first quarter's times `factor`, or under `floor`
 * (`absolute`: under first + floor): thresholds that catch a leak or a queue that grows without bound,
 * not the noise of a shared machine. A sample taken across a restart counts like any other.
 */
export function flatness(samples, limits) {
  const q = Math.max(1, Math.ceil(samples.length / 4));
  const first = samples.slice(0, q);
  const last = samples.slice(-q);
  const out = {};
  const keys = { rss: 'rssMiB', lag: 'lagP99Ms', confirm: 'confirmP99Ms' };
  for (const [k, field] of Object.entries(keys)) {
    const { factor, floor, absolute } = limits[k];
    const a = median(first.map((s) => s[field]));
    const b = median(last.map((s) => s[field]));
    const limit = a === null ? null : absolute ? Math.max(a * factor, a + floor) : Math.max(a * factor, floor);
    const flat = a !== null && b !== null && b <= limit;
    out[k] = {
      firstQuarterMedian: a,
      lastQuarterMedian: b,
      ratio: a && b !== null ? Number((b / a).toFixed(2)) : null,
      limit: limit === null ? null : Number(limit.toFixed(2)),
      flat,
      text: `${field} first-quarter median ${a}, last-quarter median ${b}, limit ${limit?.toFixed(1)}`,
    };
  }
  return out;
}

const pad = (s, n) => String(s).padStart(n);

export function table(r) {
  const lines = [];
  lines.push(`Warren soak: ${r.command}`);
  lines.push(`${r.date}, ${r.machine.cpus} CPUs (${r.machine.model}), Node ${r.machine.node}, wall ${r.wallS} s`);
  lines.push(
    `restarts: ${r.restarts.map((x) => `${x.at}s ${x.signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM'} (stop ${x.stopMs} ms, start ${x.startMs} ms)`).join('; ')}`,
  );
  lines.push('');
  lines.push(
    'stream      confirmed   consumed  deliveries  duplicates  lost  acked-back  dup-no-redeliv  dup-after-kill',
  );
  for (const [name, s] of Object.entries(r.streams)) {
    lines.push(
      `${name.padEnd(10)}${pad(s.confirmed, 11)}${pad(s.consumed, 11)}${pad(s.deliveries, 12)}${pad(s.duplicates, 12)}${pad(s.lost, 6)}${pad(s.ackedCameBack, 12)}${pad(s.dupWithoutRedelivered, 16)}${pad(s.dupAfterKill, 16)}`,
    );
  }
  lines.push(
    `transient: AMQP ${r.counts.transientReceived}/${r.counts.transientSent} received, MQTT QoS 0 ${r.counts.mqttQos0Received}/${r.counts.mqttQos0Sent} received (not checked: may be lost at a restart)`,
  );
  lines.push(
    `left in queues after a final kill -9 (then consumed through the checks): ${JSON.stringify(r.leftAfterFinalKill)}`,
    `the stream read from first after it: ${r.streamAfterFinalKill.read} messages, ${r.streamAfterFinalKill.missing} confirmed ones missing`,
  );
  lines.push('');
  lines.push('    t(s)  RSS MiB  RSS max  lag p99 ms  confirm p99 ms  load1');
  for (const s of r.samples) {
    lines.push(
      `${pad(s.t, 8)}${pad(s.rssMiB, 9)}${pad(s.rssMaxMiB, 9)}${pad(s.lagP99Ms ?? '-', 12)}${pad(s.confirmP99Ms ?? '-', 16)}${pad(s.load1, 7)}`,
    );
  }
  lines.push('');
  for (const [k, f] of Object.entries(r.flatness)) lines.push(`${k}: ${f.flat ? 'flat' : 'NOT FLAT'} (${f.text})`);
  lines.push('');
  lines.push(r.pass ? 'PASS' : `FAIL:\n  ${r.violations.join('\n  ')}`);
  return lines.join('\n') + '\n';
}
