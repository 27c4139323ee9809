// Scenario "heartbeat": a connection with amqp.Config{Heartbeat: 2 * time.Second} negotiates a 2 s heartbeat and
// stays alive while idle for 5 s. amqp091-go closes the connection when nothing arrives from the server for
// 3 half-intervals (3 s here), so this only passes if the broker sends heartbeats; the bytes the client reads while
// idle are counted to show them. Seeds: 003_* (FastAPI guide: ConnectionParameters(heartbeat=600) in the
// production-ready client), 004_* (ports).
package main

import (
	"net"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("heartbeat", "Heartbeat: 2s, idle for 5s, connection still alive", heartbeat)
}

type countingConn struct {
	net.Conn
	read *int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	atomic.AddInt64(c.read, int64(n))
	return n, err
}

func heartbeat(url, prefix string, _ []string) {
	var read int64
	dialer := amqp.DefaultDial(5 * time.Second)
	conn, err := amqp.DialConfig(url, amqp.Config{
		Heartbeat: 2 * time.Second,
		Dial: func(network, addr string) (net.Conn, error) {
			c, err := dialer(network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, read: &read}, nil
		},
	})
	must(err, "DialConfig with Heartbeat 2s")
	defer conn.Close()
	eq(conn.Config.Heartbeat, 2*time.Second, "negotiated heartbeat")
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))

	logf("idle for 5s")
	before := atomic.LoadInt64(&read)
	select {
	case e := <-closed:
		failf("the idle connection was closed after %d bytes from the broker: %v", atomic.LoadInt64(&read)-before, e)
	case <-time.After(5 * time.Second):
	}
	idleBytes := atomic.LoadInt64(&read) - before
	check(idleBytes >= 8, "the broker sent %d bytes during 5s idle; heartbeat frames (8 bytes each) were expected", idleBytes)
	check(!conn.IsClosed(), "the connection should still be open")

	logf("the connection still works after the idle period (%d bytes of heartbeats received)", idleBytes)
	ch := channel(conn)
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	must(err, "QueueDeclare after idling")
	must(ch.Publish("", q.Name, false, false, amqp.Publishing{Body: []byte("still here")}), "Publish after idling")
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, ok, err := ch.Get(q.Name, true)
		must(err, "Get after idling")
		if ok {
			eq(string(d.Body), "still here", "body")
			break
		}
		check(time.Now().Before(deadline), "the message published after idling never arrived")
		time.Sleep(20 * time.Millisecond)
	}
	_ = prefix
}
