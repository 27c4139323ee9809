// `warren ctl` / `warrenctl`: rabbitmqctl's command line against a running Warren, through its management
// API (--url, default http://localhost:15672; -u/--username and --password, default guest/guest, or
// WARREN_CTL_URL / WARREN_CTL_USERNAME / WARREN_CTL_PASSWORD). Options may come before or after the
// command, as with rabbitmqctl: -p vhost, -q, --formatter json, --no-table-headers.
import { Command, Option } from 'commander';
import { CtlClient, CtlError, EX_USAGE } from './ctl-client.js';
import { COMMANDS } from './ctl-commands.js';
import type { CtlOptions, Io } from './ctl-options.js';

export function buildCtl(name = 'ctl'): Command {
  return new Command(name)
    .description('rabbitmqctl-style commands against a running Warren (through its management API)')
    .argument('[command]', `one of: ${Object.keys(COMMANDS).sort().join(', ')}`)
    .argument('[args...]', "the command's arguments (columns for list_* commands)")
    .addOption(
      new Option('--url <url>', 'management API base URL').env('WARREN_CTL_URL').default('http://localhost:15672'),
    )
    .addOption(new Option('-u, --username <user>', 'user').env('WARREN_CTL_USERNAME').default('guest'))
    .addOption(new Option('--password <password>', 'password').env('WARREN_CTL_PASSWORD').default('guest'))
    .option('-p, --vhost <vhost>', 'virtual host', '/')
    .option('-q, --quiet', 'no informational messages', false)
    .addOption(new Option('--formatter <f>', 'output format').choices(['table', 'json', 'pretty_table']))
    .option('--no-table-headers', 'omit the header line of tables')
    .option('--priority <n>', 'set_policy: priority')
    .option('--apply-to <what>', 'set_policy: all, exchanges, queues, classic_queues, quorum_queues, streams')
    .option('--description <text>', 'add_vhost: description')
    .option('--tags <tags>', 'add_vhost: comma-separated tags')
    .option('--default-queue-type <type>', 'add_vhost: default queue type')
    .option('--if-empty', 'delete_queue: only if empty')
    .option('--if-unused', 'delete_queue: only if it has no consumers')
    .option('--to-exchange <x>', 'redrive_queue: republish to this exchange instead of the x-death origin')
    .option('--routing-key <key>', 'redrive_queue: with this routing key')
    .option('--user <user>', 'list_user_limits: the user (default guest)')
    .option('--partitions <n>', 'add_super_stream: number of partitions (default 3)')
    .option('--binding-keys <keys>', 'add_super_stream: comma-separated binding keys')
    .option('--routing-keys <keys>', 'add_super_stream: old name of --binding-keys')
    .option('--max-length-bytes <size>', 'add_super_stream: partition retention, e.g. 20gb')
    .option('--max-age <duration>', 'add_super_stream: partition retention, ISO 8601, e.g. P5DT8H')
    .option('--stream-max-segment-size-bytes <size>', 'add_super_stream: segment size, e.g. 500mb')
    .option('--leader-locator <l>', 'add_super_stream: client-local or balanced')
    .option('--initial-cluster-size <n>', 'add_super_stream: initial cluster size')
    .option('--stream <name>', 'list_stream_group_consumers: the stream of the group')
    .option('--reference <name>', 'list_stream_group_consumers: the reference (name) of the group')
    .option('--tracking', "stream_status: the stream's publisher sequences and stored offsets")
    .option('--all', 'list_stream_tracking: offsets and writers (the default)')
    .option('--offset', 'list_stream_tracking: stored offsets only')
    .option('--writer', 'list_stream_tracking: writers (deduplication) only')
    .allowExcessArguments(true);
}

export async function runCtl(
  argv: string[],
  io: Io = { out: (s) => process.stdout.write(s) },
  name = 'ctl',
): Promise<number> {
  const cmd = buildCtl(name);
  cmd.exitOverride();
  cmd.configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => process.stderr.write(s) });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode ?? EX_USAGE;
    return code === 0 ? 0 : EX_USAGE;
  }
  const [command, ...args] = cmd.args;
  const f = cmd.opts<Record<string, unknown>>();
  try {
    if (!command) throw new CtlError(`no command given; see --help`, EX_USAGE);
    const run = COMMANDS[command];
    if (!run) throw new CtlError(`Command '${command}' not found.`, EX_USAGE);
    const o: CtlOptions = {
      vhost: String(f['vhost']),
      quiet: f['quiet'] === true,
      formatter: f['formatter'] === 'json' || f['formatter'] === 'pretty_table' ? f['formatter'] : 'table',
      formatterGiven: f['formatter'] !== undefined,
      tableHeaders: f['tableHeaders'] !== false,
      priority: f['priority'] as string | undefined,
      applyTo: f['applyTo'] as string | undefined,
      description: f['description'] as string | undefined,
      tags: f['tags'] as string | undefined,
      defaultQueueType: f['defaultQueueType'] as string | undefined,
      ifEmpty: f['ifEmpty'] === true,
      ifUnused: f['ifUnused'] === true,
      toExchange: f['toExchange'] as string | undefined,
      routingKey: f['routingKey'] as string | undefined,
      user: f['user'] as string | undefined,
      stream: f['stream'] as string | undefined,
      reference: f['reference'] as string | undefined,
      tracking: f['tracking'] === true,
      trackingAll: f['all'] === true,
      trackingOffset: f['offset'] === true,
      trackingWriter: f['writer'] === true,
      streams: {
        partitions: f['partitions'] as string | undefined,
        bindingKeys: f['bindingKeys'] as string | undefined,
        routingKeys: f['routingKeys'] as string | undefined,
        maxLengthBytes: f['maxLengthBytes'] as string | undefined,
        maxAge: f['maxAge'] as string | undefined,
        streamMaxSegmentSizeBytes: f['streamMaxSegmentSizeBytes'] as string | undefined,
        leaderLocator: f['leaderLocator'] as string | undefined,
        initialClusterSize: f['initialClusterSize'] as string | undefined,
      },
    };
    const client = new CtlClient({
      url: String(f['url']),
      user: String(f['username']),
      password: String(f['password']),
    });
    await run(client, args, o, io);
    return 0;
  } catch (e) {
    if (e instanceof CtlError) {
      process.stderr.write(`Error: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
