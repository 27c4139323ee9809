// The AMQP connection limits of `warren server` (flags, WARREN_* variables, config-file keys) with their
// rabbitmq.conf names, so that a RabbitMQ config's heartbeat, frame_max, channel_max, handshake_timeout,
// consumer_timeout and max_message_size carry over unchanged (https://www.rabbitmq.com/docs/configure).
// config.ts merges them into its table, as auth-config.ts's.
import type { BrokerOptions } from '../options.js';

/** The limits keep their BrokerOptions names and types in the flat config. */
export type LimitFlatConfig = Pick<
  BrokerOptions,
  'heartbeat' | 'frameMax' | 'channelMax' | 'handshakeTimeout' | 'consumerTimeout' | 'maxMessageSize'
>;

interface Spec {
  flag: string;
  key: keyof LimitFlatConfig;
  kind: 'int';
  help: string;
  defaultText: string;
  rabbitmqKey: string;
}

export const LIMIT_OPTIONS: Spec[] = [
  {
    flag: 'heartbeat',
    key: 'heartbeat',
    kind: 'int',
    help: 'heartbeat seconds proposed in connection.tune',
    defaultText: '60',
    rabbitmqKey: 'heartbeat',
  },
  {
    flag: 'frame-max',
    key: 'frameMax',
    kind: 'int',
    help: 'frame_max proposed in connection.tune',
    defaultText: '131072',
    rabbitmqKey: 'frame_max',
  },
  {
    flag: 'channel-max',
    key: 'channelMax',
    kind: 'int',
    help: 'channel_max proposed in connection.tune (channels open at once on a connection)',
    defaultText: '2047',
    rabbitmqKey: 'channel_max',
  },
  {
    flag: 'handshake-timeout',
    key: 'handshakeTimeout',
    kind: 'int',
    help: 'ms from TCP accept to connection.open (AMQP), CONNECT (MQTT, STOMP) before the socket is closed',
    defaultText: '10000',
    rabbitmqKey: 'handshake_timeout',
  },
  {
    flag: 'consumer-timeout',
    key: 'consumerTimeout',
    kind: 'int',
    help: 'ms an unacked delivery may stay out before its channel is closed',
    defaultText: '1800000',
    rabbitmqKey: 'consumer_timeout',
  },
  {
    flag: 'max-message-size',
    key: 'maxMessageSize',
    kind: 'int',
    help: 'largest AMQP message body in bytes (406 over it; at most 536870912)',
    defaultText: '134217728',
    rabbitmqKey: 'max_message_size',
  },
];

/** The limits given into startBroker options. */
export function limitBrokerOptions(c: LimitFlatConfig, o: BrokerOptions): void {
  for (const { key } of LIMIT_OPTIONS) {
    const v = c[key];
    if (v !== undefined) o[key] = v;
  }
}
