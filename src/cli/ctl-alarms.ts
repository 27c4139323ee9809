// rabbitmqctl's resource-limit commands in warrenctl: set_vm_memory_high_watermark and set_disk_free_limit,
// with rabbitmqctl 3.10's arguments, banners and refusals, through the management API's
// /api/nodes/<node>/vm-memory-high-watermark and /disk-free-limit (RabbitMQ sets them over Erlang
// distribution; management/api/overview.ts). Both take effect at once, raising or clearing the alarm.
import { CtlError, enc, EX_DATAERR, need } from './ctl-client.js';
import type { CtlCommand, CtlOptions, Io, Row } from './ctl-options.js';
import { parseInformationUnit } from './ctl-streams.js';

const info = (o: CtlOptions, io: Io, s: string) => {
  if (!o.quiet) io.out(s + '\n');
};

/** A non-negative decimal, as rabbitmqctl's Float.parse validation takes it ("1", "1.5"). */
function fraction(v: string): number {
  const f = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !Number.isFinite(f)) throw new CtlError(`Bad argument: ${v}`, EX_DATAERR);
  return f;
}

export const ALARM_COMMANDS: Record<string, CtlCommand> = {
  async set_vm_memory_high_watermark(c, args, o, io) {
    // rabbitmqctl set_vm_memory_high_watermark <fraction> | absolute <value>
    const ov = await c.get<Row>('/api/overview');
    const node = String(ov['node']);
    const path = `/api/nodes/${enc(node)}/vm-memory-high-watermark`;
    if (args[0] === 'absolute') {
      need(args, 2);
      const v = args[1]!;
      if (!/^\d+(\.\d+)?\s*([kKmMgGtT]i?[bB]?|[kKmMgGtT][bB])?$/.test(v))
        throw new CtlError(`Bad argument: ${v}`, EX_DATAERR);
      info(o, io, `Setting memory threshold on ${node} to ${v} bytes ...`);
      await c.change('PUT', path, { absolute: v });
      return;
    }
    need(args, 1);
    const f = Number(args[0]);
    if (args[0]!.trim() === '' || !Number.isFinite(f) || f < 0) {
      throw new CtlError(`Bad argument: ${args[0]!}`, EX_DATAERR);
    }
    info(o, io, `Setting memory threshold on ${node} to ${args[0]!} ...`);
    await c.change('PUT', path, { relative: f });
  },
  async set_disk_free_limit(c, args, o, io) {
    // rabbitmqctl set_disk_free_limit <disk_limit> | mem_relative <fraction> (SetDiskFreeLimitCommand)
    if (args[0] === 'mem_relative') {
      need(args, 2);
      const f = fraction(args[1]!);
      const node = await nodeName(c);
      info(o, io, `Setting disk free limit on ${node} to ${args[1]!} times the total RAM ...`);
      await c.change('PUT', `/api/nodes/${enc(node)}/disk-free-limit`, { relative: f });
      return;
    }
    need(args, 1);
    // a number of bytes or one with rabbit_resource_monitor_misc's units: 50000000, 2GB, 1GiB, 500mb
    const bytes = parseInformationUnit(args[0]!);
    if (bytes === null) throw new CtlError(`Bad argument: ${args[0]!}`, EX_DATAERR);
    const node = await nodeName(c);
    info(o, io, `Setting disk free limit on ${node} to ${args[0]!} bytes ...`);
    await c.change('PUT', `/api/nodes/${enc(node)}/disk-free-limit`, { absolute: bytes });
  },
};

async function nodeName(c: Parameters<CtlCommand>[0]): Promise<string> {
  return String((await c.get<Row>('/api/overview'))['node']);
}
