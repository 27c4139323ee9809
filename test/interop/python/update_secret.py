# pika's connection.update_secret (pika >= 1.3; Debian bookworm's python3-pika 1.2 has no such method and
# cannot decode update-secret-ok, so the suite skips this script there):
# the secret gets update-secret-ok and the connection goes on; so does any other secret, as RabbitMQ's internal
# backend does not check it (rabbit_auth_backend_internal:update_state/2). The refusal (530 "NOT_ALLOWED - New
# secret was refused by one of the backends") is covered by test/clients/amqplib/update-secret.test.ts.
#   update_secret.py AMQP_URL GOOD_SECRET
import sys

import pika

url, good = sys.argv[1], sys.argv[2]
conn = pika.BlockingConnection(pika.URLParameters(url))
conn.update_secret(good, 'token refresh')
ch = conn.channel()
q = ch.queue_declare('', exclusive=True).method.queue
ch.basic_publish('', q, b'after refresh')
method, _, body = ch.basic_get(q, auto_ack=True)
assert body == b'after refresh', body
print('- update_secret with the good secret: ok, the connection goes on')
conn.update_secret('another', 'any token')
conn.process_data_events(time_limit=0.5)
ch.basic_publish('', q, b'after another')
method, _, body = ch.basic_get(q, auto_ack=True)
assert body == b'after another', body
print('- update_secret with another secret: ok, as RabbitMQ internal backend')
conn.close()
print('OK')
