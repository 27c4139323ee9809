# pika: queue features as a pika user observes them, with the x-death header checked field by field down to
# the AMQP wire types (pika decodes long and int alike, so the raw content header is captured and parsed
# here): count is a long ('l'), time a timestamp ('T'), routing-keys an array ('A') of longstr ('S').
#   1. nack(requeue=False) into a DLX: x-death entry, x-first-death-*, expiration moved to original-expiration
#   2. x-message-ttl expiry, with a dead-letter routing key
#   3. x-max-length + x-overflow reject-publish: confirm_delivery raises NackError for the refused publish
#   4. x-max-priority ordering
#   5. a bad expiration: channel closed with 406 and RabbitMQ's text
#   6. single active consumer: the second consumer gets nothing until the first cancels
#   7. quorum queue x-delivery-limit: x-delivery-count, then dead-lettered with reason delivery_limit
#   8. (Warren) x-delayed-message exchange with x-delay, and x-message-deduplication on a queue
# usage: /usr/bin/python3 queue_features.py AMQP_URL NAME_PREFIX
import os
import struct
import time

import pika
import pika.exceptions
import pika.spec

import interop_common as C
from interop_common import check, eq, log

# ---- capture raw content headers -------------------------------------------------------------------------
_raw_props = []
_orig_decode = pika.spec.BasicProperties.decode


def _capture(self, encoded, offset=0):
    _raw_props.append(bytes(encoded[offset:]))
    return _orig_decode(self, encoded, offset)


pika.spec.BasicProperties.decode = _capture


def _value(b, p):
    """(type, value, next offset) of the field value at b[p]."""
    t = chr(b[p])
    p += 1
    if t == 'S':
        n = struct.unpack_from('>I', b, p)[0]
        return t, b[p + 4:p + 4 + n].decode(), p + 4 + n
    if t in 'lL':
        return t, struct.unpack_from('>q', b, p)[0], p + 8
    if t == 'T':
        return t, struct.unpack_from('>Q', b, p)[0], p + 8
    if t == 'I':
        return t, struct.unpack_from('>i', b, p)[0], p + 4
    if t == 'b':
        return t, struct.unpack_from('>b', b, p)[0], p + 1
    if t == 't':
        return t, b[p] != 0, p + 1
    if t == 'F':
        n = struct.unpack_from('>I', b, p)[0]
        return t, _table(b, p + 4, p + 4 + n), p + 4 + n
    if t == 'A':
        n = struct.unpack_from('>I', b, p)[0]
        items, q, end = [], p + 4, p + 4 + n
        while q < end:
            it, iv, q = _value(b, q)
            items.append((it, iv))
        return t, items, end
    raise AssertionError('unexpected field type %r' % t)


def _table(b, p, end):
    out = []
    while p < end:
        k = b[p + 1:p + 1 + b[p]].decode()
        p += 1 + b[p]
        t, v, p = _value(b, p)
        out.append((k, t, v))
    return out


def raw_headers(raw):
    """The headers table of a raw basic properties list (flags word first), as [(key, type, value)]."""
    flags = struct.unpack_from('>H', raw, 0)[0]
    p = 2
    for bit in (15, 14):
        if flags & (1 << bit):
            p += 1 + raw[p]
    check(flags & (1 << 13), 'headers flag expected in %r' % raw)
    n = struct.unpack_from('>I', raw, p)[0]
    return _table(raw, p + 4, p + 4 + n)


def last_raw():
    check(_raw_props, 'no content header captured')
    return raw_headers(_raw_props[-1])


def get_one(conn, ch, queue, what):
    got = []

    def poll():
        m, p, b = ch.basic_get(queue=queue, auto_ack=True)
        if m is not None:
            got.append((m, p, b))
        return got

    C.pump(conn, poll, 5, what)
    return got[0]


def scenario():
    conn = C.connect()
    ch = conn.channel()
    dlx, dlq = C.name('dlx'), C.name('dlq')
    work, ttlq, capped, prio = C.name('work'), C.name('ttl'), C.name('capped'), C.name('prio')
    C.delete_queues_later(dlq, work, ttlq, capped, prio)
    C.delete_exchanges_later(dlx)
    ch.exchange_declare(exchange=dlx, exchange_type='topic')
    ch.queue_declare(queue=dlq)
    ch.queue_bind(exchange=dlx, queue=dlq, routing_key='#')

    log('1. nack(requeue=False): x-death field by field, with wire types')
    ch.queue_declare(queue=work, arguments={'x-dead-letter-exchange': dlx})
    ch.basic_publish('', work, b'job', pika.BasicProperties(expiration='30000', headers={'tenant': 'acme'}))
    deadline = time.monotonic() + 5
    while True:
        m, p, b = ch.basic_get(queue=work, auto_ack=False)
        if m is not None:
            break
        check(time.monotonic() < deadline, 'the job never arrived')
        conn.process_data_events(time_limit=0.02)
    before = int(time.time())
    ch.basic_nack(m.delivery_tag, requeue=False)
    m, p, b = get_one(conn, ch, dlq, 'the rejected job in the DLQ')
    eq(b, b'job', 'body')
    eq(m.exchange, dlx, 'exchange of the dead-lettered message')
    eq(m.routing_key, work, 'routing key (the original one)')
    eq(p.expiration, None, 'expiration removed by dead-lettering')
    h = last_raw()
    keys = [k for k, _, _ in h]
    eq(keys, sorted(keys), 'headers sorted by key, as RabbitMQ writes them')
    byk = {k: (t, v) for k, t, v in h}
    eq(byk['tenant'], ('S', 'acme'), 'application header kept')
    eq(byk['x-first-death-queue'], ('S', work), 'x-first-death-queue')
    eq(byk['x-first-death-reason'], ('S', 'rejected'), 'x-first-death-reason')
    eq(byk['x-first-death-exchange'], ('S', ''), 'x-first-death-exchange')
    t, deaths = byk['x-death']
    eq(t, 'A', 'x-death is an array')
    eq(len(deaths), 1, 'one x-death entry')
    eq(deaths[0][0], 'F', 'an x-death entry is a table')
    entry = deaths[0][1]
    eq([k for k, _, _ in entry], ['count', 'reason', 'queue', 'time', 'exchange', 'routing-keys', 'original-expiration'],
       'x-death entry keys in RabbitMQ order')
    e = {k: (t, v) for k, t, v in entry}
    eq(e['count'], ('l', 1), 'count: long 1')
    eq(e['reason'], ('S', 'rejected'), 'reason')
    eq(e['queue'], ('S', work), 'queue')
    eq(e['exchange'], ('S', ''), 'exchange (the default exchange)')
    eq(e['routing-keys'], ('A', [('S', work)]), 'routing-keys: array of longstr')
    eq(e['original-expiration'], ('S', '30000'), 'original-expiration')
    eq(e['time'][0], 'T', 'time is a timestamp')
    check(abs(e['time'][1] - before) <= 2, 'time %r near %r' % (e['time'][1], before))
    # pika's own view
    xd = p.headers['x-death'][0]
    eq(xd['count'], 1, 'pika: count')
    check(hasattr(xd['time'], 'year'), 'pika decodes time as a datetime, got %r' % (xd['time'],))

    log('2. TTL expiry with a dead-letter routing key')
    ch.queue_declare(queue=ttlq, arguments={'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'expired.tasks',
                                            'x-message-ttl': 100})
    ch.basic_publish('', ttlq, b'slow')
    m, p, b = get_one(conn, ch, dlq, 'the expired message')
    eq(m.routing_key, 'expired.tasks', 'dead-letter routing key used')
    e = {k: (t, v) for k, t, v in dict((k, v) for k, _t, v in last_raw())['x-death'][0][1]}
    eq(e['reason'], ('S', 'expired'), 'reason expired')
    eq(e['routing-keys'], ('A', [('S', ttlq)]), 'routing-keys: the original key')
    check('original-expiration' not in e, 'no original-expiration without a message expiration')
    C.wait_count(conn, ttlq, 0, what='TTL queue empty')

    log('3. x-overflow reject-publish: nack in confirm mode')
    cch = conn.channel()
    cch.confirm_delivery()
    cch.queue_declare(queue=capped, arguments={'x-max-length': 1, 'x-overflow': 'reject-publish'})
    cch.basic_publish('', capped, b'first')
    try:
        cch.basic_publish('', capped, b'second')
        C.fail('the second publish should have been nacked')
    except pika.exceptions.NackError:
        pass
    C.wait_count(conn, capped, 1, what='capped queue holds the first only')

    log('4. x-max-priority')
    ch.queue_declare(queue=prio, arguments={'x-max-priority': 10})
    for body, pr in [(b'low', 1), (b'none', None), (b'high', 9), (b'mid', 5)]:
        ch.basic_publish('', prio, body, pika.BasicProperties(priority=pr))
    C.wait_count(conn, prio, 4, what='priority queue filled')
    order = []
    for _ in range(4):
        m, p, b = ch.basic_get(queue=prio, auto_ack=True)
        order.append(b)
    eq(order, [b'high', b'mid', b'low', b'none'], 'priority order')

    log('5. a bad expiration: 406 with RabbitMQ text')
    bad = conn.channel()
    try:
        bad.basic_publish('', prio, b'x', pika.BasicProperties(expiration='soon'))
        bad.queue_declare(queue=prio, passive=True)
        C.fail('expected a channel error')
    except pika.exceptions.ChannelClosedByBroker as e:
        eq(e.reply_code, 406, 'reply code')
        eq(e.reply_text, "PRECONDITION_FAILED - invalid expiration 'soon': no_integer", 'reply text')

    log('6. single active consumer')
    sac = C.name('sac')
    C.delete_queues_later(sac)
    ch = conn.channel()
    ch.queue_declare(queue=sac, arguments={'x-single-active-consumer': True})
    got = {'a': [], 'b': []}
    tag_a = ch.basic_consume(sac, lambda c, m, p, b: got['a'].append(b), auto_ack=True)
    ch.basic_consume(sac, lambda c, m, p, b: got['b'].append(b), auto_ack=True)
    for i in range(3):
        ch.basic_publish('', sac, b'm%d' % i)
    C.pump(conn, lambda: len(got['a']) == 3, 5, 'the active consumer to get all three')
    eq(got['b'], [], 'the waiting consumer got nothing')
    ch.basic_cancel(tag_a)
    ch.basic_publish('', sac, b'after')
    C.pump(conn, lambda: got['b'] == [b'after'], 5, 'the next consumer to take over')

    log('7. quorum x-delivery-limit')
    qq = C.name('quorum')
    C.delete_queues_later(qq)
    ch = conn.channel()
    ch.queue_declare(queue=qq, durable=True, arguments={'x-queue-type': 'quorum', 'x-delivery-limit': 1,
                                                        'x-dead-letter-exchange': dlx})
    ch.basic_publish('', qq, b'poison', pika.BasicProperties(delivery_mode=2))
    counts = []
    for _ in range(2):
        deadline = time.monotonic() + 5
        while True:
            m, p, b = ch.basic_get(queue=qq)
            if m is not None:
                break
            check(time.monotonic() < deadline, 'the quorum message never came back')
            conn.process_data_events(time_limit=0.02)
        counts.append((p.headers or {}).get('x-delivery-count'))
        ch.basic_nack(m.delivery_tag, requeue=True)
    eq(counts, [0, 1], 'x-delivery-count on each delivery')
    m, p, b = get_one(conn, ch, dlq, 'the poison message dead-lettered')
    eq(p.headers['x-death'][0]['reason'], 'delivery_limit', 'reason delivery_limit')

    if os.environ.get('WARREN_INTEROP_BROKER') == 'warren':
        log('8. x-delayed-message and deduplication (Warren)')
        dx, dq = C.name('delayed'), C.name('delayed_q')
        C.delete_queues_later(dq)
        C.delete_exchanges_later(dx)
        ch.exchange_declare(exchange=dx, exchange_type='x-delayed-message', arguments={'x-delayed-type': 'direct'})
        ch.queue_declare(queue=dq)
        ch.queue_bind(exchange=dx, queue=dq, routing_key='later')
        sent = time.monotonic()
        ch.basic_publish(dx, 'later', b'delayed', pika.BasicProperties(headers={'x-delay': 300}))
        m, p, b = get_one(conn, ch, dq, 'the delayed message')
        check(time.monotonic() - sent >= 0.28, 'delivered after %.3fs, expected >= 0.3s' % (time.monotonic() - sent))
        # a long, as the plugin writes it (pika reads 'l' as unsigned: pika issue #1531, same with RabbitMQ)
        eq(dict((k, (t, v)) for k, t, v in last_raw())['x-delay'], ('l', -300), 'x-delay negated on delivery')
        dd = C.name('dedup')
        C.delete_queues_later(dd)
        ch.queue_declare(queue=dd, arguments={'x-message-deduplication': True})
        cch.queue_declare(queue=dd, passive=True)
        for body, mid in [(b'1', 'a'), (b'2', 'a'), (b'3', 'b')]:
            cch.basic_publish('', dd, body, pika.BasicProperties(message_id=mid))  # confirmed, duplicates too
        C.wait_count(conn, dd, 2, what='deduplicated queue')
    conn.close()


if __name__ == '__main__':
    C.main(scenario)
