# kombu (the messaging library under Celery, Debian's python3-kombu on py-amqp) against the broker:
# the product it sees and what kombu concludes about QoS semantics, a durable task queue with persistent
# messages, a topic exchange with routing, prefetch, ack / reject / requeue, and a SimpleQueue round trip.
#
# kombu's pyamqp transport: qos_semantics_matches_spec() is True for any product but "RabbitMQ" (and for
# RabbitMQ before 3.3); Celery then treats basic.qos as per channel ("spec") rather than per consumer.
# Warren's default (--advertise-rabbitmq) says product "RabbitMQ" with RabbitMQ's QoS semantics; run with
# --spec against Warren's --no-advertise-rabbitmq to expect product "Warren" with the spec's semantics. Both
# modes check Celery's prefetch raise (issue 17: ETA tasks stalled): a consumer at prefetch 1 holding one
# unacked message gets the next one as soon as basic.qos raises the limit with the `global` flag kombu
# chooses from the product name (Celery's worker: global = not qos_semantics_matches_spec).
import os
import socket

import interop_common as C
from kombu import Connection, Consumer, Exchange, Producer, Queue


def scenario():
    spec = '--spec' in C.ARGS
    with Connection(C.URL, connect_timeout=5) as conn:
        conn.connect()
        props = conn.connection.server_properties
        product = props.get('product')
        C.log('product %r version %r' % (product, props.get('version')))
        if spec:
            C.eq(product, 'Warren', 'product')
            C.eq(conn.qos_semantics_matches_spec, True, 'kombu QoS semantics for a non-RabbitMQ product')
        else:
            C.eq(product, 'RabbitMQ', 'product')
            C.eq(conn.qos_semantics_matches_spec, False, 'kombu QoS semantics for RabbitMQ >= 3.3')
        if os.environ.get('WARREN_EXPECT_PREFETCH_SIZE') == '1':  # set when the broker is Warren
            C.check('warren_version' in props, 'warren_version in server properties')
        prefetch_raise(conn)
        caps = props.get('capabilities', {})
        for cap in ('publisher_confirms', 'consumer_cancel_notify', 'basic.nack', 'connection.blocked'):
            C.check(caps.get(cap) is True, 'capability %s advertised' % cap)

        tasks_x = Exchange(C.name('tasks'), type='topic', durable=True)
        q_email = Queue(C.name('email'), exchange=tasks_x, routing_key='task.email.#', durable=True)
        q_all = Queue(C.name('all'), exchange=tasks_x, routing_key='task.#', durable=True)
        ch = conn.channel()
        for q in (q_email, q_all):
            q(ch).declare()
        C.on_cleanup(lambda pch: [pch.queue_delete(queue=q.name) for q in (q_email, q_all)]
                     + [pch.exchange_delete(exchange=tasks_x.name)])

        producer = Producer(ch, exchange=tasks_x, serializer='json')
        for i in range(6):
            key = 'task.email.send' if i % 2 == 0 else 'task.sms.send'
            producer.publish({'n': i}, routing_key=key, delivery_mode=2, headers={'attempt': 1},
                             declare=[q_email, q_all], retry=False)

        # prefetch 2 on the email queue: ack, reject (dropped), requeue (comes back redelivered)
        got = []
        cch = conn.channel()
        consumer = Consumer(cch, queues=[q_email], accept=['json'], prefetch_count=2)

        def on_message(body, message):
            got.append((body['n'], message.delivery_info.get('redelivered'), message.properties.get('delivery_mode'),
                        message.headers.get('attempt')))
            if body['n'] == 2 and not message.delivery_info.get('redelivered'):
                message.requeue()
            elif body['n'] == 4:
                message.reject()
            else:
                message.ack()

        consumer.register_callback(on_message)
        with consumer:
            deadline = 5
            while len(got) < 4 and deadline > 0:
                try:
                    conn.drain_events(timeout=1)
                except socket.timeout:
                    deadline -= 1
        nums = sorted(g[0] for g in got)
        C.eq(nums, [0, 2, 2, 4], 'email messages seen (2 twice: requeued)')
        C.check(any(g[0] == 2 and g[1] for g in got), 'the requeued message came back redelivered')
        C.check(all(g[2] == 2 and g[3] == 1 for g in got), 'delivery_mode 2 and headers kept: %r' % got)

        # the catch-all queue got all six, in order
        seen = []
        for _ in range(6):
            m = q_all(ch).get(no_ack=True)
            C.check(m is not None, 'message %d in the catch-all queue' % len(seen))
            seen.append(m.payload['n'])
        C.eq(seen, list(range(6)), 'catch-all queue order')
        C.eq(q_email(ch).queue_declare(passive=True).message_count, 0, 'email queue drained')

        sq = conn.SimpleQueue(C.name('simple'))
        C.on_cleanup(lambda pch: pch.queue_delete(queue=C.name('simple')))
        sq.put({'hello': 'world'})
        msg = sq.get(block=True, timeout=5)
        C.eq(msg.payload, {'hello': 'world'}, 'SimpleQueue round trip')
        msg.ack()
        sq.close()


def prefetch_raise(conn):
    # as Celery's worker: basic.qos(prefetch 1, global = not spec semantics) before consuming; an ETA task is
    # held unacked and the prefetch raised, and the next task must arrive without the first being acked
    qos_global = not conn.qos_semantics_matches_spec
    q = Queue(C.name('eta'), durable=False, auto_delete=False)
    ch = conn.channel()
    q(ch).declare()
    C.on_cleanup(lambda pch: pch.queue_delete(queue=q.name))
    producer = Producer(ch, serializer='json')
    for i in range(3):
        producer.publish({'n': i}, routing_key=q.name, retry=False)
    cch = conn.channel()
    cch.basic_qos(0, 1, qos_global)
    got = []
    consumer = Consumer(cch, queues=[q], accept=['json'], callbacks=[lambda body, m: got.append((body['n'], m))])

    def drain(n):
        for _ in range(5):
            if len(got) >= n:
                return
            try:
                conn.drain_events(timeout=1)
            except socket.timeout:
                pass

    with consumer:
        drain(1)
        C.eq([g[0] for g in got], [0], 'prefetch 1: one task delivered')
        cch.basic_qos(0, 2, qos_global)  # the ETA task stays unacked; the raise lets the next one in
        drain(2)
        C.eq([g[0] for g in got], [0, 1], 'after the prefetch raise the running consumer gets the next task')
        for _, m in got:
            m.ack()
        drain(3)
        C.eq([g[0] for g in got], [0, 1, 2], 'all tasks')
        got[2][1].ack()
    C.log('prefetch raise with global=%s reaches the running consumer' % qos_global)


if __name__ == '__main__':
    C.main(scenario)
