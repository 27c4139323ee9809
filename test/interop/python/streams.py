# Interop scenario (pika): a stream queue (x-queue-type: stream) as RabbitMQ's stream docs show it with pika.
#
# What a user observes:
#   1. A durable stream is declared with retention arguments; a non-durable one is refused (406).
#   2. Messages published with confirms are all read back from x-stream-offset "first", in order, with their
#      headers plus x-stream-offset, and read again by a second consumer (non-destructive).
#   3. x-stream-offset as a number starts there; basic_qos is required (406 without it).
#   4. basic_get is refused with 540 NOT_IMPLEMENTED (a connection error).
#
# usage: /usr/bin/python3 streams.py AMQP_URL NAME_PREFIX
import pika

import interop_common as C
from interop_common import check, eq, log


def consume(conn, stream, offset, n):
    ch = conn.channel()
    ch.basic_qos(prefetch_count=10)
    got = []

    def on_msg(chan, method, props, body):
        got.append((body.decode(), props.headers))
        chan.basic_ack(method.delivery_tag)

    ch.basic_consume(stream, on_msg, arguments={'x-stream-offset': offset})
    C.pump(conn, lambda: len(got) >= n, 5, '%d messages from offset %r' % (n, offset))
    ch.close()
    return got


def scenario():
    stream = C.name('events')
    C.delete_queues_later(stream)
    conn = C.connect()
    ch = conn.channel()

    log('1. declare: durable stream with retention; non-durable refused')
    ch.queue_declare(stream, durable=True, arguments={'x-queue-type': 'stream', 'x-max-age': '7D', 'x-max-length-bytes': 20000000})
    C.expect_channel_error(
        406,
        lambda: conn.channel().queue_declare(C.name('nd'), durable=False, arguments={'x-queue-type': 'stream'}),
        'non-durable stream',
    )

    log('2. publish with confirms, read from first twice')
    ch.confirm_delivery()
    for i in range(20):
        ch.basic_publish('', stream, ('m%d' % i).encode(), pika.BasicProperties(headers={'n': i}, delivery_mode=2))
    for _ in range(2):
        got = consume(conn, stream, 'first', 20)
        eq([b for b, _ in got], ['m%d' % i for i in range(20)], 'bodies from first')
        eq(got[5][1], {'n': 5, 'x-stream-offset': 5}, 'headers of offset 5')

    log('3. numeric offset; a consumer needs basic_qos')
    got = consume(conn, stream, 15, 5)
    eq([h['x-stream-offset'] for _, h in got], [15, 16, 17, 18, 19], 'offsets from 15')
    c2 = conn.channel()
    C.expect_channel_error(406, lambda: c2.basic_consume(stream, lambda *a: None), 'consume without qos')

    log('4. basic_get: 540')
    other = C.connect()
    try:
        other.channel().basic_get(stream)
        C.fail('basic_get on a stream succeeded')
    except pika.exceptions.ConnectionClosedByBroker as e:
        eq(e.reply_code, 540, 'basic_get reply code')
        check('basic.get not supported by stream queues' in e.reply_text, 'reply text %r' % e.reply_text)
    conn.close()


if __name__ == '__main__':
    C.main(scenario)
