# pika against a user whose permissions cover only "ok.*" on vhost "/": each refused operation closes its
# channel with 403 ACCESS_REFUSED and RabbitMQ's text; allowed ones work; the connection survives.
#   permissions.py AMQP_URL_OF_LIMITED_USER USER
import sys

import pika
import pika.exceptions

url, user = sys.argv[1], sys.argv[2]
conn = pika.BlockingConnection(pika.URLParameters(url))


def refused(what, fn):
    ch = conn.channel()
    try:
        fn(ch)
        # publishes are asynchronous: a round trip surfaces the close
        ch.exchange_declare('amq.direct', passive=True)
    except pika.exceptions.ChannelClosedByBroker as e:
        want = "ACCESS_REFUSED - access to %s in vhost '/' refused for user '%s'" % (what, user)
        assert e.reply_code == 403 and e.reply_text == want, (e.reply_code, e.reply_text, want)
        print('- refused as RabbitMQ: ' + e.reply_text)
        return
    raise AssertionError('not refused: ' + what)


refused("queue 'no.q'", lambda ch: ch.queue_declare('no.q'))
refused("exchange 'no.x'", lambda ch: ch.exchange_declare('no.x', 'fanout'))
refused("exchange 'amq.default'", lambda ch: ch.basic_publish('', 'no.q', b'm'))
refused("queue 'no.pre'", lambda ch: ch.basic_get('no.pre'))
ch = conn.channel()
ch.queue_declare('ok.q', auto_delete=True)
print('- allowed declare works on the same connection')
conn.close()
