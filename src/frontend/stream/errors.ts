// Errors of the Stream protocol front end: a StreamError carries one of RabbitMQ's response codes
// (codec/stream/constants.ts ResponseCode) and is answered in the failing request's response; the core's
// BrokerErrors map onto those codes as rabbit_stream_reader maps rabbit_stream_manager's errors.
import { ResponseCode } from '../../codec/stream/constants.js';
import { BrokerError } from '../../core/errors.js';
import { StreamManagerError } from '../../core/super-stream.js';
import { StacklessError } from '../../util/stackless-error.js';

export class StreamError extends StacklessError {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}

export const streamDoesNotExist = (): StreamError => new StreamError(ResponseCode.StreamDoesNotExist);
export const accessRefused = (): StreamError => new StreamError(ResponseCode.AccessRefused);
export const preconditionFailed = (why = ''): StreamError => new StreamError(ResponseCode.PreconditionFailed, why);

/** The response code for an error thrown by a handler. */
export function responseCodeOf(e: unknown): number | null {
  if (e instanceof StreamError) return e.code;
  if (e instanceof StreamManagerError) {
    // rabbit_stream_reader's answers to rabbit_stream_manager's errors
    switch (e.reason) {
      case 'validation_failed':
      case 'binding_invalid':
        return ResponseCode.PreconditionFailed;
      case 'reference_already_exists':
        return ResponseCode.StreamAlreadyExists;
      case 'reference_not_found':
      case 'stream_not_found':
        return ResponseCode.StreamDoesNotExist;
      default:
        return ResponseCode.InternalError;
    }
  }
  if (e instanceof BrokerError) {
    switch (e.kind) {
      case 'ACCESS_REFUSED':
        return ResponseCode.AccessRefused;
      case 'NOT_FOUND':
        return ResponseCode.StreamDoesNotExist;
      case 'PRECONDITION_FAILED':
      case 'RESOURCE_LOCKED':
      case 'NOT_ALLOWED':
      case 'COMMAND_INVALID':
        return ResponseCode.PreconditionFailed;
      default:
        return ResponseCode.InternalError;
    }
  }
  return null;
}
