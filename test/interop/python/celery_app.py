# The Celery application the celery_flow.py scenario runs a real worker for (`celery -A celery_app worker`).
# Configured from the environment, with Celery's defaults otherwise, as a user's app would be:
#   CELERY_BROKER_URL  the broker (amqp://...)
#   CELERY_QUEUE       the default queue (unique per run, so runs can share one broker)
#   CELERY_STATE_DIR   a directory the tasks write their progress to (retries, redeliveries)
import os
import time

from celery import Celery

app = Celery('warren_interop', broker=os.environ['CELERY_BROKER_URL'], backend='rpc://')
app.conf.update(
    task_default_queue=os.environ['CELERY_QUEUE'],
    # the pidbox (celery inspect) exchanges are shared by every worker on the broker: keep runs apart
    control_exchange=os.environ['CELERY_QUEUE'] + '.control',
    event_exchange=os.environ['CELERY_QUEUE'] + '.events',
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
STATE = os.environ.get('CELERY_STATE_DIR', '/tmp')


def _bump(name):
    """Count calls in a file (the worker may be another process, or restarted)."""
    p = os.path.join(STATE, name)
    n = int(open(p).read()) + 1 if os.path.exists(p) else 1
    with open(p, 'w') as f:
        f.write(str(n))
    return n


@app.task
def add(x, y):
    return x + y


@app.task
def stamp(key):
    """Return the wall-clock time the task ran at (compared across tasks by the driver)."""
    return time.time()


@app.task
def held(key):
    """Run until the driver creates the file release-KEY (at most 30 s): a task that is surely active meanwhile."""
    deadline = time.monotonic() + 30
    while not os.path.exists(os.path.join(STATE, 'release-' + key)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return key


@app.task(bind=True, max_retries=5)
def flaky(self, key, failures):
    """Fail `failures` times (retrying after 0.3 s each time), then succeed with the attempt number."""
    n = _bump('flaky-' + key)
    if n <= failures:
        raise self.retry(countdown=0.3, exc=RuntimeError('attempt %d failed' % n))
    return {'attempts': n, 'retries': self.request.retries}


@app.task(bind=True, acks_late=True)
def crash_once(self, key):
    """acks_late: the first delivery kills the worker before the ack, so the broker must redeliver it."""
    n = _bump('crash-' + key)
    if n == 1:
        os._exit(17)
    return {'runs': n, 'redelivered': bool(self.request.delivery_info.get('redelivered'))}
