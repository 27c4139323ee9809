#!/usr/bin/env bash
# A second RabbitMQ (Debian's, the anchor's version and plugins) for the memory-at-scale runs, with a file
# descriptor limit high enough for 10,000 connections. The anchor (../shared/anchor/start-rabbitmq.sh) runs
# under `su`, whose pam_limits leaves it the soft limit 1024 (rabbitmqctl status: "limit: 927"), too low for
# this, and it is shared: this one is ours to fill with 100,000 queues and to stop.
# usage: bench/memory/start-rabbitmq.sh [DIR]    ports: AMQP 5701, management 15701 (everything else +1..)
# stop:  rabbitmqctl -n scale@localhost stop
set -euo pipefail
dir=${1:-$(mktemp -d /tmp/rabbit-scale.XXXXXX)}
nofile=${NOFILE:-$(ulimit -Hn)}
mkdir -p "$dir/mnesia" "$dir/log"
echo '[rabbitmq_management,rabbitmq_prometheus,rabbitmq_mqtt,rabbitmq_stomp,rabbitmq_stream,rabbitmq_web_stomp,rabbitmq_web_mqtt].' >"$dir/enabled_plugins"
cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 5701
management.tcp.port = 15701
prometheus.tcp.port = 15702
mqtt.listeners.tcp.default = 1884
stomp.listeners.tcp.default = 61701
stream.listeners.tcp.default = 5553
web_stomp.tcp.port = 15703
web_mqtt.tcp.port = 15704
CONF
chown -R rabbitmq:rabbitmq "$dir"
# setpriv, not su: no PAM session, so the limit set here (up to the hard limit) is the one beam.smp gets
ulimit -Sn "$nofile"
(
  cd /var/lib/rabbitmq
  export HOME=/var/lib/rabbitmq RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
    RABBITMQ_NODENAME=scale@localhost RABBITMQ_NODE_PORT=5701 RABBITMQ_DIST_PORT=25701 \
    RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
  setsid setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/server.out" 2>&1 &
)
for _ in $(seq 60); do
  rabbitmqctl -n scale@localhost -q status >/dev/null 2>&1 && { echo "RabbitMQ scale@localhost up on 5701, data in $dir"; exit 0; }
  sleep 1
done
echo "RabbitMQ scale@localhost did not start; see $dir/server.out" >&2
exit 1
