# pika against a disk that fails (test/storage/disk-faults.test.ts arms the fault between "ready" and the
# publish): the connection is blocked "low on disk" and the confirm of a persistent message waits until the
# disk is healed; then it comes (basic_publish returns) and the connection is unblocked.
import sys
import pika

port = int(sys.argv[1])
conn = pika.BlockingConnection(
    pika.ConnectionParameters('127.0.0.1', port, credentials=pika.PlainCredentials('guest', 'guest'), heartbeat=0)
)
conn.add_on_connection_blocked_callback(lambda c, m: print('blocked: ' + m.method.reason, flush=True))
conn.add_on_connection_unblocked_callback(lambda c, m: print('unblocked', flush=True))
ch = conn.channel()
ch.confirm_delivery()
ch.queue_declare('df.pika', durable=True)
print('ready', flush=True)
sys.stdin.readline()  # the fault is armed
ch.basic_publish('', 'df.pika', b'p1', pika.BasicProperties(delivery_mode=2))  # blocks until confirmed
print('confirmed', flush=True)
for _ in range(30):
    conn.process_data_events(time_limit=0.1)
conn.close()
