// Direct reply-to (https://www.rabbitmq.com/docs/direct-reply-to): a consumer on the pseudo-queue
// amq.rabbitmq.reply-to gets replies published to the default exchange with its generated address as the
// routing key, with no queue in between. Replies are delivered at once, no-ack, like RabbitMQ.
import { randomBytes } from 'node:crypto';
import type { Message } from '../../core/message.js';

export const REPLY_TO_QUEUE = 'amq.rabbitmq.reply-to';
export const REPLY_TO_PREFIX = 'amq.rabbitmq.reply-to.';

export interface ReplyReceiver {
  deliverReply(msg: Message): void;
}

export class ReplyToRegistry {
  private readonly receivers = new Map<string, ReplyReceiver>();

  register(r: ReplyReceiver): string {
    const addr = REPLY_TO_PREFIX + randomBytes(18).toString('base64url');
    this.receivers.set(addr, r);
    return addr;
  }

  unregister(addr: string): void {
    this.receivers.delete(addr);
  }

  /** Deliver a reply; false when nobody listens at that address (the message is dropped, or returned). */
  deliver(address: string, msg: Message): boolean {
    const r = this.receivers.get(address);
    if (r === undefined) return false;
    r.deliverReply(msg);
    return true;
  }
}
