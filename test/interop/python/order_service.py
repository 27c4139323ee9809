# Interop scenario (pika, the producer half of a cross-language flow): the FastAPI guide's Python orders service.
# Seed: 003_* ("Scenario 2: Multiple Backend Services": orders-service/main.py publishes order.created events to the
# 'orders' fanout exchange; shipping-service/main.go consumes them). The test suite starts the Go shipping service
# (test/interop/go, scenario "fanout --external"), waits for it to be bound, then runs this script.
#
# What a user observes:
#   1. The guide's two services declare 'orders' differently: the Go service durable, the Python one with pika's
#      default durable=False. Whoever declares second is refused: 406 PRECONDITION_FAILED (inequivalent arg
#      'durable'). The Go service declared first, so this script's seed-exact declare is refused...
#   2. ...and with durable=True (matching the Go service) it is accepted; 3 order.created events published here
#      reach the Go consumer (which checks them).
#
# usage: /usr/bin/python3 order_service.py AMQP_URL NAME_PREFIX [COUNT]
import json

import interop_common as C
from interop_common import log


def scenario():
    exchange = C.name('orders')  # the Go side names it PREFIX.orders and deletes it when done
    count = int(C.ARGS[0]) if C.ARGS else 3
    connection = C.connect()

    log("1. the seed's declare (durable=False) of the Go service's durable exchange is refused")
    C.expect_channel_error(
        406,
        lambda: connection.channel().exchange_declare(exchange=exchange, exchange_type='fanout'),
        "declaring the Go service's durable 'orders' exchange as non-durable",
    )

    log('2. declare it as the Go service does and publish %d order.created events' % count)
    channel = connection.channel()
    channel.exchange_declare(exchange=exchange, exchange_type='fanout', durable=True)
    for i in range(count):
        event = {
            'event': 'order.created',
            'order_id': 'order-%d' % i,
            'customer_id': 'c-1',
            'total': 10.5 * (i + 1),
            'items': [{'product_id': 'p-1', 'quantity': i + 1}],
        }
        channel.basic_publish(exchange=exchange, routing_key='', body=json.dumps(event))
    connection.close()


if __name__ == '__main__':
    C.main(scenario)
