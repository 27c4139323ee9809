// Scenario "confirms": publisher confirms from Go (Confirm + NotifyPublish, and a deferred confirmation): every
// publish to a durable queue is acked, in order, with delivery tags 1..N. Seeds: 003_* (FastAPI guide: reliability,
// "Messages are stored durably"), 001_* (KrakenD producer); confirms are how a Go producer knows a message is safe.
package main

import (
	"context"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("confirms", "publisher confirms: NotifyPublish acks 1..N in order, deferred confirm", confirms)
}

func confirms(url, prefix string, _ []string) {
	q := name(prefix, "go-confirms")
	deleteLater([]string{q}, nil)
	conn := dial(url)
	defer conn.Close()
	ch := channel(conn)
	_, err := ch.QueueDeclare(q, true, false, false, false, nil)
	must(err, "QueueDeclare")
	must(ch.Confirm(false), "Confirm (confirm.select)")
	acks := ch.NotifyPublish(make(chan amqp.Confirmation, 100))

	const n = 20
	logf("publishing %d persistent messages in confirm mode", n)
	for i := 0; i < n; i++ {
		eq(ch.GetNextPublishSeqNo(), uint64(i+1), "next publish sequence number")
		must(ch.Publish("", q, false, false, amqp.Publishing{
			DeliveryMode: amqp.Persistent, Body: []byte(fmt.Sprintf("c-%d", i)),
		}), "Publish")
	}
	for i := 1; i <= n; i++ {
		select {
		case c := <-acks:
			eq(c.DeliveryTag, uint64(i), "confirmation delivery tag (in order)")
			eq(c.Ack, true, fmt.Sprintf("confirmation %d is an ack", i))
		case <-time.After(5 * time.Second):
			failf("timed out waiting for confirmation %d of %d", i, n)
		}
	}

	logf("a deferred confirmation")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", q, false, false, amqp.Publishing{Body: []byte("deferred")})
	must(err, "PublishWithDeferredConfirmWithContext")
	check(dc != nil, "a deferred confirmation is returned in confirm mode")
	done := make(chan bool, 1)
	go func() { done <- dc.Wait() }()
	select {
	case ok := <-done:
		eq(ok, true, "deferred confirmation is an ack")
	case <-time.After(5 * time.Second):
		failf("timed out waiting for the deferred confirmation")
	}
	eq(dc.DeliveryTag, uint64(n+1), "deferred confirmation delivery tag")

	info, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
	must(err, "QueueDeclarePassive")
	eq(info.Messages, n+1, "confirmed messages in the queue")
}
