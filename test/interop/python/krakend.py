# Interop scenario (pika): what the KrakenD AMQP consumer and producer backends do.
# Seeds: 001_* (KrakenD "API Gateway integration with AMQP messaging": consumer and producer settings) and 002_*
# (KrakenD v2.2 "RabbitMQ Consumer": prefetch_count 10, prefetch_size 1024, auto_ack false, routing_key ["#"]).
# (KrakenD itself is written in Go; test/interop/go/krakend.go does the same with no_wait / no_local flags, which
# pika cannot send.)
#
# What a user observes:
#   1. The topic exchange and the durable queue bound with '#' are created (idempotently); the exchange "must have
#      topic type if already exists": re-declaring it as direct is refused (406).
#   2. prefetch_size=1024:
#      - RabbitMQ (default): basic.qos with prefetch_size != 0 is refused with 540 NOT_IMPLEMENTED.
#      - Warren (WARREN_EXPECT_PREFETCH_SIZE=1): basic.qos(prefetch_count=10, prefetch_size=1024) is accepted, and
#        the consumer never holds more than 1024 unacked body bytes unless it holds a single message (the spec: the
#        limit does not stop a single message, even one larger than the window); every message still arrives.
#   3. prefetch_count=10 with manual ack (auto_ack false): exactly 10 unacked deliveries, the rest after the acks;
#      '#' matches every routing key, including ''.
#   4. Producer: the properties KrakenD sets (expiration, reply_to, message_id, priority, headers) arrive intact;
#      a mandatory message that no queue receives comes back as basic.return 312 NO_ROUTE with body and properties;
#      a routed mandatory message is not returned; a non-mandatory unroutable one is silently dropped.
#
# usage: /usr/bin/python3 krakend.py AMQP_URL NAME_PREFIX     (env WARREN_EXPECT_PREFETCH_SIZE=1: Warren's qos)
import os

import pika
import pika.exceptions

import interop_common as C
from interop_common import check, eq, log

KEYS = ['', 'a', 'a.b', 'users.created.eu', 'x.y.z.w']


def declare_topology(ch, ex, q):
    ch.exchange_declare(exchange=ex, exchange_type='topic', durable=True, auto_delete=False)
    ch.queue_declare(queue=q, durable=True, exclusive=False, auto_delete=False)
    ch.queue_bind(queue=q, exchange=ex, routing_key='#')


def prefetch_size_rabbitmq():
    log('2. prefetch_size=1024 is refused by RabbitMQ (540 NOT_IMPLEMENTED)')
    conn = C.connect()
    ch = conn.channel()
    try:
        ch.basic_qos(prefetch_count=10, prefetch_size=1024)
    except (pika.exceptions.ConnectionClosedByBroker, pika.exceptions.ChannelClosedByBroker) as e:
        eq(e.reply_code, 540, 'reply code refusing prefetch_size (reply text %r)' % (e.reply_text,))
    else:
        C.fail(
            'RabbitMQ refuses basic.qos prefetch_size=1024 with 540 NOT_IMPLEMENTED, but it was accepted '
            '(set WARREN_EXPECT_PREFETCH_SIZE=1 to check Warren, which implements prefetch_size)'
        )
    if conn.is_open:
        conn.close()


def prefetch_size_warren(ex, q):
    log('2. (WARREN_EXPECT_PREFETCH_SIZE=1) prefetch_size=1024 limits unacked bytes, never a lone message')
    producer = C.connect()
    pch = producer.channel()
    sizes = [400, 400, 400, 400, 400, 2000, 400, 400]
    bodies = [(b'%02d' % i) + b'x' * (n - 2) for i, n in enumerate(sizes)]
    for body in bodies:
        pch.basic_publish(exchange=ex, routing_key='sized', body=body)
    C.wait_count(producer, q, len(bodies), what='messages queued for the prefetch_size check')

    conn = C.connect()
    ch = conn.channel()
    ch.basic_qos(prefetch_count=10, prefetch_size=1024)
    unacked, received, violations = [], [], []

    def on_message(_ch, method, _props, body):
        unacked.append((method.delivery_tag, len(body)))
        received.append(body)
        total = sum(n for _t, n in unacked)
        if len(unacked) > 1 and total > 1024:
            violations.append('%d unacked messages totalling %d bytes' % (len(unacked), total))

    ch.basic_consume(queue=q, on_message_callback=on_message)
    while len(received) < len(bodies) or unacked:
        C.pump(conn, lambda: unacked, 5, 'a delivery under prefetch_size=1024 (%d received so far)' % len(received))
        C.idle(conn, 0.1)  # give the broker a chance to (wrongly) send more
        tag, _n = unacked.pop(0)
        ch.basic_ack(delivery_tag=tag)
    eq(violations, [], 'prefetch_size=1024 violations (more than 1024 unacked bytes with more than one message)')
    eq(received, bodies, 'messages received under prefetch_size=1024')
    conn.close()
    producer.close()


def scenario():
    ex, q = C.name('some-exchange'), C.name('queue-1')
    unroutable_ex = C.name('producer-exchange')
    C.delete_queues_later(q)
    C.delete_exchanges_later(ex, unroutable_ex)

    log('1. topic exchange + durable queue bound with #')
    setup = C.connect()
    sch = setup.channel()
    declare_topology(sch, ex, q)
    declare_topology(sch, ex, q)
    C.expect_channel_error(
        406,
        lambda: setup.channel().exchange_declare(exchange=ex, exchange_type='direct', durable=True),
        're-declaring the topic exchange as direct',
    )
    setup.close()

    if os.environ.get('WARREN_EXPECT_PREFETCH_SIZE') == '1':
        prefetch_size_warren(ex, q)
    else:
        prefetch_size_rabbitmq()

    log('3. prefetch_count=10, manual ack: 10 unacked deliveries at most')
    consumer = C.connect()
    cch = consumer.channel()
    declare_topology(cch, ex, q)
    cch.basic_qos(prefetch_count=10)
    got = []
    cch.basic_consume(queue=q, auto_ack=False, on_message_callback=lambda _c, m, p, b: got.append((m, p, b)))

    producer = C.connect()
    pch = producer.channel()
    returned = []
    pch.add_on_return_callback(lambda _c, m, p, b: returned.append((m, p, b)))
    reply_to = C.name('replies')
    sent = []
    for i in range(15):
        props = pika.BasicProperties(
            content_type='application/json',
            expiration='60000',
            reply_to=reply_to,
            message_id='msg-%d' % i,
            priority=i % 10,
            headers={'X-Request-Id': 'req-%d' % i, 'Content-Type': 'application/json'},
        )
        key = KEYS[i % len(KEYS)]
        body = ('{"n": %d}' % i).encode()
        pch.basic_publish(exchange=ex, routing_key=key, body=body, properties=props, mandatory=True)
        sent.append((key, body, props))
    C.pump([consumer, producer], lambda: len(got) >= 10, 5, '10 deliveries')
    C.idle([consumer, producer], 0.3)
    eq(len(got), 10, 'unacked deliveries with prefetch_count=10')
    cch.basic_ack(delivery_tag=got[-1][0].delivery_tag, multiple=True)
    C.pump([consumer, producer], lambda: len(got) >= 15, 5, 'the 5 remaining deliveries after the acks')
    cch.basic_ack(delivery_tag=got[-1][0].delivery_tag, multiple=True)

    log('4. producer properties arrive intact; routed mandatory messages are not returned')
    eq([b for _m, _p, b in got], [b for _k, b, _p in sent], 'bodies, in publish order')
    for (m, p, b), (key, _body, sp) in zip(got, sent):
        what = 'message %s' % b.decode()
        eq(m.routing_key, key, what + ' routing key (bound with #)')
        eq(m.exchange, ex, what + ' exchange')
        for attr in ('content_type', 'expiration', 'reply_to', 'message_id', 'priority', 'headers'):
            eq(getattr(p, attr), getattr(sp, attr), '%s property %s' % (what, attr))
    eq(returned, [], 'basic.return for routed mandatory messages')

    log('4b. mandatory + unroutable: basic.return 312 NO_ROUTE with body and properties')
    pch.exchange_declare(exchange=unroutable_ex, exchange_type='topic', durable=True)
    props = pika.BasicProperties(
        expiration='5000', reply_to=reply_to, message_id='lost-1', priority=7, headers={'X-Request-Id': 'req-lost'}
    )
    pch.basic_publish(exchange=unroutable_ex, routing_key='no.queue', body=b'unroutable', properties=props, mandatory=True)
    pch.basic_publish(exchange=unroutable_ex, routing_key='no.queue', body=b'dropped', mandatory=False)
    C.pump(producer, lambda: returned, 5, 'basic.return of the unroutable mandatory message')
    C.idle(producer, 0.3)
    eq(len(returned), 1, 'returned messages (only the mandatory one)')
    m, p, b = returned[0]
    eq(m.reply_code, 312, 'basic.return reply code')
    eq(m.reply_text, 'NO_ROUTE', 'basic.return reply text')
    eq(m.exchange, unroutable_ex, 'basic.return exchange')
    eq(m.routing_key, 'no.queue', 'basic.return routing key')
    eq(b, b'unroutable', 'returned body')
    for attr in ('expiration', 'reply_to', 'message_id', 'priority', 'headers'):
        eq(getattr(p, attr), getattr(props, attr), 'returned property ' + attr)
    check(producer.is_open and pch.is_open, 'a basic.return must not close the channel')
    consumer.close()
    producer.close()


if __name__ == '__main__':
    C.main(scenario)
