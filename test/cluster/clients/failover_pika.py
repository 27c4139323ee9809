#!/usr/bin/env python3
"""A pika client of a Warren cluster across a failover (issue 14), configured as users configure a RabbitMQ
cluster: a list of URLParameters, pika trying each in turn. One connection publishes persistent messages with
publisher confirms (BlockingChannel.confirm_delivery: basic_publish returns once acked), another consumes with
manual acks; any connection error makes both reconnect through the list. Prints JSON lines on stdout:
  {"event": "ready"}                      once 100 messages were confirmed
  {"event": "reconnected", "t": ms}       after a reconnect
  {"event": "confirmed-again", "t": ms}   the first confirm after a reconnect (epoch ms)
After "stop" on stdin it stops publishing, consumes until every confirmed message came (or 15 s), and prints
  {"event": "result", "confirmed": [...], "received": [...], "redelivered": n}
usage: failover_pika.py URL[,URL...] QUEUE
"""
import json
import select
import sys
import time

import pika
from pika.exceptions import AMQPError

urls = sys.argv[1].split(",")
queue = sys.argv[2]


def emit(**kw):
    print(json.dumps(kw), flush=True)


def now_ms():
    return int(time.time() * 1000)


def params(first):
    """The node list starting at `first` (a client that lost one node tries the next one first)."""
    out = []
    for i in range(len(urls)):
        p = pika.URLParameters(urls[(first + i) % len(urls)])
        p.connection_attempts = 1
        p.retry_delay = 0
        p.socket_timeout = 1
        p.stack_timeout = 2
        p.blocked_connection_timeout = 5
        p.heartbeat = 2
        out.append(p)
    return out


confirmed = []
received = set()
redelivered = 0
seq = 0
first = 0
stopping = False
deadline = None
need_confirm_event = False


def on_message(ch, method, properties, body):
    global redelivered
    received.add(body.decode())
    if method.redelivered:
        redelivered += 1
    ch.basic_ack(method.delivery_tag)


def connect():
    """Both connections through the list, retried until they open (every 100 ms)."""
    global first
    while True:
        try:
            pub = pika.BlockingConnection(params(first))
            con = pika.BlockingConnection(params(first))
            pch = pub.channel()
            pch.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
            pch.confirm_delivery()
            cch = con.channel()
            cch.basic_qos(prefetch_count=200)
            cch.basic_consume(queue, on_message)
            return pub, pch, con, cch
        except (AMQPError, OSError):
            first += 1
            time.sleep(0.1)


pub, pch, con, cch = connect()
ready = False
while True:
    try:
        if not stopping:
            r, _, _ = select.select([sys.stdin], [], [], 0)
            if r and sys.stdin.readline().strip() == "stop":
                stopping = True
                deadline = time.time() + 15
        if stopping:
            if set(confirmed) <= received or time.time() > deadline:
                break
            con.process_data_events(time_limit=0.1)
            continue
        seq += 1
        body = "pika-%d" % seq
        # raises on a nack or a lost connection: then the message is not counted as confirmed
        pch.basic_publish("", queue, body.encode(), pika.BasicProperties(delivery_mode=2))
        confirmed.append(body)
        if need_confirm_event:
            need_confirm_event = False
            emit(event="confirmed-again", t=now_ms())
        if not ready and len(confirmed) >= 100:
            ready = True
            emit(event="ready")
        con.process_data_events(time_limit=0)
    except (AMQPError, OSError) as e:
        for c in (pub, con):
            try:
                c.close()
            except Exception:
                pass
        first += 1
        pub, pch, con, cch = connect()
        emit(event="reconnected", t=now_ms(), error=type(e).__name__)
        need_confirm_event = True

emit(event="result", confirmed=confirmed, received=sorted(received), redelivered=redelivered)
for c in (pub, con):
    try:
        c.close()
    except Exception:
        pass
