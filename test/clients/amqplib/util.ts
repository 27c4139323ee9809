// Shared helpers for the amqplib client tests (not a test file itself).
//
// - `Client.open(t, url)`: a connection that is closed when the test ends, whatever happens; every channel it
//   opens records the first error the server closes it with (`closedWith(ch)`), so a channel exception never
//   becomes an unhandled 'error' event.
// - `collect(ch, queue)`: a consumer that pushes deliveries into an array (and can ack them).
// - Raw RPCs for AMQP methods amqplib has no API for (tx.*, channel.flow, basic.recover requeue=false,
//   basic.qos with prefetch_size, basic.publish immediate=true). They go through amqplib's own method
//   encoder (`channel.rpc(methodId, fields, expectedReplyId)`), which is internal but stable since 0.5.
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { Message } from 'amqplib';
import type { Options } from 'amqplib';
import type { EventEmitter } from 'node:events';
import type { TestContext } from 'node:test';

export interface AmqpError extends Error {
  code?: number;
  classId?: number;
  methodId?: number;
}

const firstError = new WeakMap<EventEmitter, Promise<AmqpError>>();

/** Keep a listener on 'error' for good and remember the first error. */
function watch(emitter: EventEmitter): void {
  firstError.set(emitter, new Promise<AmqpError>((resolve) => emitter.on('error', (e: AmqpError) => resolve(e))));
}

/** The error the server closed this channel (or connection) with; rejects after `ms`. */
export function closedWith(emitter: EventEmitter, ms = 3000): Promise<AmqpError> {
  const p = firstError.get(emitter);
  if (!p) throw new Error('closedWith: emitter not opened through Client');
  return within(p, ms, 'server close');
}

/** Reject if `p` has not settled within `ms` (so a broken broker fails a test quickly instead of hanging it). */
export function within<T>(p: Promise<T>, ms = 3000, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The message amqplib gives a channel 'error' event for a server channel.close. */
export function channelCloseMessage(code: number, name: string, text: string): string {
  return `Channel closed by server: ${code} (${name}) with message "${text}"`;
}

export class Client {
  private closing = false;

  private constructor(readonly conn: ChannelModel) {
    watch(conn);
  }

  static async open(t: TestContext, url: string, socketOptions?: Record<string, unknown>): Promise<Client> {
    const client = new Client(await within(connect(url, socketOptions), 5000, 'connect'));
    t.after(() => client.close());
    return client;
  }

  async channel(): Promise<Channel> {
    const ch = await this.conn.createChannel();
    watch(ch);
    return ch;
  }

  async confirmChannel(): Promise<ConfirmChannel> {
    const ch = await this.conn.createConfirmChannel();
    watch(ch);
    return ch;
  }

  /** The error the server closed the connection with. */
  closedWith(ms = 3000): Promise<AmqpError> {
    return closedWith(this.conn, ms);
  }

  /** Close the connection; harmless if it is already closed (by us or by the server). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await within(this.conn.close(), 3000, 'connection close');
    } catch {
      // already closed by the server, or the socket is gone
    }
  }
}

/** Close a channel, ignoring the error amqplib throws if the server already closed it. */
export async function closeQuietly(ch: Channel): Promise<void> {
  try {
    await ch.close();
  } catch {
    // already closed
  }
}

export interface Collector {
  tag: string;
  messages: ConsumeMessage[];
  /** Set when the server cancelled the consumer (amqplib calls the callback with null). */
  cancelledByServer: boolean;
  bodies(): string[];
}

/** Consume `queue`, pushing every delivery; with `ack: true` each delivery is acked as it arrives. */
export async function collect(
  ch: Channel,
  queue: string,
  options: Options.Consume & { ack?: boolean } = {},
): Promise<Collector> {
  const { ack, ...consumeOptions } = options;
  const c: Collector = {
    tag: '',
    messages: [],
    cancelledByServer: false,
    bodies: () => c.messages.map((m) => m.content.toString()),
  };
  const ok = await ch.consume(
    queue,
    (msg) => {
      if (msg === null) {
        c.cancelledByServer = true;
        return;
      }
      c.messages.push(msg);
      if (ack) ch.ack(msg);
    },
    consumeOptions,
  );
  c.tag = ok.consumerTag;
  return c;
}

/** Drain a queue with basic.get (no-ack), returning the bodies in order. */
export async function drain(ch: Channel, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

/** Publish on a confirm channel and wait until the broker has routed (and confirmed) everything. */
export async function publishConfirmed(
  ch: ConfirmChannel,
  exchange: string,
  messages: Array<{ routingKey: string; body: string; options?: Options.Publish }>,
): Promise<void> {
  for (const m of messages) ch.publish(exchange, m.routingKey, Buffer.from(m.body), m.options);
  await within(ch.waitForConfirms(), 3000, 'confirms');
}

/** basic.return's method fields, as amqplib puts them on a returned message's `fields`. */
export type ReturnFields = Message['fields'] & { replyCode: number; replyText: string };

export const buf = (s: string): Buffer => Buffer.from(s);

// ---- raw methods ------------------------------------------------------------------------------------------

const id = (classId: number, methodId: number): number => (classId << 16) | methodId;
const ChannelFlow = id(20, 20);
const ChannelFlowOk = id(20, 21);
const BasicQos = id(60, 10);
const BasicQosOk = id(60, 11);
const BasicRecover = id(60, 110);
const BasicRecoverOk = id(60, 111);
const ConfirmSelect = id(85, 10);
const ConfirmSelectOk = id(85, 11);
const TxSelect = id(90, 10);
const TxSelectOk = id(90, 11);
const TxCommit = id(90, 20);
const TxCommitOk = id(90, 21);
const TxRollback = id(90, 30);
const TxRollbackOk = id(90, 31);

interface RawChannel {
  rpc(method: number, fields: Record<string, unknown>, expect: number): Promise<Record<string, unknown>>;
  sendMessage(fields: Record<string, unknown>, properties: Record<string, unknown>, content: Buffer): boolean;
}
const raw = (ch: Channel): RawChannel => ch as unknown as RawChannel;

/** confirm.select on an ordinary channel (amqplib only offers it by creating a confirm channel). */
export const confirmSelect = (ch: Channel) => raw(ch).rpc(ConfirmSelect, { nowait: false }, ConfirmSelectOk);
export const txSelect = (ch: Channel) => raw(ch).rpc(TxSelect, {}, TxSelectOk);
export const txCommit = (ch: Channel) => raw(ch).rpc(TxCommit, {}, TxCommitOk);
export const txRollback = (ch: Channel) => raw(ch).rpc(TxRollback, {}, TxRollbackOk);
/** channel.flow; resolves with the flow-ok fields ({ active }). */
export const channelFlow = (ch: Channel, active: boolean) => raw(ch).rpc(ChannelFlow, { active }, ChannelFlowOk);
export const basicRecover = (ch: Channel, requeue: boolean) => raw(ch).rpc(BasicRecover, { requeue }, BasicRecoverOk);
export const basicQos = (ch: Channel, prefetchSize: number, prefetchCount: number, global: boolean) =>
  raw(ch).rpc(BasicQos, { prefetchSize, prefetchCount, global }, BasicQosOk);

/** basic.publish with immediate=true (amqplib always sends immediate=false). */
export function publishImmediate(ch: Channel, exchange: string, routingKey: string, content: Buffer): boolean {
  return raw(ch).sendMessage(
    { exchange, routingKey, mandatory: false, immediate: true, ticket: undefined },
    { headers: {} },
    content,
  );
}
