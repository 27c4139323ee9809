# Interop scenario (pika): publish/subscribe through a fanout exchange with server-named exclusive queues.
# Seeds: 004_* (pika tutorials: "Tutorial: Pub/Sub", the 'logs' fanout exchange and amq.gen-* queues shown by
# rabbitmqctl list_bindings) and 003_* (FastAPI guide: subscriber.py, queue_declare(queue='', exclusive=True)).
#
# What a user observes:
#   1. exchange_declare is idempotent; re-declaring the exchange with another type is refused (406).
#   2. A message published while no queue is bound is lost: later subscribers never see it.
#   3. queue_declare('', exclusive=True) gives each subscriber its own server-named queue (amq.gen-...).
#   4. Every subscriber receives every message, in publish order, whatever the routing key.
#   5. Another connection cannot use a subscriber's exclusive queue (405 RESOURCE_LOCKED).
#   6. When a subscriber disconnects its queue is deleted (404 afterwards); the others keep receiving.
#
# usage: /usr/bin/python3 pubsub.py AMQP_URL NAME_PREFIX
import time

import interop_common as C
from interop_common import check, eq, log


def scenario():
    logs = C.name('logs')
    C.delete_exchanges_later(logs)
    pub = C.connect()
    pch = pub.channel()

    log('1. fanout exchange declare is idempotent; another type is refused')
    pch.exchange_declare(exchange=logs, exchange_type='fanout')
    pch.exchange_declare(exchange=logs, exchange_type='fanout')
    C.expect_channel_error(
        406,
        lambda: pub.channel().exchange_declare(exchange=logs, exchange_type='direct'),
        're-declaring a fanout exchange as direct',
    )

    log('2. a message published with no queue bound is dropped')
    pch.basic_publish(exchange=logs, routing_key='', body='nobody-listens')

    log('3. three subscribers, each with an exclusive server-named queue bound to the exchange')
    subs = []
    for i in range(3):
        conn = C.connect()
        ch = conn.channel()
        ok = ch.queue_declare(queue='', exclusive=True)
        qn = ok.method.queue
        check(qn.startswith('amq.gen-'), 'server-named queue should look like amq.gen-..., got %r' % qn)
        eq(ok.method.message_count, 0, 'message count of a fresh server-named queue')
        ch.queue_bind(exchange=logs, queue=qn)
        got = []
        ch.basic_consume(queue=qn, auto_ack=True, on_message_callback=lambda _c, m, _p, b, got=got: got.append((m, b)))
        subs.append({'conn': conn, 'ch': ch, 'q': qn, 'got': got})
    eq(len({s['q'] for s in subs}), 3, 'distinct server-generated queue names')

    log('4. every subscriber gets every message, in order')
    keys = ['', 'info', 'warning.disk', 'anything', '']
    for i, key in enumerate(keys):
        pch.basic_publish(exchange=logs, routing_key=key, body='log-%d' % i)
    conns = [s['conn'] for s in subs]
    C.pump(conns, lambda: all(len(s['got']) >= len(keys) for s in subs), 5, 'every subscriber to get 5 messages')
    C.idle(conns, 0.2)
    for n, s in enumerate(subs):
        eq([b.decode() for _m, b in s['got']], ['log-%d' % i for i in range(len(keys))], 'bodies seen by subscriber %d' % n)
        eq([m.routing_key for m, _b in s['got']], keys, 'routing keys seen by subscriber %d' % n)
        eq({m.exchange for m, _b in s['got']}, {logs}, 'exchange of the deliveries')

    log('5. the exclusive queue cannot be used from another connection')
    other = C.connect()
    victim = subs[0]['q']
    C.expect_channel_error(
        405, lambda: other.channel().queue_declare(queue=victim, passive=True), 'passive declare of an exclusive queue'
    )
    C.expect_channel_error(
        405,
        lambda: other.channel().basic_consume(queue=victim, on_message_callback=lambda *a: None),
        'consuming from an exclusive queue',
    )

    log('6. a subscriber leaves: its queue is deleted, the others keep receiving')
    subs[0]['conn'].close()
    deadline = time.monotonic() + 5
    while True:
        ch = other.channel()
        try:
            ch.queue_declare(queue=victim, passive=True)
        except Exception as e:  # pika.exceptions.ChannelClosedByBroker
            code = getattr(e, 'reply_code', None)
            if code == 404:
                break
            if code != 405 or time.monotonic() > deadline:
                raise
        else:
            ch.close()
        if time.monotonic() > deadline:
            C.fail("the exclusive queue %s still exists 5s after its owner's connection closed" % victim)
        time.sleep(0.05)
    pch.basic_publish(exchange=logs, routing_key='', body='after-leave')
    rest = subs[1:]
    C.pump([s['conn'] for s in rest], lambda: all(len(s['got']) == len(keys) + 1 for s in rest), 5, 'after-leave')
    for s in rest:
        eq(s['got'][-1][1], b'after-leave', 'last message of a remaining subscriber')
        s['conn'].close()
    other.close()
    pub.close()


if __name__ == '__main__':
    C.main(scenario)
