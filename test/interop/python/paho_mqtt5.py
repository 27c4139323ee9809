# paho-mqtt (Debian python3-paho-mqtt 1.6) speaking MQTT 5 to Warren: CONNACK properties, subscription
# identifiers (several in one PUBLISH), No Local, no topic aliases for a client that sets no Topic Alias
# Maximum (paho 1.6 cannot take them), and CONNACK 0x8C for an authentication method.
# Usage: paho_mqtt5.py HOST PORT PREFIX
import sys, threading
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.subscribeoptions import SubscribeOptions

host, port, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def client(name, connect_props=None):
    c = mqtt.Client(client_id=prefix + "-" + name, protocol=mqtt.MQTTv5)
    c.username_pw_set("guest", "guest")
    acked = threading.Event()
    result = {}

    def on_connect(c, u, flags, rc, props):
        result["rc"] = rc.value
        result["props"] = props
        acked.set()

    c.on_connect = on_connect
    c.connect(host, port, properties=connect_props)
    c.loop_start()
    assert acked.wait(5), "no CONNACK"
    return c, result


sub, r = client("sub")
assert r["rc"] == 0, r
p = r["props"]
# QoS 2 and shared subscriptions are available: Maximum QoS and Shared Subscription Available left out
assert p.TopicAliasMaximum == 16, p
assert not hasattr(p, "MaximumQoS") and not hasattr(p, "SharedSubscriptionAvailable"), p
assert not hasattr(p, "SubscriptionIdentifierAvailable"), p

got, ready = [], threading.Event()


def on_message(c, u, m):
    ids = sorted(getattr(m.properties, "SubscriptionIdentifier", []))
    alias = getattr(m.properties, "TopicAlias", None)
    got.append((m.topic, m.payload.decode(), ids, alias))
    if len(got) >= 2:
        ready.set()


sub.on_message = on_message
subscribed = threading.Event()
sub.on_subscribe = lambda c, u, mid, rcs, props: subscribed.set()
for topic, sid, nl in ((prefix + "/a", 1, False), (prefix + "/#", 2, True)):
    props = Properties(PacketTypes.SUBSCRIBE)
    props.SubscriptionIdentifier = sid
    subscribed.clear()
    sub.subscribe(topic, options=SubscribeOptions(qos=1, noLocal=nl), properties=props)
    assert subscribed.wait(5), "no SUBACK"

pub, _ = client("pub")
pub.publish(prefix + "/a", "both", qos=1).wait_for_publish()
# its own publish reaches the subscriber only through prefix/a (prefix/# is No Local)
sub.publish(prefix + "/a", "own", qos=1).wait_for_publish()
assert ready.wait(5), got
assert got[0] == (prefix + "/a", "both", [1, 2], None), got
assert got[1] == (prefix + "/a", "own", [1], None), got
got.clear()
ready.clear()
sub.publish(prefix + "/b", "own only no-local", qos=1).wait_for_publish()
pub.publish(prefix + "/b", "other", qos=1).wait_for_publish()
pub.publish(prefix + "/b", "other again", qos=1).wait_for_publish()
assert ready.wait(5), got
assert [g[1] for g in got] == ["other", "other again"], got
assert got[0][2] == [2] and got[1][3] is None, got

# an authentication method RabbitMQ does not support: CONNACK 0x8C (Bad authentication method)
auth = Properties(PacketTypes.CONNECT)
auth.AuthenticationMethod = "SCRAM-SHA-1"
bad, r = client("auth", auth)
assert r["rc"] == 0x8C, r
# disconnect first: it wakes the network loop, which loop_stop would otherwise wait a second for
for c in (bad, pub, sub):
    c.disconnect()
    c.loop_stop()
print("paho mqtt5 ok")
