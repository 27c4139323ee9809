# paho-mqtt (Debian python3-paho-mqtt 1.6) against Warren's MQTT listener: QoS 1 publish/subscribe with a
# persistent session, and a retained message. Usage: paho_mqtt.py HOST PORT PREFIX [tcp|websockets]
# (websockets: Web-MQTT at path /ws)
import sys, time, threading
import paho.mqtt.client as mqtt

host, port, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
transport = sys.argv[4] if len(sys.argv) > 4 else "tcp"
_Client = mqtt.Client

def Client(**kw):
    c = _Client(transport=transport, **kw)
    if transport == "websockets":
        c.ws_set_options(path="/ws")
    return c

mqtt.Client = Client
got, ready = [], threading.Event()

def on_message(c, u, m):
    got.append((m.topic, m.payload.decode(), m.qos, m.retain))
    if len(got) >= 2:
        ready.set()

sub = mqtt.Client(client_id=prefix + "-sub", clean_session=False)
sub.username_pw_set("guest", "guest")
sub.on_message = on_message
sub.connect(host, port)
sub.loop_start()
r, _ = sub.subscribe(prefix + "/#", qos=1)
assert r == mqtt.MQTT_ERR_SUCCESS
time.sleep(0.3)
pub = mqtt.Client(client_id=prefix + "-pub")
pub.username_pw_set("guest", "guest")
pub.connect(host, port)
pub.loop_start()
pub.publish(prefix + "/a", "hello", qos=1).wait_for_publish()
pub.publish(prefix + "/r", "kept", qos=1, retain=True).wait_for_publish()
assert ready.wait(5), got
assert got[0] == (prefix + "/a", "hello", 1, False), got
# a new subscriber gets the retained message with the retain flag
got.clear()
ready.clear()
late = mqtt.Client(client_id=prefix + "-late")
late.username_pw_set("guest", "guest")
done = threading.Event()
late.on_message = lambda c, u, m: (got.append((m.topic, m.payload.decode(), m.retain)), done.set())
late.connect(host, port)
late.loop_start()
late.subscribe(prefix + "/r", qos=1)
assert done.wait(5), "no retained message"
assert got[0] == (prefix + "/r", "kept", True), got
for c in (pub, late, sub):
    c.loop_stop()
    c.disconnect()
print("paho ok")
