// MQTT return and reason codes Warren sends, and the error a handler throws to close a connection with one.
import { StacklessError } from '../../util/stackless-error.js';

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const RC3 = {
  ACCEPTED: 0,
  BAD_VERSION: 1,
  ID_REJECTED: 2,
  UNAVAILABLE: 3,
  BAD_CREDENTIALS: 4,
  NOT_AUTHORIZED: 5,
};

/** MQTT 5 reason codes (§2.4) used here. */
export const RC5 = {
  SUCCESS: 0x00,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  DISCONNECT_WITH_WILL: 0x04,
  UNSPECIFIED: 0x80,
  MALFORMED: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC: 0x83,
  UNSUPPORTED_VERSION: 0x84,
  CLIENT_ID_INVALID: 0x85,
  BAD_CREDENTIALS: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_ID_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  QOS_NOT_SUPPORTED: 0x9b,
  MAXIMUM_CONNECT_TIME: 0xa0,
  SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: 0x9e,
} as const;

/** A protocol violation: the connection's catch boundary closes it (MQTT 5: DISCONNECT with `reason` first). */
export class ProtocolError extends StacklessError {
  constructor(
    readonly reason: number,
    message: string,
  ) {
    super(message);
  }
}
