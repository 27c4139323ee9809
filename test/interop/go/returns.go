// Scenario "returns": a mandatory publish that no queue receives comes back through NotifyReturn (312 NO_ROUTE)
// with its body and properties, before the publisher confirm that follows it; a non-mandatory unroutable publish is
// just confirmed. Seeds: 001_* (KrakenD producer "mandatory": true), 003_* (FastAPI guide: reliability).
package main

import (
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("returns", "mandatory + NotifyReturn: 312 NO_ROUTE, returned before the confirm", returns)
}

func returns(url, prefix string, _ []string) {
	conn := dial(url)
	defer conn.Close()
	ch := channel(conn)
	rets := ch.NotifyReturn(make(chan amqp.Return, 10))
	must(ch.Confirm(false), "Confirm")
	acks := ch.NotifyPublish(make(chan amqp.Confirmation, 10))
	key := name(prefix, "nobody-bound")

	waitAck := func(what string) amqp.Confirmation {
		select {
		case c := <-acks:
			return c
		case <-time.After(5 * time.Second):
			failf("timed out waiting for the confirmation of %s", what)
		}
		return amqp.Confirmation{}
	}

	logf("mandatory publish to amq.direct with an unbound routing key")
	headers := amqp.Table{"x-trace": "t-1", "n": int32(7)}
	must(ch.Publish("amq.direct", key, true, false, amqp.Publishing{
		ContentType: "application/json", MessageId: "r-1", ReplyTo: "replies", Priority: 3, Expiration: "60000",
		Headers: headers, Body: []byte(`{"lost": true}`),
	}), "Publish mandatory")
	c := waitAck("the unroutable mandatory message")
	eq(c.Ack, true, "an unroutable message is still acked (it was not lost by the broker, just returned)")
	select {
	case r := <-rets:
		eq(r.ReplyCode, uint16(amqp.NoRoute), "return reply code")
		eq(r.ReplyText, "NO_ROUTE", "return reply text")
		eq(r.Exchange, "amq.direct", "return exchange")
		eq(r.RoutingKey, key, "return routing key")
		eq(string(r.Body), `{"lost": true}`, "returned body")
		eq(r.MessageId, "r-1", "returned message id")
		eq(r.ContentType, "application/json", "returned content type")
		eq(r.ReplyTo, "replies", "returned reply-to")
		eq(r.Priority, uint8(3), "returned priority")
		eq(r.Expiration, "60000", "returned expiration")
		eq(r.Headers, headers, "returned headers")
	default:
		failf("basic.return must arrive before the basic.ack of the same message")
	}

	logf("non-mandatory unroutable publish: confirmed, not returned")
	must(ch.Publish("amq.direct", key, false, false, amqp.Publishing{Body: []byte("dropped")}), "Publish")
	eq(waitAck("the unroutable non-mandatory message").Ack, true, "ack of a dropped non-mandatory message")
	select {
	case r := <-rets:
		failf("unexpected basic.return of a non-mandatory message: %q", r.Body)
	case <-time.After(200 * time.Millisecond):
	}
	check(!ch.IsClosed() && !conn.IsClosed(), "returns must not close the channel or the connection")
}
