// Scenario "workqueue": the task queue with fair dispatch from Go (seeds 004_* pika "Tutorial: Task Queue" and
// 003_* FastAPI guide workers, in the guide's second language): a durable queue, persistent messages,
// Qos(1, 0, false) and manual Ack; a busy worker holding one unacked message gets nothing more while the other worker
// takes the rest; when the busy worker's connection closes, its message is redelivered (Redelivered=true) to the
// other worker.
package main

import (
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

func init() {
	register("workqueue", "durable work queue, Qos(1), manual ack, redelivery after a worker leaves", workqueue)
}

func workqueue(url, prefix string, _ []string) {
	q := name(prefix, "go-tasks")
	deleteLater([]string{q}, nil)
	pconn := dial(url)
	defer pconn.Close()
	pch := channel(pconn)
	_, err := pch.QueueDeclare(q, true, false, false, false, nil)
	must(err, "QueueDeclare durable")

	connA, connB := dial(url), dial(url)
	defer connB.Close()
	chA, chB := channel(connA), channel(connB)
	must(chA.Qos(1, 0, false), "Qos(1) on worker A")
	must(chB.Qos(1, 0, false), "Qos(1) on worker B")
	msgsA, err := chA.Consume(q, "worker-a", false, false, false, false, nil)
	must(err, "Consume on worker A")
	msgsB, err := chB.Consume(q, "worker-b", false, false, false, false, nil)
	must(err, "Consume on worker B")

	const n = 10
	logf("publishing %d persistent tasks", n)
	for i := 0; i < n; i++ {
		must(pch.Publish("", q, false, false, amqp.Publishing{
			DeliveryMode: amqp.Persistent, ContentType: "text/plain", Body: []byte(fmt.Sprintf("task-%d", i)),
		}), "Publish")
	}

	logf("worker A takes one task and stays busy; worker B acks everything else")
	held := recv(msgsA, 5*time.Second, "worker A's first task")
	eq(held.DeliveryMode, uint8(amqp.Persistent), "delivery mode of "+string(held.Body))
	eq(held.Redelivered, false, "redelivered flag of "+string(held.Body))
	seen := map[string]bool{string(held.Body): true}
	for i := 0; i < n-1; i++ {
		d := recv(msgsB, 5*time.Second, fmt.Sprintf("task %d of %d on worker B", i+1, n-1))
		eq(d.DeliveryMode, uint8(amqp.Persistent), "delivery mode of "+string(d.Body))
		eq(d.Redelivered, false, "redelivered flag of "+string(d.Body))
		check(!seen[string(d.Body)], "task %s delivered twice", d.Body)
		seen[string(d.Body)] = true
		must(d.Ack(false), "Ack on worker B")
	}
	nothingMore(msgsA, 300*time.Millisecond, "worker A is busy with one unacked task (Qos 1)")
	eq(len(seen), n, "distinct tasks delivered")

	logf("worker A's connection closes: its unacked task goes to worker B, redelivered")
	must(connA.Close(), "closing worker A")
	d := recv(msgsB, 5*time.Second, "the redelivered task on worker B")
	eq(string(d.Body), string(held.Body), "body of the redelivered task")
	eq(d.Redelivered, true, "redelivered flag after worker A left")
	must(d.Ack(false), "Ack of the redelivered task")
	nothingMore(msgsB, 200*time.Millisecond, "after the redelivery")

	info, err := pch.QueueDeclarePassive(q, true, false, false, false, nil)
	must(err, "QueueDeclarePassive")
	eq(info.Messages, 0, "messages left in the queue")
	eq(info.Consumers, 1, "consumers left on the queue")
}
