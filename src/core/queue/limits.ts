// Length limits (https://www.rabbitmq.com/docs/maxlength): x-max-length counts ready messages,
// x-max-length-bytes their body bytes (unacked ones do not count, as in RabbitMQ). On overflow:
// - drop-head (default): the oldest ready messages go (dead-lettered with reason maxlen);
// - reject-publish: the newest is refused (the publisher gets basic.nack in confirm mode);
// - reject-publish-dlx: refused and dead-lettered with reason maxlen.
import type { Message } from '../message.js';
import type { ReadyList } from './ready.js';
import type { QueueSettings } from './settings.js';

export function hasLimit(s: QueueSettings): boolean {
  return s.maxLength >= 0 || s.maxLengthBytes >= 0;
}

/** reject-publish(-dlx): would `msg` overflow the queue? (RabbitMQ checks before enqueueing.) */
export function wouldOverflow(s: QueueSettings, ready: ReadyList, msg: Message): boolean {
  if (s.maxLength >= 0 && ready.length + 1 > s.maxLength) return true;
  return s.maxLengthBytes >= 0 && ready.bytes + msg.bodySize > s.maxLengthBytes;
}

/** drop-head: is the queue over a limit now? */
export function overLimit(s: QueueSettings, ready: ReadyList): boolean {
  if (ready.length === 0) return false;
  if (s.maxLength >= 0 && ready.length > s.maxLength) return true;
  return s.maxLengthBytes >= 0 && ready.bytes > s.maxLengthBytes;
}
