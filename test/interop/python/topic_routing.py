# Interop scenario (pika): Evolution API's per-instance event queues on a topic exchange.
# Seed: 000_* (Evolution API "RabbitMQ" page: a consumer declares durable queues named <instance>.<event>, binds each
# to the events exchange with its binding key, consumes them all on one channel and acks every message). The seed's
# consumer is amqplib (JS); this is the same client behaviour from pika. The binding list is the seed's, duplicates
# included (messages.upsert and messages.update are listed twice; <instance>.connection.update is bound with both
# 'state.instance' and 'connection.update'), plus three wildcard queues to exercise topic matching.
#
# What a user observes:
#   1. Declaring the same durable queue and binding it with the same key twice is harmless: one queue, one binding,
#      each event delivered to it once.
#   2. Each queue receives exactly the events whose routing key matches one of its binding keys, in publish order;
#      a queue bound with two keys receives both events; 'qrcode.update' does not match 'qrcode.updated'.
#   3. Topic wildcards: 'messages.*' matches one word, '#.update' matches any prefix, '#' matches everything;
#      events no seed queue is bound to ('presence.update', 'new.jwt', ...) reach only the wildcard queues.
#   4. Many consumers on one channel, manual ack: nothing is left in any queue afterwards.
#
# usage: /usr/bin/python3 topic_routing.py AMQP_URL NAME_PREFIX
import json

import interop_common as C
from interop_common import eq, log

SEED_BINDINGS = [
    ('state.instance', 'state.instance'),
    ('connection.update', 'state.instance'),
    ('qrcode.update', 'qrcode.update'),
    ('chats.upsert', 'chats.upsert'),
    ('contacts.upsert', 'contacts.upsert'),
    ('contacts.update', 'contacts.update'),
    ('chats.set', 'chats.set'),
    ('messages.set', 'messages.set'),
    ('messages.upsert', 'messages.upsert'),
    ('messages.update', 'messages.update'),
    ('groups.upsert', 'groups.upsert'),
    ('qrcode.updated', 'qrcode.updated'),
    ('connection.update', 'connection.update'),
    ('messages.upsert', 'messages.upsert'),
    ('send.message', 'send.message'),
    ('messages.update', 'messages.update'),
    ('messages.delete', 'messages.delete'),
]
WILDCARD_BINDINGS = [('all-messages', 'messages.*'), ('all-updates', '#.update'), ('everything', '#')]
EVENTS = [
    'application.startup',
    'qrcode.updated',
    'connection.update',
    'state.instance',
    'messages.set',
    'messages.upsert',
    'messages.update',
    'messages.delete',
    'send.message',
    'contacts.upsert',
    'presence.update',
    'group-participants.update',
    'chats.upsert',
    'new.jwt',
]


def topic_match(pattern, key):
    p, k = pattern.split('.'), key.split('.')

    def m(i, j):
        if i == len(p):
            return j == len(k)
        if p[i] == '#':
            return any(m(i + 1, jj) for jj in range(j, len(k) + 1))
        return j < len(k) and (p[i] == '*' or p[i] == k[j]) and m(i + 1, j + 1)

    return m(0, 0)


def scenario():
    instance = C.name('instanceName')
    exchange = C.name('evolution_exchange')
    C.delete_exchanges_later(exchange)
    conn = C.connect()
    ch = conn.channel()
    ch.exchange_declare(exchange=exchange, exchange_type='topic', durable=True)

    log('1. declare and bind the seed list (duplicates included) on one channel')
    bindings = {}
    for suffix, key in SEED_BINDINGS + WILDCARD_BINDINGS:
        q = '%s.%s' % (instance, suffix)
        ch.queue_declare(queue=q, durable=True)
        ch.queue_bind(queue=q, exchange=exchange, routing_key=key)
        bindings.setdefault(q, set()).add(key)
    C.delete_queues_later(*bindings)

    got = {q: [] for q in bindings}
    for q in bindings:

        def on_message(ch, method, _props, body, q=q):
            event = json.loads(body.decode())
            got[q].append(event['event'])
            ch.basic_ack(delivery_tag=method.delivery_tag)

        ch.basic_consume(queue=q, on_message_callback=on_message)

    log('2. publish one message per event; each queue gets exactly the matching events')
    pub = C.connect()
    pch = pub.channel()
    for event in EVENTS:
        body = json.dumps({'event': event, 'instance': instance, 'data': {'n': EVENTS.index(event)}})
        pch.basic_publish(exchange=exchange, routing_key=event, body=body)
    want = {q: [e for e in EVENTS if any(topic_match(k, e) for k in keys)] for q, keys in bindings.items()}
    total = sum(len(v) for v in want.values())
    C.pump([conn, pub], lambda: sum(len(v) for v in got.values()) >= total, 5, '%d deliveries' % total)
    C.idle([conn, pub], 0.3)
    for q in sorted(bindings):
        eq(got[q], want[q], 'events received on %s (binding keys %s)' % (q, sorted(bindings[q])))
    # spot checks, so that the expectation above is not just the helper agreeing with itself
    eq(got['%s.connection.update' % instance], ['connection.update', 'state.instance'], 'queue bound with 2 keys')
    eq(got['%s.messages.upsert' % instance], ['messages.upsert'], 'queue declared and bound twice')
    eq(got['%s.qrcode.update' % instance], [], "'qrcode.update' binding vs 'qrcode.updated' event")
    eq(
        got['%s.all-updates' % instance],
        ['connection.update', 'messages.update', 'presence.update', 'group-participants.update'],
        "'#.update' binding",
    )
    eq(got['%s.everything' % instance], EVENTS, "'#' binding")

    log('3. every queue is empty after the acks')
    for q in sorted(bindings):
        C.wait_count(pub, q, 0, what='messages left on ' + q)
    pub.close()
    conn.close()


if __name__ == '__main__':
    C.main(scenario)
