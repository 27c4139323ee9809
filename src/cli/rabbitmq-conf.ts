// rabbitmq.conf's own syntax (RabbitMQ's "new style" config, read by cuttlefish): one `key = value` a
// line, `#` starting a comment, blank lines ignored. An operator's existing rabbitmq.conf lines
// (`disk_free_limit.relative = 1.5`, `vm_memory_high_watermark.absolute = 2GB`) then work in a Warren config
// file unchanged; config.ts maps the keys it knows and refuses the rest, as cuttlefish refuses a key it has
// no schema for, naming the line.

/** Whether a config file is in rabbitmq.conf syntax: a `.conf` name, or a first setting `key = value`. */
export function isRabbitmqConf(path: string, text: string): boolean {
  if (/\.conf$/i.test(path)) return true;
  const first = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  return first !== undefined && /^\s*[A-Za-z0-9_.$-]+\s*=/.test(first);
}

/** The settings of a rabbitmq.conf file, each with its line number (1-based) for error messages. */
export function parseRabbitmqConf(path: string, text: string): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  text.split(/\r?\n/).forEach((raw, i) => {
    // cuttlefish: a value runs up to a comment or the end of the line, surrounding blanks dropped
    const hash = raw.indexOf('#');
    const l = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (l === '') return;
    const eq = l.indexOf('=');
    if (eq <= 0) throw new Error(`${path}:${i + 1}: expected 'key = value', got '${raw.trim()}'`);
    const key = l.slice(0, eq).trim();
    const value = l.slice(eq + 1).trim();
    if (value === '') throw new Error(`${path}:${i + 1}: '${key}' has no value`);
    out.set(key, { value, line: i + 1 });
  });
  return out;
}
