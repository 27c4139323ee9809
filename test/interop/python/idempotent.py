# Interop scenario (pika): the methods RabbitMQ treats as idempotent answer -ok when what they name is gone.
# aio-pika's and kombu's clean-ups unbind and delete after an auto-delete exchange or queue has already gone;
# RabbitMQ 3.10 answers unbind-ok / delete-ok there (measured: docs/rabbitmq-behaviour.md), so must Warren.
#
# What a user observes (all on one channel, which must stay open throughout):
#   1. queue_unbind of a missing queue, from a missing exchange, of a binding never made: unbind-ok.
#   2. exchange_unbind with a missing source, a missing destination, or no such binding: unbind-ok.
#   3. An auto-delete exchange goes with its last binding; unbinding again afterwards: unbind-ok.
#   4. queue_delete (if_unused, if_empty) and exchange_delete (if_unused) of missing ones: delete-ok, count 0.
#   5. A consumer cancelled by the broker (its queue deleted) can still be cancelled by the client.
#   6. Still errors: queue_purge of a missing queue (404), unbinding from the default exchange (403).
#
# usage: /usr/bin/python3 idempotent.py AMQP_URL NAME_PREFIX
import interop_common as C
from interop_common import check, eq, log


def main():
    conn = C.connect()
    ch = conn.channel()
    q, gone, x, x2 = C.name('q'), C.name('gone'), C.name('x'), C.name('x2')
    C.delete_queues_later(q)
    C.delete_exchanges_later(x2)
    ch.queue_declare(queue=q)
    ch.exchange_declare(exchange=x2, exchange_type='fanout')

    log('1. queue_unbind of what is not there')
    ch.queue_unbind(queue=gone, exchange='amq.direct', routing_key='k')
    ch.queue_unbind(queue=q, exchange=gone, routing_key='k')
    ch.queue_unbind(queue=gone, exchange=gone, routing_key='k')
    ch.queue_unbind(queue=q, exchange='amq.direct', routing_key='never-bound')
    ch.queue_bind(queue=q, exchange='amq.headers', arguments={'x-match': 'all', 'a': 1})
    ch.queue_unbind(queue=q, exchange='amq.headers', arguments={'x-match': 'all', 'a': 2})  # other arguments
    ch.basic_publish(exchange='amq.headers', routing_key='', body='h', properties=C.pika.BasicProperties(headers={'a': 1}))
    C.wait_count(conn, q, 1, what='the headers binding survived an unbind with other arguments')
    ch.queue_purge(queue=q)

    log('2. exchange_unbind of what is not there')
    ch.exchange_unbind(destination=gone, source='amq.fanout', routing_key='k')
    ch.exchange_unbind(destination=x2, source=gone, routing_key='k')
    ch.exchange_unbind(destination=gone, source=gone, routing_key='k')
    ch.exchange_unbind(destination=x2, source='amq.fanout', routing_key='k')

    log('3. unbind again after an auto-delete exchange went with its last binding')
    ch.exchange_declare(exchange=x, exchange_type='topic', auto_delete=True)
    ch.queue_bind(queue=q, exchange=x, routing_key='a.#')
    ch.queue_unbind(queue=q, exchange=x, routing_key='a.#')
    probe = conn.channel()
    C.expect_channel_error(404, lambda: probe.exchange_declare(exchange=x, passive=True), 'the auto-delete exchange')
    ch.queue_unbind(queue=q, exchange=x, routing_key='a.#')

    log('4. delete of missing queues and exchanges')
    eq(ch.queue_delete(queue=gone).method.message_count, 0, 'queue.delete-ok count of a missing queue')
    eq(ch.queue_delete(queue=gone, if_unused=True, if_empty=True).method.message_count, 0, 'if-unused/if-empty')
    ch.exchange_delete(exchange=gone)
    ch.exchange_delete(exchange=gone, if_unused=True)

    log('5. cancel a consumer the broker already cancelled')
    tmp = C.name('tmp')
    ch.queue_declare(queue=tmp)
    cancelled = []
    tag = ch.basic_consume(queue=tmp, on_message_callback=lambda *a: None)
    ch.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.consumer_tag))
    other = conn.channel()
    other.queue_delete(queue=tmp)
    C.pump(conn, lambda: cancelled, 5, 'basic.cancel from the broker')
    eq(cancelled, [tag], 'consumer tag cancelled by the broker')
    ch.basic_cancel(tag)

    log('6. still errors: purge of a missing queue, unbind from the default exchange')
    c2 = conn.channel()
    C.expect_channel_error(404, lambda: c2.queue_purge(queue=gone), 'queue.purge of a missing queue')
    c3 = conn.channel()
    C.expect_channel_error(403, lambda: c3.queue_unbind(queue=q, exchange='', routing_key=q), 'unbind from ""')

    check(ch.is_open, 'the channel that did all this is still open')
    ch.queue_declare(queue=q, passive=True)
    conn.close()


if __name__ == '__main__':
    C.main(main)
