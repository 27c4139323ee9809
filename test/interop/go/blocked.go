// Scenario "blocked" (run against a broker whose memory alarm is in effect from the start, watermark 0):
// the connection that publishes gets NotifyBlocked {Active: true, Reason: "low on memory"} as RabbitMQ sends
// it (rabbit_reader: at the first publish during the alarm); a connection that only consumes is not told
// anything and keeps consuming and acking, so consumers can drain what filled memory.
package main

import (
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("blocked", "memory alarm in effect: the publisher gets NotifyBlocked, a consumer-only connection does not", blocked)
}

func blocked(url, prefix string, _ []string) {
	sub := dial(url)
	defer sub.Close()
	subBlocked := sub.NotifyBlocked(make(chan amqp.Blocking, 4))
	sch := channel(sub)
	q := name(prefix, "q")
	_, err := sch.QueueDeclare(q, false, true, false, false, nil)
	must(err, "QueueDeclare during the alarm")
	deliveries, err := sch.Consume(q, "", false, false, false, false, nil)
	must(err, "Consume during the alarm")

	// not closed at the end: the broker reads a blocked connection again only once the alarm clears
	pub := dial(url)
	pubBlocked := pub.NotifyBlocked(make(chan amqp.Blocking, 4))
	pch := channel(pub)
	logf("publish during the alarm")
	must(pch.Publish("", q, false, false, amqp.Publishing{Body: []byte("m")}), "Publish")
	select {
	case b := <-pubBlocked:
		eq(b, amqp.Blocking{Active: true, Reason: "low on memory"}, "NotifyBlocked on the publisher")
	case <-time.After(5 * time.Second):
		failf("the publishing connection got no connection.blocked")
	}
	d := recv(deliveries, 5*time.Second, "the message published before the block")
	eq(string(d.Body), "m", "body")
	must(d.Ack(false), "Ack during the alarm")
	select {
	case b := <-subBlocked:
		failf("the consumer-only connection was told %+v", b)
	case <-time.After(500 * time.Millisecond):
	}
	logf("the consumer-only connection was not blocked and acked")
}
