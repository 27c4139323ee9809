# pika logs in over AMQPS with its client certificate (ExternalCredentials: SASL EXTERNAL), declares,
# publishes and gets a message; then a certificate naming no user is refused with RabbitMQ's 403 text.
#   external_pika.py PORT CA_FILE CERT KEY UNKNOWN_CERT UNKNOWN_KEY
import ssl
import sys
import time

import pika
import pika.credentials
import pika.exceptions

port = int(sys.argv[1])
ca, cert, key, other_cert, other_key = sys.argv[2:7]


def params(c, k):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(c, k)
    return pika.ConnectionParameters(
        'localhost', port, '/', pika.credentials.ExternalCredentials(), ssl_options=pika.SSLOptions(ctx, 'localhost')
    )


conn = pika.BlockingConnection(params(cert, key))
ch = conn.channel()
ch.queue_declare('x509.pika', auto_delete=True)
ch.basic_publish('', 'x509.pika', b'by certificate')
for _ in range(50):
    method, _props, body = ch.basic_get('x509.pika', auto_ack=True)
    if method:
        assert body == b'by certificate', body
        break
    time.sleep(0.05)
else:
    raise AssertionError('message not received')
conn.close()
print('- EXTERNAL login works')

try:
    pika.BlockingConnection(params(other_cert, other_key))
    raise AssertionError('unknown certificate accepted')
except pika.exceptions.ProbableAuthenticationError as e:
    text = str(e)
    assert 'ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL. For details see the broker logfile.' in text, text
    print('- unknown certificate refused: ' + text)
