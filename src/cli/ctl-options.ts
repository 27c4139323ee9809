// The options every warrenctl command takes (parsed by ctl.ts from rabbitmqctl's flags) and its output sink.
import type { CtlClient } from './ctl-client.js';

export interface CtlOptions {
  vhost: string;
  quiet: boolean;
  /** The output format; `pretty_table` is rabbitmqctl's PrettyTable (the stream plugin's commands' default). */
  formatter: 'table' | 'json' | 'pretty_table';
  /** --formatter was given (otherwise a command's own default applies). */
  formatterGiven?: boolean;
  tableHeaders: boolean;
  priority?: string;
  applyTo?: string;
  description?: string;
  tags?: string;
  defaultQueueType?: string;
  ifEmpty?: boolean;
  ifUnused?: boolean;
  toExchange?: string;
  routingKey?: string;
  /** list_user_limits --user (rabbitmqctl's default: guest). */
  user?: string;
  /** list_stream_group_consumers --stream, --reference. */
  stream?: string;
  reference?: string;
  /** stream_status --tracking; list_stream_tracking --all, --offset, --writer. */
  tracking?: boolean;
  trackingAll?: boolean;
  trackingOffset?: boolean;
  trackingWriter?: boolean;
  /** add_super_stream's stream options. */
  streams?: StreamCtlOptions;
}

/** The stream options of add_super_stream (rabbitmq-streams' switches). */
export interface StreamCtlOptions {
  partitions?: string;
  bindingKeys?: string;
  routingKeys?: string;
  maxLengthBytes?: string;
  maxAge?: string;
  streamMaxSegmentSizeBytes?: string;
  leaderLocator?: string;
  initialClusterSize?: string;
}

export interface Io {
  out(s: string): void;
}

export type Row = Record<string, unknown>;

export type CtlCommand = (c: CtlClient, args: string[], o: CtlOptions, io: Io) => Promise<void>;

/** A list command (ctl-lists.ts): its API path, banner, default columns and the columns it accepts. */
export interface ListSpec {
  path: (o: CtlOptions) => string;
  banner: (o: CtlOptions) => string;
  defaults: string[];
  /** Columns rabbitmqctl accepts, mapped to a value getter (API field name when a string). */
  columns: Record<string, string | ((r: Row) => unknown)>;
  /** Printed with the PrettyTable formatter unless --formatter says otherwise (the stream plugin's lists). */
  pretty?: boolean;
  /** The rows the listing becomes: fields it lacks filled in (from other requests), or rows made from it. */
  rows?: (c: CtlClient, rows: Row[], o: CtlOptions, cols: string[]) => Promise<Row[]>;
}
