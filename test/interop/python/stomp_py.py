# stomp.py (Debian python3-stomp 8) against Warren's STOMP listener: SEND /queue, SUBSCRIBE with
# client-individual acks, receipts. Usage: stomp_py.py HOST PORT PREFIX
import sys, threading
import stomp

host, port, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
got, done = [], threading.Event()

class Listener(stomp.ConnectionListener):
    def __init__(self, conn):
        self.conn = conn
    def on_message(self, frame):
        got.append((frame.body, frame.headers.get("foo")))
        # STOMP 1.1 (stomp.py's default): ACK names the message-id
        self.conn.ack(frame.headers["message-id"], frame.headers["subscription"])
        if len(got) == 2:
            done.set()
    def on_error(self, frame):
        print("ERROR", frame.headers, frame.body)

c = stomp.Connection([(host, port)])
c.set_listener("l", Listener(c))
c.connect("guest", "guest", wait=True)
q = "/queue/" + prefix
c.send(q, "one", headers={"foo": "bar"})
c.send(q, "two", headers={"foo": "baz"})
c.subscribe(q, id="s1", ack="client-individual")
assert done.wait(5), got
assert got == [("one", "bar"), ("two", "baz")], got
c.disconnect()
print("stomp.py ok")
