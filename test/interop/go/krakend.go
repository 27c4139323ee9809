// Scenario "krakend": the KrakenD AMQP backends (seeds 001_* consumer/producer settings and 002_* v2.2 consumer),
// with the Go client KrakenD is built on and the flags pika cannot send: the topic exchange, the durable queue and
// its '#' binding declared with no_wait=true ("delete": false, "exclusive": false), Consume with auto_ack=false,
// no_local=false, no_wait=true, prefetch_count 10; the producer publishes with mandatory=true, immediate=false and
// sets expiration, reply_to, message_id, priority from the request parameters.
//
// prefetch_size 1024 (the v2.2 example): RabbitMQ refuses it (540 NOT_IMPLEMENTED, closing the connection), so by
// default that is asserted on a separate connection and the consumer uses Qos(10, 0); with
// WARREN_EXPECT_PREFETCH_SIZE=1 the consumer uses Qos(10, 1024) as KrakenD does (Warren implements prefetch_size;
// the messages here are small, so prefetch_count is the binding limit either way).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("krakend", "KrakenD consumer/producer: no_wait declares, Qos 10, mandatory + properties", krakend)
}

func krakend(url, prefix string, _ []string) {
	ex, q := name(prefix, "some-exchange"), name(prefix, "queue-1")
	deleteLater([]string{q}, []string{ex})
	warren := os.Getenv("WARREN_EXPECT_PREFETCH_SIZE") == "1"

	cconn := dial(url)
	defer cconn.Close()
	cch := channel(cconn)
	logf("consumer: no_wait declares of the topic exchange, the durable queue and the '#' binding")
	must(cch.ExchangeDeclare(ex, "topic", true, false, false, true, nil), "ExchangeDeclare noWait")
	_, err := cch.QueueDeclare(q, true, false, false, true, nil)
	must(err, "QueueDeclare noWait")
	must(cch.QueueBind(q, "#", ex, true, nil), "QueueBind noWait")

	if warren {
		logf("Qos(10, 1024): prefetch_size accepted (WARREN_EXPECT_PREFETCH_SIZE=1)")
		must(cch.Qos(10, 1024, false), "Qos(10, 1024)")
	} else {
		logf("Qos(10, 1024) is refused by RabbitMQ with 540 NOT_IMPLEMENTED; using Qos(10, 0)")
		probe := dial(url)
		err := channel(probe).Qos(10, 1024, false)
		e := amqpError(err, "Qos with prefetch_size 1024 on RabbitMQ (set WARREN_EXPECT_PREFETCH_SIZE=1 for Warren)")
		eq(e.Code, amqp.NotImplemented, "Qos prefetch_size error code ("+e.Reason+")")
		_ = probe.Close()
		must(cch.Qos(10, 0, false), "Qos(10, 0)")
	}
	msgs, err := cch.Consume(q, "krakend-consumer", false, false, false, true, nil)
	must(err, "Consume noWait")
	info, err := cch.QueueDeclarePassive(q, true, false, false, false, nil) // the no_wait calls were all applied
	must(err, "QueueDeclarePassive after the no_wait calls")
	eq(info.Consumers, 1, "consumers on the queue after a no_wait Consume")

	logf("producer: 12 mandatory messages with KrakenD's properties")
	pconn := dial(url)
	defer pconn.Close()
	pch := channel(pconn)
	rets := pch.NotifyReturn(make(chan amqp.Return, 20))
	keys := []string{"", "produce.a", "a.b.c", "orders.created"}
	sent := make([]amqp.Publishing, 12)
	for i := range sent {
		sent[i] = amqp.Publishing{
			Headers:     amqp.Table{"X-Request-Id": fmt.Sprintf("req-%d", i), "Content-Type": "application/json"},
			ContentType: "application/json", Expiration: "60000", ReplyTo: name(prefix, "replies"),
			MessageId: "msg-" + strconv.Itoa(i), Priority: uint8(i % 10), Body: []byte(fmt.Sprintf(`{"n":%d}`, i)),
		}
		must(pch.Publish(ex, keys[i%len(keys)], true, false, sent[i]), "Publish mandatory")
	}

	got := make([]amqp.Delivery, 0, 12)
	for len(got) < 10 {
		got = append(got, recv(msgs, 5*time.Second, fmt.Sprintf("delivery %d of the first 10", len(got)+1)))
	}
	nothingMore(msgs, 300*time.Millisecond, "prefetch_count=10 with 10 unacked deliveries")
	must(got[9].Ack(true), "Ack(multiple) of the first 10")
	for len(got) < 12 {
		got = append(got, recv(msgs, 5*time.Second, fmt.Sprintf("delivery %d after the ack", len(got)+1)))
	}
	must(got[11].Ack(true), "Ack(multiple) of the last 2")

	for i, d := range got {
		w := sent[i]
		what := fmt.Sprintf("message %d", i)
		eq(string(d.Body), string(w.Body), what+" body (publish order)")
		eq(d.RoutingKey, keys[i%len(keys)], what+" routing key")
		eq(d.Exchange, ex, what+" exchange")
		eq(d.Expiration, w.Expiration, what+" expiration")
		eq(d.ReplyTo, w.ReplyTo, what+" reply_to")
		eq(d.MessageId, w.MessageId, what+" message_id")
		eq(d.Priority, w.Priority, what+" priority")
		eq(d.ContentType, w.ContentType, what+" content_type")
		eq(d.Headers, w.Headers, what+" headers")
	}
	select {
	case r := <-rets:
		failf("routed mandatory message returned: %d %s %q", r.ReplyCode, r.ReplyText, r.Body)
	case <-time.After(100 * time.Millisecond):
	}

	logf("an unroutable mandatory message comes back 312 NO_ROUTE")
	empty := name(prefix, "no-binding")
	deleteLater(nil, []string{empty})
	must(pch.ExchangeDeclare(empty, "topic", true, false, false, false, nil), "ExchangeDeclare")
	must(pch.Publish(empty, "x", true, false, sent[0]), "Publish mandatory unroutable")
	select {
	case r := <-rets:
		eq(r.ReplyCode, uint16(amqp.NoRoute), "return reply code")
		eq(r.MessageId, sent[0].MessageId, "returned message_id")
		eq(string(r.Body), string(sent[0].Body), "returned body")
	case <-time.After(5 * time.Second):
		failf("timed out waiting for basic.return of the unroutable mandatory message")
	}
}
