// connection.start server-properties, with the capabilities RabbitMQ advertises (clients switch features
// on from these: amqplib and pika look at publisher_confirms, consumer_cancel_notify, connection.blocked...).
//
// kombu (and so Celery) compare the product name: `qos_semantics_matches_spec()` returns True for any
// product other than "RabbitMQ", and Celery then applies prefetch per consumer rather than per channel.
// Warren's prefetch semantics are RabbitMQ's, so `advertiseRabbitmq` lets such clients take the RabbitMQ
// code path (product "RabbitMQ", version of the RabbitMQ release whose behaviour Warren follows).
import type { FieldTable } from '../../codec/amqp/field-table.js';
import { VERSION } from '../../version.js';

/** The RabbitMQ release whose behaviour Warren copies, reported when advertising compatibility. */
export const RABBITMQ_COMPAT_VERSION = '3.13.7';

export function serverProperties(advertiseRabbitmq: boolean): FieldTable {
  return {
    capabilities: {
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      consumer_priorities: true,
      authentication_failure_close: true,
      per_consumer_qos: true,
      direct_reply_to: true,
    },
    cluster_name: 'warren@localhost',
    copyright: 'Copyright (c) the Warren authors',
    information: `Warren ${VERSION}, a RabbitMQ-compatible broker. Licensed under the MPL 2.0.`,
    platform: `Node.js ${process.version}`,
    product: advertiseRabbitmq ? 'RabbitMQ' : 'Warren',
    version: advertiseRabbitmq ? RABBITMQ_COMPAT_VERSION : VERSION,
  };
}
