# Interop scenario (Celery): a real `celery worker` process against the broker, driven as a user would.
# Celery talks AMQP through kombu/py-amqp: its default queue (durable, on a direct exchange), the result
# backend rpc:// (replies on an auto-delete reply queue per client), the pidbox (fanout exchange
# <app>.control.pidbox + reply exchange) behind `celery inspect`, mingle and gossip at start-up.
#
# Modes (argv[3]):
#   basics     tasks and results (single and a group), countdown, retries (self.retry with a countdown), a task
#              seen by `celery inspect active` while it runs, `celery inspect ping` from the CLI and the API.
#   eta        a worker with concurrency 1 and prefetch multiplier 1 (prefetch 1) holds ETA tasks unacked; Celery
#              raises the channel's prefetch (basic.qos) for each, so a plain task sent after them runs before
#              the ETAs pass.
#   acks_late  an acks_late task kills its worker before the ack; the broker redelivers it (redelivered=True)
#              to the next worker, which completes it.
#
# usage: /usr/bin/python3 celery_flow.py AMQP_URL NAME_PREFIX MODE
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import interop_common as C
from interop_common import check, eq, log

HERE = os.path.dirname(os.path.abspath(__file__))
workers = []


def start_worker(env, name, *extra):
    """Start `celery -A celery_app worker` and wait until it logs that it is ready."""
    logf = open(os.path.join(env['CELERY_STATE_DIR'], name + '.log'), 'w+')
    cmd = [sys.executable, '-m', 'celery', '-A', 'celery_app', 'worker', '-l', 'INFO', '-n', name + '@%h',
           '--pool', 'threads'] + list(extra)
    p = subprocess.Popen(cmd, cwd=HERE, env=env, stdout=logf, stderr=subprocess.STDOUT)
    workers.append((p, logf, name))
    deadline = time.monotonic() + 45
    while True:
        logf.seek(0)
        if ' ready.' in logf.read():
            return p
        if p.poll() is not None:
            C.fail('worker %s exited with %s before it was ready' % (name, p.returncode))
        if time.monotonic() > deadline:
            C.fail('worker %s not ready after 45 s' % name)
        time.sleep(0.1)


def stop_workers():
    for p, logf, name in workers:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        logf.seek(0)
        text = logf.read()
        if os.environ.get('CELERY_SHOW_LOGS') or 'Traceback' in text:
            print('--- worker %s log ---\n%s' % (name, text[-4000:]), file=sys.stderr)
        logf.close()


def basics(env, app, tasks):
    start_worker(env, 'w1', '--concurrency', '4')
    log('1. a task and its result over the rpc:// backend')
    eq(tasks.add.delay(2, 3).get(timeout=30), 5, 'add(2, 3)')
    log('2. a group of 20 tasks')
    from celery import group
    eq(group(tasks.add.s(i, i) for i in range(20))().get(timeout=30), [2 * i for i in range(20)], 'group results')
    log('3. countdown: the task runs after its delay')
    t0 = time.monotonic()
    eq(tasks.add.apply_async((1, 1), countdown=1.5).get(timeout=30), 2, 'countdown task result')
    check(time.monotonic() - t0 >= 1.4, 'the countdown task ran too early (%.2fs)' % (time.monotonic() - t0))
    log('4. retries: fails twice, retried with a countdown, then succeeds')
    eq(tasks.flaky.delay('basics', 2).get(timeout=30), {'attempts': 3, 'retries': 2}, 'retried task')
    log('5. celery inspect ping (CLI and API)')
    w1 = 'w1@' + socket.gethostname()
    # with -d the CLI returns as soon as the named worker replied (it waits out --timeout otherwise)
    out = subprocess.run([sys.executable, '-m', 'celery', '-A', 'celery_app', 'inspect', 'ping', '-d', w1, '--timeout', '15'],
                         cwd=HERE, env=env, capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and 'pong' in out.stdout, 'celery inspect ping: rc=%d\n%s%s' % (out.returncode, out.stdout, out.stderr))
    check(w1 in out.stdout, 'the worker answers inspect ping: %s' % out.stdout)
    eq(app.control.inspect([w1], timeout=15).ping(), {w1: {'ok': 'pong'}}, 'inspect().ping() replies')
    log('6. celery inspect active shows a running task')
    r = tasks.held.delay('active')
    deadline = time.monotonic() + 20
    seen = False
    while not seen and time.monotonic() < deadline:
        active = app.control.inspect([w1], timeout=15).active() or {}
        seen = any(t['id'] == r.id for ts in active.values() for t in ts)
    check(seen, 'task %s never listed by inspect active' % r.id)
    out = subprocess.run([sys.executable, '-m', 'celery', '-A', 'celery_app', 'inspect', 'active', '-d', w1, '--timeout', '15'],
                         cwd=HERE, env=env, capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and r.id in out.stdout,
          'celery inspect active lists the task: rc=%d\n%s%s' % (out.returncode, out.stdout, out.stderr))
    open(os.path.join(env['CELERY_STATE_DIR'], 'release-active'), 'w').close()
    eq(r.get(timeout=30), 'active', 'the task seen active completes')


def eta(env, app, tasks):
    start_worker(env, 'w1', '--concurrency', '1', '--prefetch-multiplier', '1')
    log('1. three ETA tasks (6 s away), then a plain task: the plain one must run before the ETAs')
    sent = time.time()
    held = [tasks.stamp.apply_async(('eta-%d' % i,), countdown=6) for i in range(3)]
    time.sleep(0.5)  # the worker has received the ETA tasks and holds them unacked
    # Stuck behind the ETA tasks (prefetch not raised), the plain task would be delivered only after one of them
    # ran and was acked: compare when each ran rather than how long the call took, so a loaded machine is no issue
    plain = tasks.stamp.delay('plain').get(timeout=30)
    etas = [r.get(timeout=30) for r in held]
    check(plain < min(etas), 'the plain task ran %.1fs after the first ETA task: it was stuck behind the ETA tasks'
          % (plain - min(etas)))
    check(min(etas) >= sent + 5.9, 'the ETA tasks ran early (%.1fs after sending)' % (min(etas) - sent))


def acks_late(env, app, tasks):
    w = start_worker(env, 'w1', '--concurrency', '1')
    log('1. an acks_late task kills its worker before the ack')
    r = tasks.crash_once.delay('late')
    try:
        w.wait(15)
    except subprocess.TimeoutExpired:
        C.fail('the worker did not exit')
    eq(w.returncode, 17, 'worker exit code (os._exit in the task)')
    log('2. the next worker gets it redelivered and completes it')
    start_worker(env, 'w2', '--concurrency', '1')
    eq(r.get(timeout=30), {'runs': 2, 'redelivered': True}, 'redelivered acks_late task')


def main():
    mode = C.ARGS[0] if C.ARGS else 'basics'
    state = tempfile.mkdtemp(prefix='warren-celery-')
    queue = C.name('celery')
    env = dict(os.environ, CELERY_BROKER_URL=C.URL, CELERY_QUEUE=queue, CELERY_STATE_DIR=state,
               PYTHONPATH=HERE + os.pathsep + os.environ.get('PYTHONPATH', ''))
    os.environ.update(env)
    sys.path.insert(0, HERE)
    import celery_app as tasks  # reads the environment set above

    C.delete_queues_later(queue)
    C.delete_exchanges_later(queue + '.control.pidbox', 'reply.' + queue + '.control.pidbox')
    try:
        {'basics': basics, 'eta': eta, 'acks_late': acks_late}[mode](env, tasks.app, tasks)
    finally:
        stop_workers()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == '__main__':
    C.main(main, watchdog=110)
