// Scenario "passive404": QueueDeclarePassive (and ExchangeDeclarePassive) of something that does not exist fails
// with an *amqp.Error Code 404 NOT_FOUND, the channel is closed (NotifyClose reports it, further calls return
// ErrClosed) and the connection stays usable. Seeds: 004_* (pika tutorials: "RabbitMQ will drop the message if a
// queue does not exist", "Ensure the queue exists"); every seed client checks for queues this way.
package main

import (
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("passive404", "passive declare of a missing queue/exchange: channel error 404", passive404)
}

func passive404(url, prefix string, _ []string) {
	conn := dial(url)
	defer conn.Close()
	ch := channel(conn)
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	missing := name(prefix, "missing-queue")

	logf("QueueDeclarePassive(%s)", missing)
	_, err := ch.QueueDeclarePassive(missing, false, false, false, false, nil)
	e := amqpError(err, "QueueDeclarePassive of a missing queue")
	eq(e.Code, amqp.NotFound, "error code")
	check(strings.HasPrefix(e.Reason, "NOT_FOUND"), "error reason should start with NOT_FOUND, got %q", e.Reason)
	check(strings.Contains(e.Reason, missing), "error reason should name the queue, got %q", e.Reason)
	eq(e.Server, true, "the error comes from the server")
	select {
	case ce := <-closed:
		check(ce != nil && ce.Code == amqp.NotFound, "NotifyClose should report 404, got %v", ce)
	case <-time.After(2 * time.Second):
		failf("NotifyClose did not report the channel closure")
	}
	check(ch.IsClosed(), "the channel should be closed after the 404")
	_, err = ch.QueueDeclare(name(prefix, "after"), false, true, true, false, nil)
	eq(err, amqp.ErrClosed, "calls on the closed channel")

	logf("the connection is still usable; ExchangeDeclarePassive of a missing exchange is 404 too")
	check(!conn.IsClosed(), "the connection should survive a channel error")
	ch2 := channel(conn)
	err = ch2.ExchangeDeclarePassive(name(prefix, "missing-exchange"), "direct", false, false, false, false, nil)
	eq(amqpError(err, "ExchangeDeclarePassive of a missing exchange").Code, amqp.NotFound, "error code")

	ch3 := channel(conn)
	q, err := ch3.QueueDeclare("", false, true, true, false, nil)
	must(err, "QueueDeclare on a new channel")
	info, err := ch3.QueueDeclarePassive(q.Name, false, true, true, false, nil)
	must(err, "QueueDeclarePassive of an existing queue")
	eq(info.Name, q.Name, "passive declare-ok queue name")
	eq(info.Messages, 0, "passive declare-ok message count")
}
