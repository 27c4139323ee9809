#!/usr/bin/env python3
# The soak's Python client: publishes persistent messages with publisher confirms through pika's
# BlockingConnection (basic_publish returns once the broker confirmed, raises on a nack or a lost
# connection), reconnecting after each broker restart. Prints "C <id>" for every confirmed id.
#   pika-publisher.py PORT QUEUE RATE
import sys
import time

import pika

port, queue, rate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
next_id = 0
while True:
    try:
        params = pika.ConnectionParameters(host="127.0.0.1", port=port, heartbeat=0, connection_attempts=1)
        conn = pika.BlockingConnection(params)
        ch = conn.channel()
        ch.confirm_delivery()
        while True:
            i = next_id
            next_id += 1
            body = ("pika|%d|" % i) + "p" * (i % 700)
            ch.basic_publish("", queue, body.encode(), pika.BasicProperties(delivery_mode=2))
            print("C %d" % i, flush=True)
            time.sleep(1.0 / rate)
    except Exception:  # the broker restarted: reconnect
        time.sleep(0.5)
