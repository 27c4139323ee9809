# pika with OAuth 2 tokens as passwords (empty user name): a scoped token works, a bad one is refused with
# RabbitMQ's 403 login text, a token without the vhost gets 530 on connection.open, and an expiring token's
# connection is closed by the broker with 403 "credential expired".
#   oauth2_pika.py PORT GOOD_TOKEN BAD_TOKEN NO_VHOST_TOKEN EXPIRING_TOKEN
import sys
import time

import pika
import pika.exceptions

port = int(sys.argv[1])
good, bad, no_vhost, expiring = sys.argv[2:6]


def params(token):
    return pika.ConnectionParameters('127.0.0.1', port, '/', pika.PlainCredentials('', token))


conn = pika.BlockingConnection(params(good))
ch = conn.channel()
ch.queue_declare('oa.pika', auto_delete=True)
ch.basic_publish('', 'oa.pika', b'token works')
for _ in range(50):
    method, _props, body = ch.basic_get('oa.pika', auto_ack=True)
    if method:
        assert body == b'token works', body
        break
    time.sleep(0.05)
else:
    raise AssertionError('message not received')
conn.close()
print('- a scoped token works')

try:
    pika.BlockingConnection(params(bad))
    raise AssertionError('bad token accepted')
except pika.exceptions.ProbableAuthenticationError as e:
    text = str(e)
    assert 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.' in text, text
    print('- bad token refused: ' + text)

try:
    pika.BlockingConnection(params(no_vhost))
    raise AssertionError('vhost not refused')
except pika.exceptions.ProbableAccessDeniedError as e:
    text = str(e)
    assert '(530) "NOT_ALLOWED - access to vhost \'/\' refused for user \'alice\'"' in text, text
    print('- vhost refused: ' + text)

conn = pika.BlockingConnection(params(expiring))
try:
    deadline = time.time() + 20
    while time.time() < deadline:
        conn.process_data_events(time_limit=0.2)
    raise AssertionError('connection not closed at expiry')
except pika.exceptions.ConnectionClosedByBroker as e:
    assert e.reply_code == 403 and e.reply_text == 'ACCESS_REFUSED - credential expired', (e.reply_code, e.reply_text)
    print('- expired token closed the connection: %d %s' % (e.reply_code, e.reply_text))
