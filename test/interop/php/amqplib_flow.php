<?php
// Interop scenario (PHP, php-amqplib): what php-amqplib users do (its tutorials and typical workers).
//
// What a user observes:
//   1. Logins: php-amqplib's default AMQPLAIN mechanism, PLAIN, and the sockets I/O (AMQPSocketConnection).
//   2. Topology and confirms: a topic exchange, a durable queue bound with a pattern, 50 persistent publishes in
//      confirm mode (the ack handler sees 50 acks); a basic_consume worker (manual ack) gets them in order with
//      their properties and application headers.
//   3. Prefetch: basic_qos(prefetch_count=2) and a consumer that does not ack holds 2 messages.
//   4. Mandatory publish with no route: the return listener gets 312 NO_ROUTE.
//   5. Dead-lettering: basic_nack without requeue lands in the dead-letter queue with x-death.
//   6. RPC (tutorial 6): an exclusive callback queue, correlation ids, a server replying to reply_to.
//   7. Channel errors: publishing to a missing exchange closes that channel with 404; the connection stays.
//   8. Reconnect: the connection is closed from the management API (DELETE /api/connections/NAME); the next call
//      raises AMQPConnectionClosedException; $connection->reconnect() and re-declaring topology resume work.
//
// usage: php amqplib_flow.php AMQP_URL NAME_PREFIX   (WARREN_MANAGEMENT_URL for step 8)
require_once '/usr/share/php/PhpAmqpLib/autoload.php';

use PhpAmqpLib\Connection\AMQPConnectionConfig;
use PhpAmqpLib\Connection\AMQPConnectionFactory;
use PhpAmqpLib\Exception\AMQPConnectionClosedException;
use PhpAmqpLib\Exception\AMQPProtocolChannelException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

if ($argc < 3) {
    fwrite(STDERR, "usage: php amqplib_flow.php AMQP_URL NAME_PREFIX\n");
    exit(64);
}
[$_, $url, $prefix] = $argv;
$u = parse_url($url);
$mgmt = rtrim(getenv('WARREN_MANAGEMENT_URL') ?: 'http://localhost:15672', '/');
pcntl_async_signals(true);
pcntl_signal(SIGALRM, function () {
    fwrite(STDERR, "TIMEOUT: amqplib_flow.php did not finish within 40 s\n");
    exit(3);
});
pcntl_alarm(40);

function name(string $s): string { global $prefix; return "$prefix.$s"; }
function say(string $m): void { echo "- $m\n"; }
function eq($actual, $expected, string $what): void
{
    if ($actual !== $expected) {
        throw new RuntimeException("$what: expected " . var_export($expected, true) . ', got ' . var_export($actual, true));
    }
}

function connect(string $connName, string $login = 'AMQPLAIN', string $io = 'stream')
{
    global $u;
    $c = new AMQPConnectionConfig();
    $c->setHost($u['host']);
    $c->setPort($u['port'] ?? 5672);
    $c->setUser(urldecode($u['user'] ?? 'guest'));
    $c->setPassword(urldecode($u['pass'] ?? 'guest'));
    $c->setVhost('/');
    $c->setLoginMethod($login);
    $c->setIoType($io);
    $c->setConnectionName($connName);
    $c->setReadTimeout(10);
    $c->setWriteTimeout(10);
    return AMQPConnectionFactory::create($c);
}

/** Process I/O on the channel until $until() is true (a closure: arrow functions capture by value). */
function pump($ch, callable $until, string $what, float $timeout = 5): void
{
    $deadline = microtime(true) + $timeout;
    while (!$until()) {
        if (microtime(true) > $deadline) throw new RuntimeException("timed out after {$timeout}s waiting for $what");
        try {
            $ch->wait(null, false, 0.05);
        } catch (PhpAmqpLib\Exception\AMQPTimeoutException $e) {
        }
    }
}

function management(string $method, string $path, array $headers = []): array
{
    global $mgmt;
    $ctx = stream_context_create(['http' => [
        'method' => $method, 'ignore_errors' => true, 'timeout' => 10,
        'header' => array_merge(['Authorization: Basic ' . base64_encode('guest:guest')], $headers),
    ]]);
    $body = file_get_contents($mgmt . $path, false, $ctx);
    preg_match('#^HTTP/\S+ (\d+)#', $http_response_header[0], $m);
    return [(int) $m[1], $body === '' ? null : json_decode($body, true)];
}

function closeConnection(string $provided): void
{
    $deadline = microtime(true) + 10;
    for (;;) {
        [, $conns] = management('GET', '/api/connections');
        $names = array_column(array_filter($conns ?? [], fn($c) => ($c['user_provided_name'] ?? null) === $provided), 'name');
        foreach ($names as $n) {
            [$status] = management('DELETE', '/api/connections/' . rawurlencode($n), ['X-Reason: closed by the interop test']);
            if ($status !== 204 && $status !== 200) throw new RuntimeException("DELETE connection: HTTP $status");
        }
        if ($names) return;
        if (microtime(true) > $deadline) throw new RuntimeException("no connection named $provided after 10 s");
        usleep(200000);
    }
}

$code = 0;
$conn = null;
try {
    say('1. logins: AMQPLAIN (the default), PLAIN, sockets I/O');
    foreach ([['AMQPLAIN', 'stream'], ['PLAIN', 'stream'], ['AMQPLAIN', 'socket']] as [$login, $io]) {
        $c = connect(name("login-$login-$io"), $login, $io);
        eq($c->isConnected(), true, "$login over $io connected");
        $c->close();
    }

    say('2. topic exchange, durable queue, 50 confirmed publishes, a basic_consume worker');
    $conn = connect(name('main'));
    $ch = $conn->channel();
    $x = name('orders');
    $q = name('orders.eu');
    $ch->exchange_declare($x, 'topic', false, true, false);
    $ch->queue_declare($q, false, true, false, false);
    $ch->queue_bind($q, $x, 'orders.eu.*');
    $acks = 0;
    $ch->set_ack_handler(function () use (&$acks) { $acks++; });
    $ch->set_nack_handler(function () { throw new RuntimeException('publish nacked'); });
    $ch->confirm_select();
    for ($i = 0; $i < 50; $i++) {
        $m = new AMQPMessage("order-$i", [
            'content_type' => 'text/plain', 'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
            'correlation_id' => "c$i", 'application_headers' => new AMQPTable(['n' => $i, 'tags' => ['a', 'b']]),
        ]);
        $ch->basic_publish($m, $x, 'orders.eu.' . ($i % 2 ? 'new' : 'paid'));
    }
    $ch->wait_for_pending_acks(5);
    eq($acks, 50, 'publisher confirms (acks)');
    $got = [];
    $ch2 = $conn->channel();
    $ch2->basic_consume($q, '', false, false, false, false, function (AMQPMessage $m) use (&$got) {
        $got[] = [$m->getBody(), $m->get('application_headers')->getNativeData(), $m->get('correlation_id'), $m->getRoutingKey()];
        $m->ack();
    });
    pump($ch2, function () use (&$got) { return count($got) === 50; }, '50 deliveries');
    eq(array_column($got, 0), array_map(fn($i) => "order-$i", range(0, 49)), 'bodies in order');
    eq(array_slice($got[3], 1), [['n' => 3, 'tags' => ['a', 'b']], 'c3', 'orders.eu.new'], 'properties of message 3');
    $ch2->close();

    say('3. basic_qos(prefetch 2): a consumer that does not ack holds 2 messages');
    $pch = $conn->channel();
    $pch->basic_qos(0, 2, false);
    [$pq] = $pch->queue_declare('', false, false, true, true);
    for ($i = 0; $i < 5; $i++) $pch->basic_publish(new AMQPMessage("p$i"), '', $pq);
    $held = [];
    $pch->basic_consume($pq, '', false, false, false, false, function (AMQPMessage $m) use (&$held) { $held[] = $m; });
    pump($pch, function () use (&$held) { return count($held) === 2; }, '2 deliveries');
    $end = microtime(true) + 0.4;
    pump($pch, fn() => microtime(true) > $end, 'a pause');
    eq(count($held), 2, 'deliveries held at prefetch 2');
    $held[1]->ack(true);
    pump($pch, function () use (&$held) { return count($held) === 4; }, 'the next two after the ack');
    $pch->close();

    say('4. mandatory publish with no route: return listener gets 312 NO_ROUTE');
    $rch = $conn->channel();
    $returned = [];
    $rch->set_return_listener(function ($code, $text, $ex, $key, AMQPMessage $m) use (&$returned) {
        $returned[] = [$code, $text, $m->getBody()];
    });
    $rch->basic_publish(new AMQPMessage('lost'), 'amq.direct', name('nowhere'), true);
    pump($rch, function () use (&$returned) { return count($returned) === 1; }, 'basic.return');
    eq($returned[0], [312, 'NO_ROUTE', 'lost'], 'returned message');
    $rch->close();

    say('5. basic_nack without requeue: dead-lettered with x-death');
    $dch = $conn->channel();
    $dlx = name('dlx');
    $dch->exchange_declare($dlx, 'fanout', false, false, true);
    [$dlq] = $dch->queue_declare('', false, false, true, true);
    $dch->queue_bind($dlq, $dlx);
    [$wq] = $dch->queue_declare('', false, false, true, true, false, new AMQPTable(['x-dead-letter-exchange' => $dlx]));
    $dch->basic_publish(new AMQPMessage('poison'), '', $wq);
    $m = null;
    pump($dch, function () use ($dch, $wq, &$m) { return ($m = $dch->basic_get($wq)) !== null; }, 'the message');
    $m->nack(false);
    $dead = null;
    pump($dch, function () use ($dch, $dlq, &$dead) { return ($dead = $dch->basic_get($dlq, true)) !== null; }, 'the dead letter');
    eq($dead->getBody(), 'poison', 'dead-lettered body');
    $death = $dead->get('application_headers')->getNativeData()['x-death'][0];
    eq([$death['queue'], $death['reason'], $death['count']], [$wq, 'rejected', 1], 'x-death');
    $dch->close();

    say('6. RPC with an exclusive callback queue and correlation ids');
    $sch = $conn->channel();
    $rpcq = name('rpc');
    $sch->queue_declare($rpcq, false, false, false, true);
    $sch->basic_consume($rpcq, '', false, false, false, false, function (AMQPMessage $req) {
        $reply = new AMQPMessage((string) ((int) $req->getBody() * 3), ['correlation_id' => $req->get('correlation_id')]);
        $req->getChannel()->basic_publish($reply, '', $req->get('reply_to'));
        $req->ack();
    });
    $cch = $conn->channel();
    [$callback] = $cch->queue_declare('', false, false, true, false);
    $replies = [];
    $cch->basic_consume($callback, '', false, true, false, false, function (AMQPMessage $m) use (&$replies) {
        $replies[$m->get('correlation_id')] = $m->getBody();
    });
    for ($i = 1; $i <= 5; $i++) {
        $cch->basic_publish(new AMQPMessage((string) $i, ['correlation_id' => "r$i", 'reply_to' => $callback]), '', $rpcq);
    }
    $deadline = microtime(true) + 5;
    while (count($replies) < 5 && microtime(true) < $deadline) {
        foreach ([$sch, $cch] as $c) {
            try { $c->wait(null, false, 0.02); } catch (PhpAmqpLib\Exception\AMQPTimeoutException $e) {}
        }
    }
    ksort($replies);
    eq($replies, ['r1' => '3', 'r2' => '6', 'r3' => '9', 'r4' => '12', 'r5' => '15'], 'RPC replies');
    $sch->close();
    $cch->close();

    say('7. publishing to a missing exchange closes the channel with 404, not the connection');
    $ech = $conn->channel();
    $ech->basic_publish(new AMQPMessage('x'), name('missing'), 'k');
    try {
        pump($ech, fn() => false, 'the channel error', 3);
        throw new RuntimeException('no channel error');
    } catch (AMQPProtocolChannelException $e) {
        eq($e->getCode(), 404, 'channel error code');
        eq($e->getMessage(), "NOT_FOUND - no exchange '" . name('missing') . "' in vhost '/'", 'channel error text');
    }
    eq($conn->isConnected(), true, 'the connection is still open');
    $ch->queue_declare($q, true);

    say('8. reconnect after the connection is closed by the management API');
    closeConnection(name('main'));
    try {
        pump($ch, fn() => false, 'connection.close', 5);
        throw new RuntimeException('the closed connection went unnoticed');
    } catch (AMQPConnectionClosedException $e) {
        eq($e->getCode(), 320, 'connection.close code');
    }
    $conn->reconnect();
    $ch = $conn->channel();
    $ch->queue_declare($q, false, true, false, false);
    $ch->basic_publish(new AMQPMessage('after'), $x, 'orders.eu.new');
    $m = null;
    pump($ch, function () use ($ch, $q, &$m) { return ($m = $ch->basic_get($q, true)) !== null; }, 'the message after reconnect');
    eq($m->getBody(), 'after', 'message after reconnect');
    $ch->queue_delete($q);
    $ch->exchange_delete($x);
    $conn->close();
    echo "OK\n";
} catch (Throwable $e) {
    fwrite(STDERR, 'FAIL: ' . get_class($e) . ': ' . $e->getMessage() . "\n" . $e->getTraceAsString() . "\n");
    $code = 1;
}
exit($code);
