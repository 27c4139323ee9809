// Scenario "fanout": the FastAPI guide's Go shipping service (seed 003_*, "shipping-service/main.go"): declare the
// durable 'orders' fanout exchange, a server-named exclusive queue, bind it, consume with manual ack, and receive the
// order.created events a producer publishes.
//
// Without options the program publishes the 3 events itself from a second connection; with --external it prints
// "READY <exchange>" once bound and waits for another client (test/interop/python/order_service.py, the guide's
// Python orders service) to publish them: the cross-language microservices flow of the guide.
package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

type Item struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

type OrderEvent struct {
	Event      string `json:"event"`
	OrderID    string `json:"order_id"`
	CustomerID string `json:"customer_id"`
	Items      []Item `json:"items"`
}

func init() {
	register("fanout", "FastAPI guide Go shipping service: fanout exchange, exclusive server-named queue", fanout)
}

func fanout(url, prefix string, args []string) {
	exchange := name(prefix, "orders")
	external := hasArg(args, "--external")
	const count = 3
	deleteLater(nil, []string{exchange})

	conn := dial(url)
	defer conn.Close()
	ch := channel(conn)
	must(ch.ExchangeDeclare(exchange, "fanout", true, false, false, false, nil), "ExchangeDeclare fanout")
	q, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(err, "QueueDeclare server-named exclusive")
	check(strings.HasPrefix(q.Name, "amq.gen-"), "server-named queue should look like amq.gen-..., got %q", q.Name)
	must(ch.QueueBind(q.Name, "", exchange, false, nil), "QueueBind")
	msgs, err := ch.Consume(q.Name, "", false, false, false, false, nil)
	must(err, "Consume")

	if external {
		fmt.Printf("READY %s\n", exchange)
	} else {
		logf("publishing %d order.created events from another connection", count)
		pconn := dial(url)
		pch := channel(pconn)
		for i := 0; i < count; i++ {
			body, _ := json.Marshal(OrderEvent{
				Event: "order.created", OrderID: fmt.Sprintf("order-%d", i), CustomerID: "c-1",
				Items: []Item{{ProductID: "p-1", Quantity: i + 1}},
			})
			must(pch.Publish(exchange, "", false, false, amqp.Publishing{ContentType: "application/json", Body: body}), "Publish")
		}
		must(pconn.Close(), "closing the publisher connection")
	}

	for i := 0; i < count; i++ {
		d := recv(msgs, 10*time.Second, fmt.Sprintf("order event %d", i))
		var event OrderEvent
		must(json.Unmarshal(d.Body, &event), fmt.Sprintf("decoding %q", d.Body))
		eq(event.Event, "order.created", "event type")
		eq(event.OrderID, fmt.Sprintf("order-%d", i), "order id (publish order)")
		check(len(event.Items) == 1 && event.Items[0].Quantity == i+1, "items of order %d: %#v", i, event.Items)
		eq(d.Exchange, exchange, "delivery exchange")
		eq(d.Redelivered, false, "redelivered flag")
		logf("created shipping label for order %s", event.OrderID)
		must(d.Ack(false), "Ack")
	}
	nothingMore(msgs, 300*time.Millisecond, "after the expected events")
}
