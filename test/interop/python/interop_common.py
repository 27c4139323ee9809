# Shared helpers for the pika interop scenarios (test/interop/python/*.py).
#
# Every scenario script is run as:  /usr/bin/python3 SCRIPT.py AMQP_URL NAME_PREFIX [options]
# and exits 0 on success, 1 on a failed assertion (message on stderr), 3 if its watchdog fires.
# The watchdog (SIGALRM) guarantees a script never hangs whatever the broker does; every wait on the
# broker is also bounded by an explicit deadline (pump()).
#
# Use Debian's /usr/bin/python3 (python3-pika), not a pyenv python3 without dist-packages.
import os
import signal
import sys
import time
import traceback

import pika
import pika.exceptions

URL = None
PREFIX = None
ARGS = []
_cleanups = []


def log(msg):
    print('- ' + msg, flush=True)


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError('%s: expected %r, got %r' % (what, expected, actual))


def name(suffix):
    """A broker-unique name: the prefix passed on the command line plus a suffix."""
    return '%s.%s' % (PREFIX, suffix)


def params(**overrides):
    p = pika.URLParameters(URL)
    p.connection_attempts = 1
    p.socket_timeout = 5
    p.blocked_connection_timeout = 30
    for k, v in overrides.items():
        setattr(p, k, v)
    return p


def connect(**overrides):
    return pika.BlockingConnection(params(**overrides))


def pump(conns, until, timeout, what):
    """Process I/O on every connection until until() is true; fail after timeout seconds."""
    if not isinstance(conns, (list, tuple)):
        conns = [conns]
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            fail('timed out after %.1fs waiting for %s' % (timeout, what))
        for c in conns:
            c.process_data_events(time_limit=0.02)


def idle(conns, seconds):
    """Process I/O for a while without expecting anything (to prove that nothing more arrives)."""
    if not isinstance(conns, (list, tuple)):
        conns = [conns]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for c in conns:
            c.process_data_events(time_limit=0.02)


def wait_count(conn, queue, n, timeout=5, what=None):
    """Poll queue.declare(passive) until the queue holds n ready messages.

    RabbitMQ routes a publish to the queue asynchronously: a declare-ok sent right after a basic.publish (even on
    the same channel) may not count it yet, so counts are polled, the way a user watching list_queues would."""
    ch = conn.channel()
    last = []

    def done():
        last[:] = [ch.queue_declare(queue=queue, passive=True).method.message_count]
        return last[0] == n

    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            fail('%s: expected %d messages in %s, got %r after %.1fs' % (what or 'message count', n, queue, last[0], timeout))
        conn.process_data_events(time_limit=0.02)
    ch.close()


def expect_channel_error(code, fn, what):
    """Run fn(); it must fail with a channel error (channel.close from the broker) of the given reply code."""
    try:
        fn()
    except pika.exceptions.ChannelClosedByBroker as e:
        eq(e.reply_code, code, '%s: channel.close reply code (reply text %r)' % (what, e.reply_text))
        return e
    fail('%s: expected the broker to close the channel with %d, but the call succeeded' % (what, code))


def on_cleanup(fn):
    _cleanups.append(fn)


def delete_queues_later(*queues):
    def run(ch):
        for q in queues:
            ch.queue_delete(q)

    _cleanups.append(run)


def delete_exchanges_later(*exchanges):
    def run(ch):
        for x in exchanges:
            ch.exchange_delete(x)

    _cleanups.append(run)


def _cleanup():
    if not _cleanups:
        return
    try:
        conn = connect()
    except Exception as e:  # best effort: the broker may be gone
        print('cleanup: cannot connect: %r' % (e,), file=sys.stderr)
        return
    try:
        for fn in reversed(_cleanups):
            try:
                ch = conn.channel()
                fn(ch)
                if ch.is_open:
                    ch.close()
            except Exception as e:
                print('cleanup: %r' % (e,), file=sys.stderr)
    finally:
        try:
            conn.close()
        except Exception:
            pass


def _watchdog(signum, frame):
    print('TIMEOUT: %s did not finish within its watchdog limit' % os.path.basename(sys.argv[0]), file=sys.stderr)
    traceback.print_stack(frame, file=sys.stderr)
    sys.stderr.flush()
    os._exit(3)


def main(fn, watchdog=40):
    """Parse argv (URL, PREFIX, extra args), arm the watchdog, run fn(), clean up, exit 0/1."""
    global URL, PREFIX, ARGS
    if len(sys.argv) < 3:
        print('usage: %s AMQP_URL NAME_PREFIX [options]' % sys.argv[0], file=sys.stderr)
        sys.exit(64)
    URL, PREFIX, ARGS = sys.argv[1], sys.argv[2], sys.argv[3:]
    signal.signal(signal.SIGALRM, _watchdog)
    signal.alarm(watchdog)
    code = 0
    try:
        fn()
        print('OK', flush=True)
    except AssertionError as e:
        print('FAIL: %s' % e, file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        code = 1
    except Exception as e:
        print('ERROR: unexpected %s: %s' % (type(e).__name__, e), file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        code = 1
    _cleanup()
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


# ---- management API (to drop a client's connection, as an operator or a network failure would) ----------


def management_url():
    """The broker's management API: WARREN_MANAGEMENT_URL, else RabbitMQ's default on localhost."""
    return os.environ.get('WARREN_MANAGEMENT_URL', 'http://localhost:15672').rstrip('/')


def management(method, path, user='guest', password='guest', headers=None):
    """One management API request; returns (status, parsed JSON or None)."""
    import base64
    import json
    import urllib.error
    import urllib.request

    req = urllib.request.Request(management_url() + path, method=method, headers=dict(headers or {}))
    req.add_header('Authorization', 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
            return r.status, json.loads(body) if body else None
    except urllib.error.HTTPError as e:
        return e.code, None


def close_connections(provided_name, timeout=10, reason='closed by the interop test'):
    """DELETE /api/connections/NAME for every connection whose client named itself provided_name (the
    connection_name client property), waiting for it to show up in the list first; returns how many."""
    from urllib.parse import quote

    deadline = time.monotonic() + timeout
    while True:
        _status, conns = management('GET', '/api/connections')
        names = [c['name'] for c in conns or [] if c.get('user_provided_name') == provided_name]
        if names:
            for n in names:
                status, _ = management('DELETE', '/api/connections/' + quote(n, safe=''), headers={'X-Reason': reason})
                check(status in (200, 204), 'DELETE /api/connections/%s: HTTP %d' % (n, status))
            return len(names)
        if time.monotonic() > deadline:
            fail('no connection named %r in /api/connections after %ds' % (provided_name, timeout))
        time.sleep(0.2)
