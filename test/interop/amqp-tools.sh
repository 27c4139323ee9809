#!/usr/bin/env bash
# Interop scenario (amqp-tools, the librabbitmq-c command line clients; Debian package amqp-tools): the shell round
# trip of the pika tutorials' first steps (seed 004_*: declare a durable queue, publish to the default exchange,
# receive, "rabbitmqctl list_queues" style counts) and the FastAPI guide's persistent messages (seed 003_*).
#
# What a user observes:
#   1. amqp-declare-queue -d -q NAME prints the queue name; -q '' prints a server-generated amq.gen-... name.
#   2. amqp-publish (persistent, content type, header) then amqp-get prints the body; amqp-get on an empty queue
#      exits with status 2.
#   3. amqp-publish -l publishes one message per stdin line; amqp-consume -c 3 runs its command once per message,
#      in order, acks them, and exits; the queue is then empty.
#   4. amqp-consume -p 1 (prefetch 1) and -A (no-ack) consume too.
#   5. amqp-delete-queue prints the number of messages deleted with the queue; amqp-get on the deleted queue fails
#      (404); deleting it again succeeds and prints 0.
#
# usage: test/interop/amqp-tools.sh AMQP_URL NAME_PREFIX     (exit 0 on success, 1 with FAIL: ... on stderr)
set -u
url=${1:?usage: amqp-tools.sh AMQP_URL NAME_PREFIX}
prefix=${2:?usage: amqp-tools.sh AMQP_URL NAME_PREFIX}
# librabbitmq reads the path "/" as the empty vhost "", unlike pika and amqp091-go (default vhost "/"): drop a
# bare trailing slash so amqp://host:5672/ means the default vhost here too.
case "$url" in
*://*/) [ "${url#*://*/}" = "" ] && url=${url%/} ;;
esac
q="$prefix.amqp-tools"
T=10 # seconds: every command is bounded by timeout(1)

fail() {
  echo "FAIL: $*" >&2
  amqp-delete-queue --url="$url" -q "$q" >/dev/null 2>&1
  [ -n "${genq:-}" ] && amqp-delete-queue --url="$url" -q "$genq" >/dev/null 2>&1
  exit 1
}
# run CMD...: run with a timeout; sets $out (stdout+stderr) and $rc
run() {
  out=$(timeout -k 2 "$T" "$@" 2>&1)
  rc=$?
}
expect() { # expect WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
step() { echo "- $*"; }

step "1. amqp-declare-queue"
run amqp-declare-queue --url="$url" -d -q "$q"
expect "amqp-declare-queue exit status ($out)" 0 "$rc"
expect "amqp-declare-queue output" "$q" "$out"
run amqp-declare-queue --url="$url" -q ''
expect "amqp-declare-queue -q '' exit status ($out)" 0 "$rc"
genq=$out
case "$genq" in amq.gen-*) ;; *) fail "server-named queue should look like amq.gen-..., got '$genq'" ;; esac
run amqp-delete-queue --url="$url" -q "$genq"
expect "deleting the server-named queue ($out)" 0 "$rc"
genq=

step "2. amqp-publish + amqp-get; amqp-get on an empty queue"
run amqp-publish --url="$url" -r "$q" -p -C text/plain -H "x-origin: amqp-tools" -b "hello from amqp-tools"
expect "amqp-publish exit status ($out)" 0 "$rc"
got=""
for _ in $(seq 50); do # the publish is asynchronous: poll like a user would
  run amqp-get --url="$url" -q "$q"
  [ "$rc" = 0 ] && { got=$out; break; }
  [ "$rc" = 2 ] || fail "amqp-get exit status $rc: $out"
  sleep 0.1
done
expect "amqp-get body" "hello from amqp-tools" "$got"
run amqp-get --url="$url" -q "$q"
expect "amqp-get on an empty queue: exit status (output '$out')" 2 "$rc"

step "3. amqp-publish -l (one message per line) + amqp-consume -c 3"
out=$(printf 'line-1\nline-2\nline-3\n' | timeout -k 2 "$T" amqp-publish --url="$url" -r "$q" -l 2>&1)
expect "amqp-publish -l exit status ($out)" 0 "$?"
run amqp-consume --url="$url" -q "$q" -c 3 -- sh -c 'cat; echo'
expect "amqp-consume -c 3 exit status" 0 "$rc"
expect "amqp-consume -c 3 output" "line-1 line-2 line-3" "$(echo $out)"
sleep 0.2
run amqp-get --url="$url" -q "$q"
expect "amqp-get after amqp-consume acked everything: exit status (output '$out')" 2 "$rc"

step "4. amqp-consume -p 1 and -A (no-ack)"
for i in 1 2; do
  run amqp-publish --url="$url" -r "$q" -b "p-$i"
  expect "amqp-publish exit status ($out)" 0 "$rc"
done
run amqp-consume --url="$url" -q "$q" -c 1 -p 1 -- sh -c 'cat; echo'
expect "amqp-consume -p 1 output (exit $rc)" "p-1" "$out"
run amqp-consume --url="$url" -q "$q" -c 1 -A -- sh -c 'cat; echo'
expect "amqp-consume -A output (exit $rc)" "p-2" "$out"

step "5. amqp-delete-queue reports the messages it deleted"
for i in 1 2; do
  run amqp-publish --url="$url" -r "$q" -b "doomed-$i"
  expect "amqp-publish exit status ($out)" 0 "$rc"
done
sleep 0.3 # publishes are routed asynchronously
run amqp-delete-queue --url="$url" -q "$q"
expect "amqp-delete-queue exit status ($out)" 0 "$rc"
expect "amqp-delete-queue output: messages deleted with the queue" 2 "$out"
run amqp-get --url="$url" -q "$q"
expect "amqp-get on a deleted queue: exit status" 1 "$rc"
case "$out" in *404*) ;; *) fail "amqp-get on a deleted queue should report 404, got '$out'" ;; esac
run amqp-delete-queue --url="$url" -q "$q"
expect "deleting a missing queue: exit status ($out)" 0 "$rc"
expect "deleting a missing queue: output" 0 "$out"
echo OK
