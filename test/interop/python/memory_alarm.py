# pika during a memory alarm, driven by test/interop/memory-alarm.test.ts over stdin/stdout: a consumer-only
# connection with blocked_connection_timeout=2 keeps consuming through a long alarm (it is never told it is
# blocked, as RabbitMQ tells only publishing connections); a publisher gets the connection.blocked callback
# with "low on memory" when it publishes, then unblocked once the alarm clears, and nothing is lost.
#   memory_alarm.py AMQP_URL QUEUE
import sys
import time

import pika

url, queue = sys.argv[1], sys.argv[2]


def say(line):
    print(line, flush=True)


def wait_for(line):
    got = sys.stdin.readline().strip()
    assert got == line, (got, line)


params = pika.URLParameters(url)
params.blocked_connection_timeout = 2
consumer = pika.BlockingConnection(params)
cch = consumer.channel()
cch.queue_declare(queue, auto_delete=False)
received = []
cch.basic_qos(prefetch_count=5)
cch.basic_consume(queue, lambda ch, m, p, body: (received.append(body), ch.basic_ack(m.delivery_tag)))

pparams = pika.URLParameters(url)
pparams.blocked_connection_timeout = 30
publisher = pika.BlockingConnection(pparams)
events = []
publisher.add_on_connection_blocked_callback(lambda c, m: events.append('blocked ' + m.method.reason))
publisher.add_on_connection_unblocked_callback(lambda c, m: events.append('unblocked'))
pch = publisher.channel()
for i in range(20):
    pch.basic_publish('', queue, b'before %d' % i)


def pump(seconds):
    end = time.time() + seconds
    while time.time() < end:
        consumer.process_data_events(time_limit=0.05)
        publisher.process_data_events(time_limit=0.05)


pump(0.5)
assert len(received) == 20, received
say('ready')
wait_for('alarm')
# the consumer-only connection stays open longer than its blocked_connection_timeout
pch.basic_publish('', queue, b'during')
pump(3)
assert events == ['blocked low on memory'], events
assert consumer.is_open
say('blocked')
wait_for('cleared')
end = time.time() + 5
while 'unblocked' not in events and time.time() < end:
    pump(0.1)
assert events == ['blocked low on memory', 'unblocked'], events
pch.basic_publish('', queue, b'after')
end = time.time() + 5
while len(received) < 22 and time.time() < end:
    pump(0.1)
assert received[20:] == [b'during', b'after'], received[20:]
say('done %d' % len(received))
publisher.close()
consumer.close()
