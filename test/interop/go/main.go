// Interop scenarios for the Go client github.com/rabbitmq/amqp091-go (Debian: golang-github-rabbitmq-amqp091-go-dev),
// the maintained successor of github.com/streadway/amqp that the seeds' Go code uses.
//
// One program, one scenario per file (fanout.go, workqueue.go, ...), so that the test suite builds it once:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o warren-interop-go .
//	./warren-interop-go SCENARIO AMQP_URL NAME_PREFIX [options]
//
// Each scenario exits 0 and prints OK on success, exits 1 with "FAIL: ..." on stderr on a failed assertion, and
// exits 3 if its watchdog fires: it never hangs, whatever the broker does.
package main

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

type scenario struct {
	run  func(url, prefix string, args []string)
	help string
}

var scenarios = map[string]scenario{}

func register(name, help string, run func(url, prefix string, args []string)) {
	scenarios[name] = scenario{run: run, help: help}
}

// failure is what check/failf panic with; main turns it into exit code 1.
type failure struct{ msg string }

func failf(format string, a ...interface{}) {
	panic(failure{fmt.Sprintf(format, a...)})
}

func check(cond bool, format string, a ...interface{}) {
	if !cond {
		failf(format, a...)
	}
}

func eq(actual, expected interface{}, what string) {
	if !reflect.DeepEqual(actual, expected) {
		failf("%s: expected %#v, got %#v", what, expected, actual)
	}
}

func must(err error, what string) {
	if err != nil {
		failf("%s: %v", what, err)
	}
}

func logf(format string, a ...interface{}) {
	fmt.Printf("- "+format+"\n", a...)
}

func dial(url string) *amqp.Connection {
	conn, err := amqp.DialConfig(url, amqp.Config{
		Heartbeat: 10 * time.Second,
		Locale:    "en_US",
		Dial:      amqp.DefaultDial(5 * time.Second),
	})
	must(err, "connecting to "+url)
	return conn
}

func channel(conn *amqp.Connection) *amqp.Channel {
	ch, err := conn.Channel()
	must(err, "opening a channel")
	return ch
}

// recv waits for the next delivery, failing after timeout.
func recv(msgs <-chan amqp.Delivery, timeout time.Duration, what string) amqp.Delivery {
	select {
	case d, ok := <-msgs:
		check(ok, "%s: the delivery channel closed (consumer cancelled or channel/connection closed)", what)
		return d
	case <-time.After(timeout):
		failf("timed out after %s waiting for %s", timeout, what)
	}
	return amqp.Delivery{}
}

// nothingMore checks that no delivery arrives within d.
func nothingMore(msgs <-chan amqp.Delivery, d time.Duration, what string) {
	select {
	case m, ok := <-msgs:
		if ok {
			failf("%s: unexpected delivery %q", what, m.Body)
		}
	case <-time.After(d):
	}
}

// amqpError extracts the *amqp.Error a failed call returned.
func amqpError(err error, what string) *amqp.Error {
	check(err != nil, "%s: expected an error from the broker, the call succeeded", what)
	e, ok := err.(*amqp.Error)
	check(ok, "%s: expected an *amqp.Error, got %T %v", what, err, err)
	return e
}

var cleanupQueues, cleanupExchanges []string

func deleteLater(queues []string, exchanges []string) {
	cleanupQueues = append(cleanupQueues, queues...)
	cleanupExchanges = append(cleanupExchanges, exchanges...)
}

func cleanup(url string) {
	if len(cleanupQueues)+len(cleanupExchanges) == 0 {
		return
	}
	conn, err := amqp.DialConfig(url, amqp.Config{Dial: amqp.DefaultDial(5 * time.Second)})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cleanup: %v\n", err)
		return
	}
	defer conn.Close()
	for _, q := range cleanupQueues {
		if ch, err := conn.Channel(); err == nil {
			_, _ = ch.QueueDelete(q, false, false, false)
			_ = ch.Close()
		}
	}
	for _, x := range cleanupExchanges {
		if ch, err := conn.Channel(); err == nil {
			_ = ch.ExchangeDelete(x, false, false)
			_ = ch.Close()
		}
	}
}

func usage() {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: %s SCENARIO AMQP_URL NAME_PREFIX [options]\nscenarios:\n", os.Args[0])
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", n, scenarios[n].help)
	}
	os.Exit(64)
}

func hasArg(args []string, flag string) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
	}
	return false
}

func main() {
	if len(os.Args) < 4 {
		usage()
	}
	s, ok := scenarios[os.Args[1]]
	if !ok {
		usage()
	}
	url, prefix := os.Args[2], os.Args[3]
	go func() {
		time.Sleep(40 * time.Second)
		fmt.Fprintf(os.Stderr, "TIMEOUT: scenario %s did not finish within 40s\n", os.Args[1])
		os.Exit(3)
	}()
	code := 0
	func() {
		defer func() {
			if r := recover(); r != nil {
				if f, ok := r.(failure); ok {
					fmt.Fprintf(os.Stderr, "FAIL: %s\n", f.msg)
				} else {
					fmt.Fprintf(os.Stderr, "ERROR: panic: %v\n", r)
				}
				code = 1
			}
		}()
		s.run(url, prefix, os.Args[4:])
	}()
	cleanup(url)
	if code == 0 {
		fmt.Println("OK")
	}
	os.Exit(code)
}

// name joins the prefix and a suffix into a broker-unique name.
func name(prefix, suffix string) string { return strings.Join([]string{prefix, suffix}, ".") }
