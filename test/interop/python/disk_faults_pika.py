# pika against a disk that fails (test/storage/disk-faults.test.ts arms the fault between "ready" and the
# publish): the connection is blocked "low on disk" and the persistent message the broker could not write is
# nacked (pika's basic_publish raises NackError), as RabbitMQ nacks what a failed queue held; once the disk
# is healed the connection is unblocked and the next publish is confirmed.
import sys
import pika

port = int(sys.argv[1])
conn = pika.BlockingConnection(
    pika.ConnectionParameters('127.0.0.1', port, credentials=pika.PlainCredentials('guest', 'guest'), heartbeat=0)
)
unblocked = []
conn.add_on_connection_blocked_callback(lambda c, m: print('blocked: ' + m.method.reason, flush=True))


def on_unblocked(c, m):
    unblocked.append(True)
    print('unblocked', flush=True)


conn.add_on_connection_unblocked_callback(on_unblocked)
ch = conn.channel()
ch.confirm_delivery()
ch.queue_declare('df.pika', durable=True)
print('ready', flush=True)
sys.stdin.readline()  # the fault is armed
try:
    ch.basic_publish('', 'df.pika', b'p1', pika.BasicProperties(delivery_mode=2))
    print('confirmed p1', flush=True)
except pika.exceptions.NackError:
    print('nacked p1', flush=True)
while not unblocked:  # the disk is healed
    conn.process_data_events(time_limit=0.1)
ch.basic_publish('', 'df.pika', b'p2', pika.BasicProperties(delivery_mode=2))
print('confirmed p2', flush=True)
conn.close()
