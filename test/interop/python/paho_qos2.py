# paho-mqtt (Debian python3-paho-mqtt 1.6) with QoS 2 against Warren (exactly once, which RabbitMQ
# downgrades to QoS 1): MQTT 3.1.1 and 5 publishers whose publish completes at PUBCOMP, a persistent QoS 2
# subscriber granted QoS 2 that receives every message once, also those published while it was away.
# Usage: paho_qos2.py HOST PORT PREFIX
import sys, time, threading
import paho.mqtt.client as mqtt

host, port, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
got, granted, lock = [], [], threading.Lock()
subscribed = threading.Event()

def on_message(c, u, m):
    with lock:
        got.append((m.payload.decode(), m.qos))

def on_subscribe(c, u, mid, qos, *rest):
    granted.append(qos[0] if isinstance(qos[0], int) else qos[0].value)
    subscribed.set()

def subscriber():
    c = mqtt.Client(client_id=prefix + "-sub", clean_session=False)
    c.username_pw_set("guest", "guest")
    c.on_message = on_message
    c.on_subscribe = on_subscribe
    c.connect(host, port)
    c.loop_start()
    return c

def wait_for(n, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        with lock:
            if len(got) >= n:
                return
        time.sleep(0.05)
    raise AssertionError("got %d of %d: %r" % (len(got), n, got))

sub = subscriber()
sub.subscribe(prefix + "/#", qos=2)
assert subscribed.wait(5)
assert granted == [2], granted

def publisher(version, suffix):
    p = mqtt.Client(client_id=prefix + "-pub" + suffix, protocol=version, **({} if version == mqtt.MQTTv5 else {"clean_session": False}))
    p.username_pw_set("guest", "guest")
    p.connect(host, port)
    p.loop_start()
    return p

sent = []
for version, suffix in ((mqtt.MQTTv311, "4"), (mqtt.MQTTv5, "5")):
    p = publisher(version, suffix)
    for i in range(10):
        body = "m%s-%d" % (suffix, i)
        info = p.publish(prefix + "/t", body, qos=2)
        info.wait_for_publish(5)  # PUBCOMP received
        assert info.is_published(), body
        sent.append(body)
    p.loop_stop()
    p.disconnect()
wait_for(len(sent))

# away: messages published meanwhile wait in the session's QoS 2 queue
sub.loop_stop()
sub.disconnect()
p = publisher(mqtt.MQTTv311, "4")
for i in range(5):
    body = "away-%d" % i
    p.publish(prefix + "/t", body, qos=2).wait_for_publish(5)
    sent.append(body)
p.loop_stop()
p.disconnect()
sub = subscriber()
wait_for(len(sent))
time.sleep(0.5)
with lock:
    assert [b for b, _ in got] == sent, got
    assert all(q == 2 for _, q in got), got
sub.loop_stop()
sub.disconnect()
print("paho qos2 ok")
