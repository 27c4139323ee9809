# Interop scenario (pika): the message flows of the FastAPI + RabbitMQ guide.
# Seed: 003_* ("RabbitMQ: A Complete Guide to Message Queuing with FastAPI").
#
# What a user observes (default run):
#   1. Per-service work queues (email_queue, inventory_queue, analytics_queue): the API publishes one JSON task per
#      queue through the default exchange; each service's worker receives exactly its own task.
#   2. Notifications: a fanout exchange with 4 subscribers (exclusive server-named queues); the API publishes from a
#      short-lived connection per request (connect, publish, close at once): every subscriber gets every notification.
#   3. The "connection pool" client: ConnectionParameters(heartbeat=600, blocked_connection_timeout=300) connects,
#      re-declares the durable 'messages' queue per request and publishes persistent messages; consumer_messages.py
#      receives them in order.
#   4. The image worker: basic_nack(requeue=False) on a failed task drops it (never redelivered, queue empty);
#      basic_nack(requeue=True) puts a task back and it comes again with redelivered=True.
# With --dlx (a separate check, skippable: dead-lettering is a later Warren feature):
#   5. "Best practices: dead letter exchanges": queue_declare(arguments={'x-dead-letter-exchange': dlx,
#      'x-message-ttl': ...}); a nacked (requeue=False) task lands in the dead-letter queue with an x-death header
#      (reason 'rejected'); a task left to expire lands there with reason 'expired'.
#
# usage: /usr/bin/python3 fastapi_flows.py AMQP_URL NAME_PREFIX [--dlx]
import json
from urllib.parse import unquote, urlparse

import pika

import interop_common as C
from interop_common import check, eq, log


def per_service_queues():
    log('1. per-service work queues: each worker gets its own task')
    queues = {svc: C.name(svc + '_queue') for svc in ('email', 'inventory', 'analytics')}
    C.delete_queues_later(*queues.values())
    api = C.connect()
    ch = api.channel()
    tasks = [
        {'queue': queues['email'], 'data': {'order_id': 17, 'type': 'confirmation'}},
        {'queue': queues['inventory'], 'data': {'order_id': 17, 'items': [{'product_id': 'p1', 'quantity': 2}]}},
        {'queue': queues['analytics'], 'data': {'order_id': 17, 'amount': 99.5}},
    ]
    for task in tasks:
        ch.queue_declare(queue=task['queue'], durable=True)
        ch.basic_publish(exchange='', routing_key=task['queue'], body=json.dumps(task['data']))
    api.close()

    for task in tasks:
        worker = C.connect()
        wch = worker.channel()
        wch.queue_declare(queue=task['queue'], durable=True)
        got = []

        def callback(ch, method, _props, body, got=got):
            got.append(json.loads(body.decode()))
            ch.basic_ack(delivery_tag=method.delivery_tag)

        wch.basic_consume(queue=task['queue'], on_message_callback=callback)
        C.pump(worker, lambda: got, 5, 'the task on %s' % task['queue'])
        C.idle(worker, 0.1)
        eq(got, [task['data']], 'tasks received by the %s worker' % task['queue'])
        worker.close()


def notifications():
    log('2. fanout notifications to 4 subscribers, published from short-lived connections')
    exchange = C.name('notifications')
    C.delete_exchanges_later(exchange)
    subs = []
    for _ in range(4):
        conn = C.connect()
        ch = conn.channel()
        ch.exchange_declare(exchange=exchange, exchange_type='fanout')
        qn = ch.queue_declare(queue='', exclusive=True).method.queue
        ch.queue_bind(exchange=exchange, queue=qn)
        got = []
        ch.basic_consume(
            queue=qn, auto_ack=True, on_message_callback=lambda _c, _m, _p, b, got=got: got.append(json.loads(b))
        )
        subs.append((conn, got))
    sent = []
    for i in range(3):
        notification = {'user_id': 'user_%d' % i, 'message': 'Hello, World! #%d' % i, 'type': 'info'}
        conn = C.connect()  # the guide's publish_notification(): one connection per request
        ch = conn.channel()
        ch.exchange_declare(exchange=exchange, exchange_type='fanout')
        ch.basic_publish(exchange=exchange, routing_key='', body=json.dumps(notification))
        conn.close()
        sent.append(notification)
    conns = [c for c, _ in subs]
    C.pump(conns, lambda: all(len(g) >= 3 for _, g in subs), 5, 'every subscriber to get 3 notifications')
    C.idle(conns, 0.2)
    for n, (conn, got) in enumerate(subs):
        eq(got, sent, 'notifications received by subscriber %d' % n)
        conn.close()


def pooled_connection():
    log('3. pooled client with heartbeat=600, blocked_connection_timeout=300')
    queue = C.name('messages')
    C.delete_queues_later(queue)
    u = urlparse(C.URL)
    vhost = unquote(u.path[1:]) if len(u.path) > 1 else '/'
    credentials = pika.PlainCredentials(unquote(u.username or 'guest'), unquote(u.password or 'guest'))
    parameters = pika.ConnectionParameters(
        host=u.hostname,
        port=u.port or 5672,
        virtual_host=vhost,
        credentials=credentials,
        heartbeat=600,
        blocked_connection_timeout=300,
        connection_attempts=1,
        socket_timeout=5,
    )
    connection = pika.BlockingConnection(parameters)
    channel = connection.channel()
    bodies = ['Hello from pooled connection %d' % i for i in range(3)]
    for body in bodies:  # one "request" each
        channel.queue_declare(queue=queue, durable=True)
        channel.basic_publish(
            exchange='', routing_key=queue, body=body, properties=pika.BasicProperties(delivery_mode=2)
        )
    check(connection.is_open, 'the pooled connection should still be open after 3 requests')

    consumer = C.connect()
    cch = consumer.channel()
    cch.queue_declare(queue=queue, durable=True)
    got = []

    def callback(ch, method, props, body):
        got.append((body.decode(), props.delivery_mode))
        ch.basic_ack(delivery_tag=method.delivery_tag)

    cch.basic_consume(queue=queue, on_message_callback=callback)
    C.pump(consumer, lambda: len(got) >= 3, 5, '3 messages from the pooled connection')
    eq(got, [(b, 2) for b in bodies], 'messages (body, delivery_mode) received')
    consumer.close()
    if connection and not connection.is_closed:
        connection.close()
    check(connection.is_closed, 'the pooled connection should be closed after close()')


def image_worker_nack():
    log('4. image worker: nack(requeue=False) drops a failed task; nack(requeue=True) retries it')
    queue = C.name('image_processing')
    C.delete_queues_later(queue)
    api = C.connect()
    ch = api.channel()
    ch.queue_declare(queue=queue, durable=True)
    tasks = [{'task_id': 't1'}, {'task_id': 't2', 'bad': True}, {'task_id': 't3', 'retry': True}, {'task_id': 't4'}]
    for t in tasks:
        ch.basic_publish(
            exchange='', routing_key=queue, body=json.dumps(t), properties=pika.BasicProperties(delivery_mode=2)
        )

    worker = C.connect()
    wch = worker.channel()
    wch.queue_declare(queue=queue, durable=True)
    seen = []

    def callback(ch, method, _props, body):
        task = json.loads(body.decode())
        seen.append((task['task_id'], method.redelivered))
        if task.get('bad'):
            ch.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        elif task.get('retry') and not method.redelivered:
            ch.basic_nack(delivery_tag=method.delivery_tag, requeue=True)
        else:
            ch.basic_ack(delivery_tag=method.delivery_tag)

    wch.basic_consume(queue=queue, on_message_callback=callback)
    C.pump(worker, lambda: len(seen) >= 5, 5, 'the worker to process 4 tasks plus 1 retry')
    C.idle(worker, 0.3)
    eq(sorted(seen), [('t1', False), ('t2', False), ('t3', False), ('t3', True), ('t4', False)], 'deliveries seen')
    wch.close()
    C.wait_count(api, queue, 0, what='tasks left in the queue after ack/nack')
    getter = api.channel()
    eq(getter.basic_get(queue=queue, auto_ack=True), (None, None, None), 'basic_get on the drained queue')
    worker.close()
    api.close()


def dead_lettering():
    log('5. (--dlx) dead-letter exchange: rejected and expired tasks land in the dead-letter queue')
    dlx, dlq = C.name('dlx'), C.name('dead_letters')
    task_q, ttl_q = C.name('task_queue'), C.name('short_ttl_queue')
    C.delete_queues_later(dlq, task_q, ttl_q)
    C.delete_exchanges_later(dlx)
    conn = C.connect()
    ch = conn.channel()
    ch.exchange_declare(exchange=dlx, exchange_type='fanout', durable=True)
    ch.queue_declare(queue=dlq, durable=True)
    ch.queue_bind(exchange=dlx, queue=dlq)
    ch.queue_declare(queue=task_q, durable=True, arguments={'x-dead-letter-exchange': dlx, 'x-message-ttl': 60000})
    ch.queue_declare(queue=ttl_q, durable=True, arguments={'x-dead-letter-exchange': dlx, 'x-message-ttl': 200})

    props = pika.BasicProperties(delivery_mode=2, message_id='m-rejected', content_type='application/json')
    ch.basic_publish(exchange='', routing_key=task_q, body='{"task_id": "bad"}', properties=props)
    worker = C.connect()
    wch = worker.channel()
    nacked = []

    def callback(ch, method, _props, body):
        nacked.append(body)
        ch.basic_nack(delivery_tag=method.delivery_tag, requeue=False)

    wch.basic_consume(queue=task_q, on_message_callback=callback)
    C.pump(worker, lambda: nacked, 5, 'the task to be nacked')
    worker.close()

    def get_dead(what):
        got = []

        def poll():
            m, p, b = ch.basic_get(queue=dlq, auto_ack=True)
            if m is not None:
                got.append((m, p, b))
            return got

        C.pump(conn, poll, 5, what)
        return got[0]

    m, p, b = get_dead('the rejected task in the dead-letter queue')
    eq(b, b'{"task_id": "bad"}', 'dead-lettered body')
    eq(p.message_id, 'm-rejected', 'message_id kept by dead-lettering')
    eq(m.routing_key, task_q, 'routing key of the dead-lettered message (the original one)')
    deaths = (p.headers or {}).get('x-death')
    check(isinstance(deaths, list) and deaths, 'dead-lettered message should carry an x-death header, got %r' % p.headers)
    eq(deaths[0].get('reason'), 'rejected', 'x-death reason')
    eq(deaths[0].get('queue'), task_q, 'x-death queue')
    eq(deaths[0].get('count'), 1, 'x-death count')

    ch.basic_publish(exchange='', routing_key=ttl_q, body='too-slow', properties=pika.BasicProperties(message_id='m-ttl'))
    m, p, b = get_dead('the expired message in the dead-letter queue')
    eq(b, b'too-slow', 'expired body')
    deaths = (p.headers or {}).get('x-death')
    check(isinstance(deaths, list) and deaths, 'expired message should carry an x-death header, got %r' % p.headers)
    eq(deaths[0].get('reason'), 'expired', 'x-death reason')
    eq(deaths[0].get('queue'), ttl_q, 'x-death queue')
    C.wait_count(conn, ttl_q, 0, what='messages left in the TTL queue')
    conn.close()


def scenario():
    if '--dlx' in C.ARGS:
        dead_lettering()
        return
    per_service_queues()
    notifications()
    pooled_connection()
    image_worker_nack()


if __name__ == '__main__':
    C.main(scenario)
