# pika's connection.update_secret (pika >= 1.3; Debian bookworm's python3-pika 1.2 has no such method and
# cannot decode update-secret-ok, so the suite skips this script there):
# a good secret gets update-secret-ok and the connection goes on; a wrong one closes the connection with
# 530 "NOT_ALLOWED - New secret was refused by one of the backends".
#   update_secret.py AMQP_URL GOOD_SECRET
import sys

import pika
import pika.exceptions

url, good = sys.argv[1], sys.argv[2]
conn = pika.BlockingConnection(pika.URLParameters(url))
conn.update_secret(good, 'token refresh')
ch = conn.channel()
q = ch.queue_declare('', exclusive=True).method.queue
ch.basic_publish('', q, b'after refresh')
method, _, body = ch.basic_get(q, auto_ack=True)
assert body == b'after refresh', body
print('- update_secret with the good secret: ok, the connection goes on')
try:
    conn.update_secret('wrong', 'bad token')
    conn.process_data_events(time_limit=2)
    raise AssertionError('a wrong secret was accepted')
except pika.exceptions.ConnectionClosedByBroker as e:
    assert e.reply_code == 530, e
    assert e.reply_text == 'NOT_ALLOWED - New secret was refused by one of the backends', e.reply_text
    print('- wrong secret: ' + e.reply_text)
print('OK')
