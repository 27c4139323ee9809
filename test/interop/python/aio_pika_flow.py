# Interop scenario (aio-pika, asyncio): what aio-pika users do, through its robust connection.
#
# What a user observes:
#   1. Topology and confirms: a topic exchange, a durable queue bound with a pattern; 20 publishes each awaited
#      for its confirm; a queue iterator receives them in order with their properties (message.process() acks).
#   2. Prefetch: with set_qos(prefetch_count=3) an iterator that does not ack holds 3 messages, no more; acking
#      lets the rest through. queue.get() returns None on an empty queue.
#   3. Dead-lettering: a message rejected without requeue (an exception inside message.process()) lands in the
#      dead-letter queue with an x-death header naming the queue and reason 'rejected'.
#   4. RPC (aio_pika.patterns.RPC): calls, an exception raised remotely, many concurrent calls; close() cancels
#      the reply consumer, its auto-delete reply queue goes and with it the auto-delete rpc.dlx exchange, then
#      unbinds from it anyway: RabbitMQ answers unbind-ok there, so must the broker. A second RPC afterwards.
#   5. Master/Worker pattern: tasks published to a worker queue and processed.
#   6. Clean-up after auto-delete: unbind from an auto-delete exchange that already went, delete a queue and an
#      exchange twice; the channel stays usable.
#   7. Robust reconnect: the connection is closed from the management API (DELETE /api/connections/NAME); the
#      robust connection reconnects, re-declares its exchanges, queues and bindings and re-consumes, and
#      messages published afterwards reach the restored consumer.
#
# usage: /usr/bin/python3 aio_pika_flow.py AMQP_URL NAME_PREFIX   (WARREN_MANAGEMENT_URL for step 7)
import asyncio

import aio_pika
from aio_pika import ExchangeType, Message
from aio_pika.patterns import RPC, Master
from yarl import URL

import interop_common as C
from interop_common import check, eq, log


async def next_message(it, timeout=5, what='a message'):
    try:
        return await asyncio.wait_for(it.__anext__(), timeout)
    except asyncio.TimeoutError:
        C.fail('timed out after %ss waiting for %s' % (timeout, what))


async def topology_and_confirms(conn):
    log('1. topic exchange, durable queue, 20 confirmed publishes, a queue iterator')
    ch = await conn.channel()  # publisher confirms are aio-pika's default
    x = await ch.declare_exchange(C.name('orders'), ExchangeType.TOPIC, durable=True)
    q = await ch.declare_queue(C.name('orders.eu'), durable=True)
    C.delete_queues_later(q.name)
    C.delete_exchanges_later(x.name)
    await q.bind(x, 'orders.eu.*')
    for i in range(20):
        confirm = await x.publish(
            Message(b'order-%d' % i, headers={'n': i, 'kind': 'order'}, correlation_id='c%d' % i,
                    content_type='text/plain', delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key='orders.eu.%s' % ('new' if i % 2 else 'paid'))
        check(confirm is not None, 'publish %d returned no confirmation' % i)
    await x.publish(Message(b'us'), routing_key='orders.us.new')  # not bound: dropped
    got = []
    async with q.iterator() as it:
        while len(got) < 20:
            m = await next_message(it, what='order %d' % len(got))
            async with m.process():
                got.append((m.body, m.headers['n'], m.correlation_id, m.content_type, m.routing_key))
    eq([g[0] for g in got], [b'order-%d' % i for i in range(20)], 'bodies in order')
    eq(got[3][1:], (3, 'c3', 'text/plain', 'orders.eu.new'), 'properties of message 3')
    eq((await q.declare()).message_count, 0, 'queue drained (every message acked)')
    await ch.close()


async def prefetch(conn):
    log('2. set_qos(prefetch_count=3): an iterator that does not ack holds 3 messages')
    ch = await conn.channel()
    await ch.set_qos(prefetch_count=3)
    q = await ch.declare_queue(C.name('prefetch'), auto_delete=False)
    C.delete_queues_later(q.name)
    eq(await q.get(fail=False), None, 'queue.get() on an empty queue')
    for i in range(8):
        await ch.default_exchange.publish(Message(b'p%d' % i), routing_key=q.name)
    # a callback consumer (cancelling an iterator's __anext__ on a timeout would close the iterator)
    inbox = asyncio.Queue()
    tag = await q.consume(inbox.put)
    held = [await asyncio.wait_for(inbox.get(), 5) for _ in range(3)]
    await asyncio.sleep(0.5)
    check(inbox.empty(), 'a 4th message arrived beyond prefetch 3')
    for m in held:
        await m.ack()
    rest = []
    for _ in range(5):
        m = await asyncio.wait_for(inbox.get(), 5)
        rest.append(m.body)
        await m.ack()
    await q.cancel(tag)
    eq([m.body for m in held] + rest, [b'p%d' % i for i in range(8)], 'all 8 in order')
    await ch.close()


async def dead_lettering(conn):
    log('3. reject without requeue (exception in message.process()) dead-letters with x-death')
    ch = await conn.channel()
    dlx = await ch.declare_exchange(C.name('dlx'), ExchangeType.FANOUT)
    dlq = await ch.declare_queue(C.name('dlq'))
    await dlq.bind(dlx)
    work = await ch.declare_queue(C.name('work'), arguments={'x-dead-letter-exchange': dlx.name})
    C.delete_queues_later(work.name, dlq.name)
    C.delete_exchanges_later(dlx.name)
    await ch.default_exchange.publish(Message(b'poison'), routing_key=work.name)
    async with work.iterator() as it:
        m = await next_message(it)
        try:
            async with m.process(requeue=False):
                raise ValueError('cannot process this')
        except ValueError:
            pass
    async with dlq.iterator() as it:
        d = await next_message(it, what='the dead-lettered message')
        await d.ack()
    eq(d.body, b'poison', 'dead-lettered body')
    death = d.headers['x-death'][0]
    eq((death['queue'], death['reason'], death['count']), (work.name, 'rejected', 1), 'x-death')
    await ch.close()


async def multiply(*, x, y):
    return x * y


async def explode(*, why):
    raise RuntimeError(why)


async def rpc(conn):
    log('4. RPC: calls, a remote exception, 50 concurrent calls, close() after the auto-delete went')
    server_ch = await conn.channel()
    server = await RPC.create(server_ch)
    method = C.name('multiply')
    await server.register(method, multiply, auto_delete=True)
    await server.register(C.name('explode'), explode, auto_delete=True)
    client_ch = await conn.channel()
    client = await RPC.create(client_ch)
    eq(await client.call(method, kwargs={'x': 6, 'y': 7}), 42, 'rpc call result')
    try:
        await client.call(C.name('explode'), kwargs={'why': 'on purpose'})
        C.fail('the remote exception was not raised')
    except RuntimeError as e:
        eq(str(e), 'on purpose', 'remote exception text')
    results = await asyncio.gather(*(client.call(method, kwargs={'x': i, 'y': 2}) for i in range(50)))
    eq(results, [i * 2 for i in range(50)], 'concurrent rpc results')
    # close(): cancel the reply consumer (its auto-delete queue goes, and the auto-delete rpc.dlx with its last
    # binding), then unbind the queue from rpc.dlx and delete it
    await client.close()
    await server.close()
    check(not client_ch.is_closed and not server_ch.is_closed, 'RPC.close() closed its channel')
    again = await RPC.create(client_ch)
    server2 = await RPC.create(server_ch)
    await server2.register(method, multiply, auto_delete=True)
    eq(await again.call(method, kwargs={'x': 3, 'y': 3}), 9, 'a second RPC on the same channels')
    await again.close()
    await server2.close()
    await client_ch.close()
    await server_ch.close()


async def master_worker(conn):
    log('5. Master/Worker: tasks through a worker queue')
    ch = await conn.channel()
    await ch.set_qos(prefetch_count=1)
    done = []
    finished = asyncio.Event()

    async def work(*, n):
        done.append(n)
        if len(done) == 5:
            finished.set()

    master = Master(ch)
    name = C.name('tasks')
    worker = await master.create_worker(name, work, auto_delete=True)
    for n in range(5):
        await master.create_task(name, kwargs={'n': n})
    await asyncio.wait_for(finished.wait(), 5)
    eq(sorted(done), list(range(5)), 'tasks processed')
    await worker.close()
    await ch.close()


async def robust_reconnect():
    log('7. robust connection: closed from the management API, reconnects and restores its topology')
    conn_name = C.name('robust')
    # with a URL, aio-pika takes its options from the query (name: the connection_name client property)
    url = URL(C.URL).update_query(name=conn_name, reconnect_interval='0.3')
    conn = await aio_pika.connect_robust(url)
    reconnected = asyncio.Event()
    conn.reconnect_callbacks.add(lambda *_: reconnected.set())
    ch = await conn.channel()
    x = await ch.declare_exchange(C.name('events'), ExchangeType.DIRECT, auto_delete=True)
    q = await ch.declare_queue(exclusive=True)  # server-named, restored under a new name
    await q.bind(x, 'evt')
    got = asyncio.Queue()

    async def on_message(m):
        async with m.process():
            await got.put(m.body)

    await q.consume(on_message)
    await x.publish(Message(b'before'), routing_key='evt')
    eq(await asyncio.wait_for(got.get(), 5), b'before', 'message before the drop')
    eq(await asyncio.get_running_loop().run_in_executor(None, C.close_connections, conn_name), 1, 'connections closed')
    await asyncio.wait_for(reconnected.wait(), 15)
    for i in range(3):
        await x.publish(Message(b'after-%d' % i), routing_key='evt')
    eq([await asyncio.wait_for(got.get(), 5) for _ in range(3)], [b'after-0', b'after-1', b'after-2'],
       'messages after the reconnect reach the restored consumer')
    await conn.close()


async def cleanup_after_auto_delete(conn):
    log('6. clean-up after auto-delete: unbind and delete what already went')
    ch = await conn.channel()
    x = await ch.declare_exchange(C.name('ad'), ExchangeType.TOPIC, auto_delete=True)
    q = await ch.declare_queue(C.name('ad.q'))
    C.delete_queues_later(q.name)
    await q.bind(x, 'a.#')
    await q.unbind(x, 'a.#')  # the last binding: the exchange goes
    await q.unbind(x, 'a.#')  # clean-up code doing it again: unbind-ok
    await x.delete()
    await x.delete()
    await q.delete()
    await q.delete()
    q2 = await ch.declare_queue(C.name('ad.q'))  # still usable
    await q2.delete()
    check(not ch.is_closed, 'the channel survived the clean-up')
    await ch.close()


async def run():
    conn = await aio_pika.connect_robust(C.URL)
    try:
        await topology_and_confirms(conn)
        await prefetch(conn)
        await dead_lettering(conn)
        await rpc(conn)
        await master_worker(conn)
        await cleanup_after_auto_delete(conn)
    finally:
        await conn.close()
    await robust_reconnect()


def main():
    asyncio.run(run())


if __name__ == '__main__':
    C.main(main, watchdog=60)
