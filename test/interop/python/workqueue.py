# Interop scenario (pika): the work queue / "Task Queue" tutorial.
# Seeds: 004_* (RabbitMQ ports + pika tutorials: "Tutorial: Task Queue") and 003_* (FastAPI guide: worker.py,
# consumer.py with basic_qos(prefetch_count=1) and manual basic_ack).
#
# What a user observes:
#   1. queue_declare(durable=True) is idempotent; re-declaring it with other parameters is refused (406).
#   2. A message published to the default exchange is counted in the queue and delivered to an auto-ack consumer.
#   3. Without QoS, two workers get the messages round-robin.
#   4. With basic_qos(prefetch_count=1), a busy worker (one unacked message) gets nothing more; the other worker
#      gets all the rest. Persistent messages (delivery_mode 2) arrive as persistent.
#   5. A worker that closes its connection with an unacked message: the message goes to the other worker, with
#      redelivered=True.
#   6. A worker process that crashes (SIGKILL, its socket is torn down by the kernel) holding 3 unacked messages:
#      the 3 messages are redelivered, redelivered=True, in their original order.
#
# usage: /usr/bin/python3 workqueue.py AMQP_URL NAME_PREFIX
#        (internally also: ... --child-worker QUEUE, the worker process that gets killed)
import os
import select
import signal
import subprocess
import sys
import time

import pika

import interop_common as C
from interop_common import check, eq, log

PERSISTENT = 2  # pika.spec.PERSISTENT_DELIVERY_MODE


def child_worker(queue):
    """Worker process for step 6: takes up to 3 messages, prints them, never acks; the parent kills it."""
    signal.alarm(20)
    conn = C.connect()
    ch = conn.channel()
    ch.basic_qos(prefetch_count=3)

    def on_message(_ch, method, _props, body):
        print('GOT %s redelivered=%s' % (body.decode(), method.redelivered), flush=True)

    ch.basic_consume(queue=queue, on_message_callback=on_message)
    print('READY', flush=True)
    ch.start_consuming()


class LineReader:
    """Reads lines from a child's stdout pipe with a deadline (raw fd + select: no hidden buffering)."""

    def __init__(self, proc):
        self.proc = proc
        self.fd = proc.stdout.fileno()
        self.buf = b''

    def read(self, n, timeout, what):
        lines = []
        deadline = time.monotonic() + timeout
        while len(lines) < n:
            if b'\n' in self.buf:
                line, self.buf = self.buf.split(b'\n', 1)
                lines.append(line.decode().strip())
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                C.fail('timed out waiting for %s (got %r)' % (what, lines))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    C.fail('worker process exited (code %r) before %s (got %r)' % (self.proc.poll(), what, lines))
                self.buf += chunk
        return lines


def scenario():
    q = C.name('tasks')
    C.delete_queues_later(q)
    producer = C.connect()
    pch = producer.channel()

    log('1. durable queue declare is idempotent; redefinition is refused')
    ok = pch.queue_declare(queue=q, durable=True)
    eq(ok.method.queue, q, 'declare-ok queue name')
    eq(ok.method.message_count, 0, 'message count of a new queue')
    eq(ok.method.consumer_count, 0, 'consumer count of a new queue')
    pch.queue_declare(queue=q, durable=True)
    C.expect_channel_error(
        406, lambda: producer.channel().queue_declare(queue=q, durable=False), 're-declaring a durable queue as transient'
    )

    log('2. publish to the default exchange; the queue counts it; an auto-ack consumer receives it')
    pch.basic_publish(exchange='', routing_key=q, body='Hello world!')
    C.wait_count(producer, q, 1, what='messages in the queue')
    consumer = C.connect()
    cch = consumer.channel()
    got = []
    tag = cch.basic_consume(queue=q, auto_ack=True, on_message_callback=lambda _c, m, p, b: got.append((m, p, b)))
    C.pump(consumer, lambda: got, 5, 'the Hello world! message')
    m, _p, b = got[0]
    eq(b, b'Hello world!', 'body')
    eq(m.routing_key, q, 'routing key of the delivery')
    eq(m.exchange, '', 'exchange of the delivery')
    eq(m.redelivered, False, 'redelivered flag of a first delivery')
    eq(m.consumer_tag, tag, 'consumer tag of the delivery')
    cch.basic_cancel(tag)
    consumer.close()
    C.wait_count(producer, q, 0, what='messages left after auto-ack')

    log('3. two workers without QoS get the messages round-robin')
    a_conn, b_conn = C.connect(), C.connect()
    a_ch, b_ch = a_conn.channel(), b_conn.channel()
    a_got, b_got = [], []

    def acking(into):
        def cb(ch, method, props, body):
            into.append((method, props, body))
            ch.basic_ack(delivery_tag=method.delivery_tag)

        return cb

    a_tag = a_ch.basic_consume(queue=q, on_message_callback=acking(a_got))
    b_tag = b_ch.basic_consume(queue=q, on_message_callback=acking(b_got))
    eq(pch.queue_declare(queue=q, durable=True, passive=True).method.consumer_count, 2, 'consumer count')
    for i in range(6):
        pch.basic_publish(exchange='', routing_key=q, body='rr-%d' % i)
    C.pump([a_conn, b_conn], lambda: len(a_got) + len(b_got) == 6, 5, '6 round-robin messages')
    a_idx = [int(x[2].decode().split('-')[1]) for x in a_got]
    b_idx = [int(x[2].decode().split('-')[1]) for x in b_got]
    eq(sorted(a_idx + b_idx), list(range(6)), 'all messages delivered exactly once')
    eq((len(a_idx), len(b_idx)), (3, 3), 'messages per worker (round-robin)')
    check(
        len({i % 2 for i in a_idx}) == 1 and len({i % 2 for i in b_idx}) == 1,
        'round-robin should alternate between the workers, got A=%r B=%r' % (a_idx, b_idx),
    )
    a_ch.basic_cancel(a_tag)
    b_ch.basic_cancel(b_tag)

    log('4. fair dispatch: prefetch_count=1, a busy worker gets no second message; persistent messages')
    a_ch.basic_qos(prefetch_count=1)
    b_ch.basic_qos(prefetch_count=1)
    a_held, b_got = [], []
    a_ch.basic_consume(queue=q, on_message_callback=lambda _c, m, p, b: a_held.append((m, p, b)))
    b_tag = b_ch.basic_consume(queue=q, on_message_callback=acking(b_got))
    for i in range(6):
        pch.basic_publish(
            exchange='',
            routing_key=q,
            body='task-%d' % i,
            properties=pika.BasicProperties(delivery_mode=PERSISTENT),
        )
    C.pump([a_conn, b_conn], lambda: len(a_held) + len(b_got) == 6, 5, '6 tasks to be dispatched')
    C.idle([a_conn, b_conn], 0.3)
    eq(len(a_held), 1, 'messages given to the busy worker (prefetch_count=1, nothing acked)')
    eq(len(b_got), 5, 'messages given to the free worker')
    for m, p, b in a_held + b_got:
        eq(p.delivery_mode, PERSISTENT, 'delivery_mode of %r' % b)
        eq(m.redelivered, False, 'redelivered flag of %r' % b)
    held_body = a_held[0][2]

    log('5. the busy worker closes its connection: its unacked message goes to the other worker, redelivered')
    a_conn.close()
    C.pump(b_conn, lambda: len(b_got) == 6, 5, "the closed worker's unacked message to be redelivered")
    m, _p, b = b_got[5]
    eq(b, held_body, 'body of the redelivered message')
    eq(m.redelivered, True, 'redelivered flag after the first worker left')
    C.idle(b_conn, 0.2)
    eq(len(b_got), 6, 'messages received by the remaining worker')
    C.wait_count(producer, q, 0, what='messages left')

    log('6. a worker process is killed (SIGKILL) with 3 unacked messages: all 3 are redelivered')
    b_ch.basic_cancel(b_tag)
    for i in range(3):
        pch.basic_publish(
            exchange='', routing_key=q, body='crash-%d' % i, properties=pika.BasicProperties(delivery_mode=PERSISTENT)
        )
    child = subprocess.Popen(
        [sys.executable, __file__, C.URL, C.PREFIX, '--child-worker', q], stdout=subprocess.PIPE
    )
    try:
        reader = LineReader(child)
        eq(reader.read(1, 10, 'the worker process to start'), ['READY'], 'worker process start line')
        lines = reader.read(3, 10, '3 messages in the worker process')
        eq(lines, ['GOT crash-%d redelivered=False' % i for i in range(3)], 'what the worker process received')
    finally:
        child.kill()
        child.wait(5)
        child.stdout.close()
    b_got = []
    b_ch.basic_qos(prefetch_count=10)
    b_ch.basic_consume(queue=q, on_message_callback=acking(b_got))
    C.pump(b_conn, lambda: len(b_got) == 3, 10, "the killed worker's 3 unacked messages to be redelivered")
    eq([x[2].decode() for x in b_got], ['crash-0', 'crash-1', 'crash-2'], 'redelivered bodies, in original order')
    eq([x[0].redelivered for x in b_got], [True, True, True], 'redelivered flags')
    C.idle(b_conn, 0.2)
    eq(len(b_got), 3, 'no duplicate deliveries')
    b_conn.close()
    C.wait_count(producer, q, 0, what='messages left at the end')
    producer.close()


if __name__ == '__main__':
    if len(sys.argv) >= 5 and sys.argv[3] == '--child-worker':
        C.URL, C.PREFIX = sys.argv[1], sys.argv[2]
        child_worker(sys.argv[4])
    else:
        C.main(scenario)
