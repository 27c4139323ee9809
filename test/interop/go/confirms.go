// Scenario "confirms": publisher confirms from Go (Confirm + NotifyPublish): every publish to a durable queue is
// acked, in order, with delivery tags 1..N, and the confirmed messages are all in the queue. (No
// PublishWithDeferredConfirm: in amqp091-go 1.5.0 it registers the deferred confirmation after sending the publish,
// so a fast broker's ack can be lost and Wait() hangs; a client bug, fixed upstream later.) Seeds: 003_* (FastAPI guide: reliability,
// "Messages are stored durably"), 001_* (KrakenD producer); confirms are how a Go producer knows a message is safe.
package main

import (
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("confirms", "publisher confirms: NotifyPublish acks 1..N in order", confirms)
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

	info, err := ch.QueueDeclarePassive(q, true, false, false, false, nil)
	must(err, "QueueDeclarePassive")
	eq(info.Messages, n, "confirmed messages in the queue")
}
