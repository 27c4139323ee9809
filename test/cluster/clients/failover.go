// An amqp091-go client of a Warren cluster across a failover (issue 14), as Go users configure a RabbitMQ
// cluster: amqp091-go takes one URL, so the program loops over the nodes' URLs until one accepts. One
// connection publishes persistent messages with publisher confirms (batches of 20, NotifyPublish), another
// consumes with manual acks; when either connection closes, both reconnect through the list. JSON lines on
// stdout: {"event":"ready"} once 100 messages are confirmed; {"event":"reconnected","t":ms};
// {"event":"confirmed-again","t":ms} at the first confirm after a reconnect; after "stop" on stdin it
// stops publishing, consumes until every confirmed message came (or 15 s) and prints
// {"event":"result","confirmed":[...],"received":[...],"redelivered":n}.
// Build (GOPATH mode, Debian's golang-github-rabbitmq-amqp091-go-dev, as test/interop/go):
//   GO111MODULE=off GOPATH=/usr/share/gocode go build -o failover failover.go
// usage: failover URL[,URL...] QUEUE
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

var (
	urls  []string
	queue string
	first int

	mu          sync.Mutex
	received    = map[string]bool{}
	redelivered int
)

func emit(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func nowMs() int64 { return time.Now().UnixNano() / 1e6 }

// dial tries the nodes in turn, starting after the one that failed last, until one accepts.
func dial() *amqp.Connection {
	for {
		u := urls[first%len(urls)]
		c, err := amqp.DialConfig(u, amqp.Config{Heartbeat: 2 * time.Second, Dial: amqp.DefaultDial(time.Second)})
		if err == nil {
			return c
		}
		first++
		time.Sleep(100 * time.Millisecond)
	}
}

type session struct {
	pub, con *amqp.Connection
	pch      *amqp.Channel
	acks     chan amqp.Confirmation
	closed   chan struct{} // closed once either connection is
}

func open() *session {
	for {
		s := &session{pub: dial(), con: dial()}
		err := func() error {
			var err error
			if s.pch, err = s.pub.Channel(); err != nil {
				return err
			}
			args := amqp.Table{"x-queue-type": "quorum"}
			if _, err = s.pch.QueueDeclare(queue, true, false, false, false, args); err != nil {
				return err
			}
			if err = s.pch.Confirm(false); err != nil {
				return err
			}
			s.acks = s.pch.NotifyPublish(make(chan amqp.Confirmation, 64))
			cch, err := s.con.Channel()
			if err != nil {
				return err
			}
			if err = cch.Qos(200, 0, false); err != nil {
				return err
			}
			d, err := cch.Consume(queue, "", false, false, false, false, nil)
			if err != nil {
				return err
			}
			go func() {
				for m := range d {
					mu.Lock()
					received[string(m.Body)] = true
					if m.Redelivered {
						redelivered++
					}
					mu.Unlock()
					_ = m.Ack(false)
				}
			}()
			// one channel per connection: the library closes what it was given when its connection ends
			pc := s.pub.NotifyClose(make(chan *amqp.Error, 1))
			cc := s.con.NotifyClose(make(chan *amqp.Error, 1))
			s.closed = make(chan struct{})
			go func() {
				select {
				case <-pc:
				case <-cc:
				}
				close(s.closed)
			}()
			return nil
		}()
		if err == nil {
			return s
		}
		s.close()
		first++
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *session) close() {
	if s.pub != nil {
		_ = s.pub.Close()
	}
	if s.con != nil {
		_ = s.con.Close()
	}
}

// batch publishes n messages and waits for their confirms; the ids acked, and whether the session still works.
func (s *session) batch(seq *int, n int) ([]string, bool) {
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		*seq++
		id := fmt.Sprintf("go-%d", *seq)
		err := s.pch.Publish("", queue, false, false, amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(id)})
		if err != nil {
			return nil, false
		}
		ids = append(ids, id)
	}
	var ok []string
	timeout := time.After(10 * time.Second)
	for range ids {
		select {
		case c, open := <-s.acks:
			if !open {
				return ok, false
			}
			// delivery tags count from 1 on each channel, in publish order within this batch's window
			if c.Ack {
				ok = append(ok, ids[(int(c.DeliveryTag)-1)%n])
			}
		case <-s.closed:
			return ok, false
		case <-timeout:
			return ok, false
		}
	}
	return ok, true
}

func main() {
	urls = strings.Split(os.Args[1], ",")
	queue = os.Args[2]
	stop := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "stop" {
				close(stop)
				return
			}
		}
	}()
	var confirmed []string
	seq := 0
	ready, again := false, false
	s := open()
publishing:
	for {
		select {
		case <-stop:
			break publishing
		default:
		}
		ok, alive := s.batch(&seq, 20)
		confirmed = append(confirmed, ok...)
		if len(ok) > 0 && again {
			again = false
			emit(map[string]interface{}{"event": "confirmed-again", "t": nowMs()})
		}
		if !ready && len(confirmed) >= 100 {
			ready = true
			emit(map[string]interface{}{"event": "ready"})
		}
		if !alive {
			s.close()
			first++
			s = open()
			// tags restart at 1 on the new channel; batches stay aligned because each starts a fresh window
			emit(map[string]interface{}{"event": "reconnected", "t": nowMs()})
			again = true
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		all := true
		for _, id := range confirmed {
			if !received[id] {
				all = false
				break
			}
		}
		mu.Unlock()
		if all {
			break
		}
		select {
		case <-s.closed:
			s.close()
			s = open()
		case <-time.After(50 * time.Millisecond):
		}
	}
	mu.Lock()
	got := make([]string, 0, len(received))
	for id := range received {
		got = append(got, id)
	}
	n := redelivered
	mu.Unlock()
	sort.Strings(got)
	emit(map[string]interface{}{"event": "result", "confirmed": confirmed, "received": got, "redelivered": n})
	s.close()
}
