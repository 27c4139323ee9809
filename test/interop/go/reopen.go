// Scenario "reopen": the way issue 17's UNEXPECTED_FRAME bug shows up. Goroutines (GOMAXPROCS >= 4) publish
// concurrently on one channel to a missing exchange; the broker closes the channel with 404 while many publishes
// are still on the wire (their content frames arrive after the close: amqp0-9-1.xml channel.close says the
// broker discards them); the channel is reopened at once on the same number (ChannelMax 1) and the loop goes
// again. The connection must survive every round (RabbitMQ keeps it) and the last channel must work.
package main

import (
	"runtime"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("reopen", "concurrent publishes to a missing exchange, 404, channel reopened at once, many rounds", reopen)
}

func reopen(url, prefix string, _ []string) {
	if runtime.GOMAXPROCS(0) < 4 {
		runtime.GOMAXPROCS(4)
	}
	// ChannelMax 1: every reopened channel gets number 1 again (amqp091-go allocates round-robin otherwise)
	conn, err := amqp.DialConfig(url, amqp.Config{
		Heartbeat:  10 * time.Second,
		Locale:     "en_US",
		ChannelMax: 1,
		FrameSize:  4096,
		Dial:       amqp.DefaultDial(5 * time.Second),
	})
	must(err, "connecting to "+url)
	defer conn.Close()
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))
	missing := name(prefix, "missing")
	const rounds, workers = 40, 8

	for round := 0; round < rounds; round++ {
		ch := reopenChannel(conn)
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				// bodies of 1 to 3 frames, so the close lands between frames of a publish too
				body := []byte(strings.Repeat("x", 10+(w*1500)%9000))
				for i := 0; i < 2000; i++ {
					if ch.Publish(missing, "k", false, false, amqp.Publishing{Body: body}) != nil {
						return
					}
				}
			}(w)
		}
		select {
		case e := <-closed:
			check(e != nil && e.Code == amqp.NotFound, "round %d: the channel should close with 404, got %v", round, e)
		case e := <-connClosed:
			failf("round %d: the connection closed: %v", round, e)
		case <-time.After(10 * time.Second):
			failf("round %d: no channel.close for the publishes to a missing exchange", round)
		}
		wg.Wait()
	}
	logf("%d rounds of %d concurrent publishers: the connection is still open", rounds, workers)
	check(!conn.IsClosed(), "the connection should survive every round")

	ch := reopenChannel(conn)
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	must(err, "QueueDeclare on the last channel")
	must(ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte("after")}), "Publish")
	var d amqp.Delivery
	var ok bool
	for i := 0; i < 50 && !ok; i++ {
		d, ok, err = ch.Get(q.Name, true)
		must(err, "Get")
		if !ok {
			time.Sleep(20 * time.Millisecond)
		}
	}
	check(ok, "the message published on the last channel should be there")
	eq(string(d.Body), "after", "body")
	select {
	case e := <-connClosed:
		failf("the connection closed: %v", e)
	default:
	}
}

// reopenChannel opens channel 1 again. amqp091-go delivers NotifyClose before it has released the closed
// channel's id in its allocator, so with ChannelMax 1 an immediate Channel() can fail on the client side with
// ErrChannelMax ("channel id space exhausted", no frame sent) under load; the broker is not involved: retry
// that one client-side error for up to a second.
func reopenChannel(conn *amqp.Connection) *amqp.Channel {
	for i := 0; ; i++ {
		ch, err := conn.Channel()
		if err == nil {
			return ch
		}
		if err != amqp.ErrChannelMax || i >= 100 {
			must(err, "opening a channel")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
