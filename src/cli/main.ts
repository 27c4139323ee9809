// `warren` command line: a thin wrapper over startBroker(). `warren server` merges config file, WARREN_*
// environment and flags (later wins), starts the broker, and shuts down cleanly on SIGINT/SIGTERM.
import { Command, Option } from 'commander';
import { startBroker } from '../server.js';
import { VERSION } from '../version.js';
import { runCtl } from './ctl.js';
import { tuneGc } from './gc-tuning.js';
import {
  envName,
  parseValue,
  readConfigFile,
  readEnv,
  SERVER_OPTIONS,
  toBrokerOptions,
  type FlatConfig,
} from './config.js';

export function buildProgram(): Command {
  const program = new Command('warren')
    .description("Warren: a message broker that speaks RabbitMQ's protocols")
    .version(VERSION);
  const server = program.command('server').description('run the broker');
  server.addOption(new Option('--config <file>', 'JSON or YAML config file').env('WARREN_CONFIG'));
  for (const spec of SERVER_OPTIONS) {
    const arg = spec.kind === 'bool' ? '' : ` <${spec.kind === 'port' || spec.kind === 'port0off' ? 'port' : 'value'}>`;
    const help = spec.defaultText ? `${spec.help} (default: ${spec.defaultText})` : spec.help;
    server.addOption(new Option(`--${spec.flag}${arg}`, `${help} [${envName(spec.flag)}]`));
    if (spec.negatable) server.addOption(new Option(`--no-${spec.flag}`, `turn --${spec.flag} off`));
  }
  server.action(async (flags: Record<string, string | boolean | undefined>) => {
    await runServer(flags);
  });
  program
    .command('ctl')
    .description('rabbitmqctl-style commands against a running Warren (see `warren ctl --help`)')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]')
    .action(async (_args: string[], _o: unknown, cmd: Command) => {
      process.exitCode = await runCtl(cmd.args);
    });
  return program;
}

export async function runServer(flags: Record<string, string | boolean | undefined>): Promise<void> {
  const configPath = (flags.config as string | undefined) ?? process.env.WARREN_CONFIG;
  const merged: FlatConfig = configPath ? readConfigFile(configPath) : {};
  Object.assign(merged, readEnv(process.env));
  for (const spec of SERVER_OPTIONS) {
    const camel = spec.flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    const v = flags[camel];
    if (v !== undefined) (merged as Record<string, unknown>)[spec.key] = parseValue(spec, v);
  }
  const options = toBrokerOptions(merged);
  // a server logs what it does (listeners, limits) as RabbitMQ does; from code the default is quieter
  options.logLevel ??= 'info';
  tuneGc();
  // with --etcd this process is a node of a cluster (src/cluster/): it runs a broker only while it leads
  // (loaded only then: the etcd client and gRPC take half a second to import)
  const running = options.etcd
    ? await (await import('../cluster/start.js')).startCluster(options)
    : await startBroker(options);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`warren: ${signal} received, shutting down\n`);
    running.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`warren: shutdown failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
