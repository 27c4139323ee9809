// Behaviour check against RabbitMQ: the same scenarios (error cases and replies) run against two brokers,
// the outcomes (reply code, class id, method id, reply text; or the reply a client sees) printed side by
// side, with the differences marked. Run on purpose, not in CI:
//
//   npm run test:compat -- amqp://guest:guest@127.0.0.1:5672/ amqp://guest:guest@127.0.0.1:5673/
//
// Without URLs it starts Warren in-process (memory storage) and compares it with RabbitMQ on
// localhost:5672 (../shared/anchor/start-rabbitmq.sh). The result is recorded in docs/rabbitmq-behaviour.md.
import amqp, { type ChannelModel } from 'amqplib';
import { startBroker } from '../../src/index.js';
import { IDEMPOTENT } from './idempotent.js';
import { SCENARIOS as BASIC, describe, type Outcome } from './scenarios.js';

const SCENARIOS = [...BASIC, ...IDEMPOTENT];

const DELIBERATE = new Set(SCENARIOS.filter((s) => s.differs).map((s) => s.name));

async function runOne(url: string, s: (typeof SCENARIOS)[number]): Promise<string> {
  const token = Math.random().toString(36).slice(2, 8);
  const n = (base: string): string => `compat-${base}-${token}`;
  const conns: ChannelModel[] = [];
  const open = async (u = url): Promise<ChannelModel> => {
    const c = await amqp.connect(u);
    c.on('error', () => {});
    conns.push(c);
    return c;
  };
  try {
    const out: Outcome = await Promise.race([
      s.run({ url, open, name: n }),
      new Promise<Outcome>((r) => setTimeout(() => r('(no reply within 3 s)'), 3000)),
    ]);
    return out.split(token).join('*');
  } catch (e) {
    return describe(e).split(token).join('*');
  } finally {
    // clean up whatever the scenario left, on a fresh connection
    try {
      const c = await amqp.connect(url);
      const ch = await c.createChannel();
      ch.on('error', () => {});
      for (const k of ['q', 'q2', 'x', 'x2', 'dlq']) {
        await ch.deleteQueue(n(k)).catch(() => {});
      }
      const ch2 = await c.createChannel();
      ch2.on('error', () => {});
      for (const k of ['x', 'x2', 'ae']) await ch2.deleteExchange(n(k)).catch(() => {});
      await c.close();
    } catch {
      /* best effort */
    }
    for (const c of conns) await c.close().catch(() => {});
  }
}

async function main(): Promise<void> {
  let [a, b] = process.argv.slice(2);
  let stop: (() => Promise<void>) | null = null;
  if (!a) {
    const w = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
    a = `amqp://guest:guest@127.0.0.1:${w.amqpPort}/`;
    stop = () => w.close();
  }
  b ??= 'amqp://guest:guest@127.0.0.1:5672/';
  let same = 0;
  const diffs: string[] = [];
  const rows: string[] = ['| scenario | Warren | RabbitMQ | |', '|---|---|---|---|'];
  for (const s of SCENARIOS) {
    const [ra, rb] = [await runOne(a, s), await runOne(b, s)];
    const eq = ra === rb;
    if (eq) same++;
    else if (!DELIBERATE.has(s.name)) diffs.push(s.name);
    const mark = eq ? 'same' : DELIBERATE.has(s.name) ? `differs by design: ${s.differs}` : '**DIFFERS**';
    rows.push(`| ${s.name} | ${esc(ra)} | ${eq ? '〃' : esc(rb)} | ${mark} |`);
  }
  process.stdout.write(rows.join('\n') + '\n\n');
  process.stdout.write(
    `${same} of ${SCENARIOS.length} scenarios identical; ${SCENARIOS.length - same - diffs.length} differ by design; ` +
      `${diffs.length} unexpected differences${diffs.length ? ': ' + diffs.join(', ') : ''}\n`,
  );
  await stop?.();
  process.exit(diffs.length ? 1 : 0);
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|');
}

await main();
