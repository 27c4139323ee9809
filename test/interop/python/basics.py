# Interop scenario (pika): basic.get, message properties and headers, bodies, publisher confirms.
# Seeds: the building blocks every seed relies on: 004_* (pika tutorials: publish, ack, persistent delivery mode),
# 003_* (FastAPI guide: JSON bodies, delivery_mode=2, acknowledgments) and 001_*/002_* (KrakenD: message_id,
# reply_to, expiration, priority, headers passed through), plus publisher confirms (confirm_delivery).
#
# What a user observes:
#   1. basic_get on an empty queue returns nothing (get-empty); on a queue with messages returns them in order with
#      the remaining message count; a rejected (requeue=True) message comes back with redelivered=True.
#   2. All 14 basic properties round-trip intact, through basic_get and through a consumer; the headers table keeps
#      nested tables, arrays, and every value type pika sends (string, int, long, bool, decimal, timestamp, void,
#      byte array).
#   3. Bodies: empty, all 256 byte values, UTF-8 text, and 1 MiB (split over many frames) arrive byte-identical.
#   4. confirm_delivery(): publishes are confirmed; a mandatory unroutable publish raises UnroutableError;
#      publishing to a missing exchange closes the channel with 404 and the connection stays usable.
#   5. A user_id property that is not the connection's user is refused (406 PRECONDITION_FAILED), as RabbitMQ
#      validates it.
#
# usage: /usr/bin/python3 basics.py AMQP_URL NAME_PREFIX
import datetime
import decimal

import pika
import pika.exceptions

import interop_common as C
from interop_common import check, eq, log


def basic_get(conn):
    log('1. basic_get: get-empty, message counts, reject + requeue')
    q = C.name('get')
    C.delete_queues_later(q)
    ch = conn.channel()
    ch.queue_declare(queue=q)
    eq(ch.basic_get(queue=q, auto_ack=True), (None, None, None), 'basic_get on an empty queue')
    for i in range(3):
        ch.basic_publish(exchange='', routing_key=q, body='get-%d' % i)
    C.wait_count(conn, q, 3, what='messages queued for basic_get')
    m, _p, b = ch.basic_get(queue=q, auto_ack=False)
    check(m is not None, 'basic_get returned nothing from a queue with 3 messages')
    eq(b, b'get-0', 'first basic_get body')
    eq(m.message_count, 2, 'get-ok message_count (messages left)')
    eq(m.redelivered, False, 'redelivered flag of a first get')
    eq(m.routing_key, q, 'get-ok routing key')
    eq(m.exchange, '', 'get-ok exchange')
    ch.basic_reject(delivery_tag=m.delivery_tag, requeue=True)
    m, _p, b = ch.basic_get(queue=q, auto_ack=False)
    eq(b, b'get-0', 'body after reject(requeue=True)')
    eq(m.redelivered, True, 'redelivered flag after reject(requeue=True)')
    eq(m.message_count, 2, 'message_count after the requeue')
    ch.basic_ack(delivery_tag=m.delivery_tag)
    for i, left in ((1, 1), (2, 0)):
        m, _p, b = ch.basic_get(queue=q, auto_ack=True)
        eq(b, b'get-%d' % i, 'basic_get body')
        eq(m.message_count, left, 'get-ok message_count')
    eq(ch.basic_get(queue=q, auto_ack=True), (None, None, None), 'basic_get after draining the queue')
    ch.close()


HEADERS = {
    'string': 'plain',
    'unicode': 'h\u00e9llo \u2713 \u4e16\u754c',
    'empty-string': '',
    'int': 42,
    'negative': -7,
    'int32-max': 2**31 - 1,
    'long': 2**40,
    # no negative 64-bit value: pika 1.2 encodes 'l' signed but decodes it unsigned (a pika bug, not the broker's)
    'true': True,
    'false': False,
    'decimal': decimal.Decimal('3.14'),
    'timestamp': datetime.datetime(2024, 1, 2, 3, 4, 5),
    'void': None,
    'bytes': b'\x00\x01\xfe\xff',
    'array': [1, 'two', True, None, [3, {'four': 4}]],
    'empty-array': [],
    'table': {'nested': {'deep': 'x', 'n': 1, 'list': ['a', 'b']}, 'flag': False},
    'empty-table': {},
}


def all_properties(user):
    return pika.BasicProperties(
        content_type='application/json',
        content_encoding='gzip',
        headers=HEADERS,
        delivery_mode=2,
        priority=9,
        correlation_id='corr-\u00e9-1',
        reply_to='amq.rabbitmq.reply-to-not-really',
        expiration='60000',
        message_id='msg-0001',
        timestamp=1700000000,
        type='order.created',
        user_id=user,
        app_id='warren-interop',
        cluster_id='cluster-7',
    )


PROPS = (
    'content_type',
    'content_encoding',
    'headers',
    'delivery_mode',
    'priority',
    'correlation_id',
    'reply_to',
    'expiration',
    'message_id',
    'timestamp',
    'type',
    'user_id',
    'app_id',
    'cluster_id',
)


def compare_props(got, want, how):
    eq(len(PROPS), 14, 'number of basic properties')
    for attr in PROPS:
        eq(getattr(got, attr), getattr(want, attr), '%s: property %s' % (how, attr))


def properties(conn, user):
    log('2. all 14 properties and a nested headers table round-trip')
    q = C.name('props')
    C.delete_queues_later(q)
    ch = conn.channel()
    ch.queue_declare(queue=q)
    want = all_properties(user)
    ch.basic_publish(exchange='', routing_key=q, body=b'{"k": 1}', properties=want)
    ch.basic_publish(exchange='', routing_key=q, body=b'{"k": 2}', properties=want)
    C.wait_count(conn, q, 2, what='messages with properties')
    m, p, b = ch.basic_get(queue=q, auto_ack=True)
    eq(b, b'{"k": 1}', 'body via basic_get')
    compare_props(p, want, 'basic_get')
    got = []
    tag = ch.basic_consume(queue=q, auto_ack=True, on_message_callback=lambda _c, m, p, b: got.append((m, p, b)))
    C.pump(conn, lambda: got, 5, 'the second message via a consumer')
    eq(got[0][2], b'{"k": 2}', 'body via a consumer')
    compare_props(got[0][1], want, 'consumer')
    ch.basic_cancel(tag)

    log('2b. no properties at all arrive as no properties')
    ch.basic_publish(exchange='', routing_key=q, body=b'bare')
    m, p, b = get_one(conn, ch, q)
    for attr in PROPS:
        eq(getattr(p, attr), None, 'unset property %s' % attr)

    ch.close()


def get_one(conn, ch, q):
    got = []

    def poll():
        r = ch.basic_get(queue=q, auto_ack=True)
        if r[0] is not None:
            got.append(r)
        return got

    C.pump(conn, poll, 5, 'a message on ' + q)
    return got[0]


def bodies(conn):
    log('3. bodies: empty, binary, UTF-8, 1 MiB')
    q = C.name('bodies')
    C.delete_queues_later(q)
    ch = conn.channel()
    ch.queue_declare(queue=q)
    big = bytes((i * 7 + 3) % 256 for i in range(1024 * 1024))
    payloads = [b'', bytes(range(256)), 'z\u00fcrich \u2603 \U0001f600'.encode('utf-8'), big, b'\x00']
    for body in payloads:
        ch.basic_publish(exchange='', routing_key=q, body=body)
    got = []
    ch.basic_consume(queue=q, auto_ack=True, on_message_callback=lambda _c, _m, _p, b: got.append(b))
    C.pump(conn, lambda: len(got) >= len(payloads), 10, '%d bodies' % len(payloads))
    for i, (g, w) in enumerate(zip(got, payloads)):
        check(g == w, 'body %d: %d bytes received, %d sent, identical=%s' % (i, len(g), len(w), g == w))
    ch.close()


def confirms(conn):
    log('4. publisher confirms')
    q = C.name('confirms')
    C.delete_queues_later(q)
    ch = conn.channel()
    ch.queue_declare(queue=q, durable=True)
    ch.confirm_delivery()
    for i in range(50):
        # raises NackError / UnroutableError unless the broker acks
        ch.basic_publish(
            exchange='', routing_key=q, body='c-%d' % i, properties=pika.BasicProperties(delivery_mode=2), mandatory=True
        )
    eq(ch.queue_declare(queue=q, durable=True, passive=True).method.message_count, 50, 'confirmed messages in the queue')
    try:
        ch.basic_publish(exchange='', routing_key=C.name('no-such-queue'), body=b'lost', mandatory=True)
    except pika.exceptions.UnroutableError as e:
        eq(len(e.messages), 1, 'returned messages in UnroutableError')
        eq(e.messages[0].method.reply_code, 312, 'reply code of the returned message')
        eq(e.messages[0].body, b'lost', 'body of the returned message')
    else:
        C.fail('a mandatory unroutable publish in confirm mode should raise UnroutableError')
    ch.basic_publish(exchange='', routing_key=C.name('no-such-queue'), body=b'dropped')  # not mandatory: just acked
    try:
        ch.basic_publish(exchange=C.name('no-such-exchange'), routing_key='k', body=b'x')
    except pika.exceptions.ChannelClosedByBroker as e:
        eq(e.reply_code, 404, 'publishing to a missing exchange (reply text %r)' % (e.reply_text,))
    else:
        C.fail('publishing to a missing exchange in confirm mode should close the channel with 404')
    check(ch.is_closed, 'channel should be closed after the 404')
    check(conn.is_open, 'the connection should survive a channel error')
    ch2 = conn.channel()
    eq(ch2.queue_declare(queue=q, durable=True, passive=True).method.message_count, 50, 'messages after the 404')
    ch2.close()


def forged_user_id(conn, user):
    log('5. a user_id other than the authenticated user is refused (406)')
    q = C.name('props')
    ch = conn.channel()
    ch.queue_declare(queue=q)
    bad = conn.channel()
    bad.confirm_delivery()  # so that basic_publish waits for the broker's answer
    C.expect_channel_error(
        406,
        lambda: bad.basic_publish(
            exchange='', routing_key=q, body=b'x', properties=pika.BasicProperties(user_id='not-' + user)
        ),
        'publishing with user_id %r while logged in as %r' % ('not-' + user, user),
    )
    ch.close()


def scenario():
    conn = C.connect()
    user = pika.URLParameters(C.URL).credentials.username
    basic_get(conn)
    properties(conn, user)
    bodies(conn)
    confirms(conn)
    forged_user_id(conn, user)
    conn.close()


if __name__ == '__main__':
    C.main(scenario)
