// connection.start server-properties, with the capabilities RabbitMQ advertises (clients switch features
// on from these: amqplib and pika look at publisher_confirms, consumer_cancel_notify, connection.blocked...).
//
// Clients also read `product`: kombu (and so Celery) sends its prefetch raise with global=true only when it is
// "RabbitMQ" (`qos_semantics_matches_spec()` is True for any other product, and then it relies on the spec's
// global=false: the whole channel, changed at once). A client must never see one product's name with the
// other's semantics, so by default (`advertiseRabbitmq`) Warren says "RabbitMQ", with the version of the
// release whose behaviour it follows, and applies RabbitMQ's basic.qos; with it off it says "Warren" and
// applies the spec's (handlers/basic.ts). Either way `information`, `platform` and `warren_version` say what
// it really is.
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
    warren_version: VERSION,
  };
}
