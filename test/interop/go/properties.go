// Scenario "properties": every property amqp091-go can send (13: it has no cluster-id) and a headers table with
// every field type it encodes (int8 'b', uint8 'B', int16 's', int32 'I', int64 'l' including negatives, float32 'f',
// float64 'd', decimal 'D', string 'S', byte array 'x', timestamp 'T', void 'V', nested table 'F', array 'A')
// round-trip through the broker unchanged, via a consumer and via Get. Seeds: 001_*/002_* (KrakenD passes request
// headers and parameters as message properties), 003_* (content types, JSON bodies).
package main

import (
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("properties", "13 properties and a headers table with every field type", properties)
}

// normalize makes decoded tables comparable with reflect.DeepEqual (time.Time carries a location).
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case time.Time:
		return t.Unix()
	case amqp.Table:
		out := amqp.Table{}
		for k, x := range t {
			out[k] = normalize(x)
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, x := range t {
			out[i] = normalize(x)
		}
		return out
	}
	return v
}

func properties(url, prefix string, _ []string) {
	q := name(prefix, "go-props")
	deleteLater([]string{q}, nil)
	conn := dial(url)
	defer conn.Close()
	ch := channel(conn)
	_, err := ch.QueueDeclare(q, false, false, false, false, nil)
	must(err, "QueueDeclare")

	headers := amqp.Table{
		"int8": int8(-8), "uint8": uint8(200), "int16": int16(-300), "int32": int32(-70000),
		"int64": int64(-1 << 40), "int64-max": int64(1<<63 - 1), "float32": float32(1.5), "float64": float64(-2.25),
		"decimal": amqp.Decimal{Scale: 2, Value: 314}, "string": "h\u00e9llo \u2713", "empty": "",
		"bytes": []byte{0, 1, 254, 255}, "timestamp": time.Unix(1700000000, 0), "void": nil, "bool": true,
		"table": amqp.Table{"nested": amqp.Table{"deep": "x", "n": int32(1)}, "list": []interface{}{"a", int32(2)}},
		"array": []interface{}{int32(1), "two", false, nil, []interface{}{float64(3.5)}, amqp.Table{"k": "v"}},
	}
	user := "guest"
	if u, err := amqp.ParseURI(url); err == nil {
		user = u.Username
	}
	pub := amqp.Publishing{
		Headers: headers, ContentType: "application/octet-stream", ContentEncoding: "identity",
		DeliveryMode: amqp.Persistent, Priority: 9, CorrelationId: "corr-1", ReplyTo: "reply.queue",
		Expiration: "60000", MessageId: "m-1", Timestamp: time.Unix(1700000123, 0), Type: "event.type",
		UserId: user, AppId: "warren-interop-go", Body: []byte{0, 'x', 255},
	}
	compare := func(d amqp.Delivery, how string) {
		eq(d.Body, pub.Body, how+" body")
		eq(d.ContentType, pub.ContentType, how+" content_type")
		eq(d.ContentEncoding, pub.ContentEncoding, how+" content_encoding")
		eq(d.DeliveryMode, pub.DeliveryMode, how+" delivery_mode")
		eq(d.Priority, pub.Priority, how+" priority")
		eq(d.CorrelationId, pub.CorrelationId, how+" correlation_id")
		eq(d.ReplyTo, pub.ReplyTo, how+" reply_to")
		eq(d.Expiration, pub.Expiration, how+" expiration")
		eq(d.MessageId, pub.MessageId, how+" message_id")
		eq(d.Timestamp.Unix(), pub.Timestamp.Unix(), how+" timestamp")
		eq(d.Type, pub.Type, how+" type")
		eq(d.UserId, pub.UserId, how+" user_id")
		eq(d.AppId, pub.AppId, how+" app_id")
		eq(normalize(d.Headers), normalize(headers), how+" headers")
	}

	logf("publish twice; read one with Get, one with a consumer")
	must(ch.Publish("", q, false, false, pub), "Publish 1")
	must(ch.Publish("", q, false, false, pub), "Publish 2")
	var got amqp.Delivery
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, ok, err := ch.Get(q, true)
		must(err, "Get")
		if ok {
			got = d
			break
		}
		check(time.Now().Before(deadline), "Get never returned the published message")
		time.Sleep(20 * time.Millisecond)
	}
	compare(got, "Get:")
	msgs, err := ch.Consume(q, "", true, false, false, false, nil)
	must(err, "Consume")
	compare(recv(msgs, 5*time.Second, "the second message"), "consumer:")
}
