#!/usr/bin/env bash
# rabbitmq-stream-js-client's own test suite (mocha, the e2e and unit tests its npm package ships) against
# Warren, set up as the client's CI sets up RabbitMQ (.github/workflows/main.yml): a user test-user /
# test-password, a user for EXTERNAL logins over TLS (O=client,CN=localhost), the super stream
# `super-stream-test` with 2 partitions, TLS on 5551 with a CA and a client certificate in
# ./tls-gen/basic/result. Run on purpose (it needs the npm registry for the suite's dev dependencies, and the
# default ports 5552, 5551, 5672 and 15672 free: the suite has some of them written in), not in `npm test`:
#   npm run test:stream-client            (or: bash scripts/stream-client-suite.sh [mocha args, e.g. -g dedup])
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/warren-stream-suite.XXXXXX)
echo "suite in $work"
cp -r "$repo/node_modules/rabbitmq-stream-js-client" "$work/suite"
cd "$work/suite"
npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null

# certificates: a CA, the server's (localhost), a client's with subject CN=localhost,O=client (tls-gen's order,
# so the EXTERNAL user name is O=client,CN=localhost as RabbitMQ derives it)
certs=tls-gen/basic/result
mkdir -p "$certs"
(
  cd "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca_key.pem -out ca_certificate.pem -days 2 -subj /CN=SuiteCA 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout server_key.pem -out server.csr -subj /CN=localhost 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
  openssl x509 -req -in server.csr -CA ca_certificate.pem -CAkey ca_key.pem -CAcreateserial -days 2 \
    -out server_certificate.pem -extfile server.ext 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout client_localhost_key.pem -out client.csr -subj /CN=localhost/O=client 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl x509 -req -in client.csr -CA ca_certificate.pem -CAkey ca_key.pem -CAcreateserial -days 2 \
    -out client_localhost_certificate.pem -extfile client.ext 2>/dev/null
)

node --max-semi-space-size=4 --initial-old-space-size=64 "$repo/bin/warren" server --data-dir "$work/data" --bind 127.0.0.1 --log-level warn \
  --tls-cert "$certs/server_certificate.pem" --tls-key "$certs/server_key.pem" --tls-ca "$certs/ca_certificate.pem" \
  --tls-verify-peer >"$work/warren.log" 2>&1 &
warren=$!
trap 'kill $warren 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null && break; sleep 0.2; done
ctl() { node "$repo/bin/warren" ctl -q "$@" >/dev/null; }
ctl add_user test-user test-password
ctl set_user_tags test-user administrator
ctl set_permissions -p / test-user '.*' '.*' '.*'
ctl add_user 'O=client,CN=localhost' ''
ctl set_permissions -p / 'O=client,CN=localhost' '.*' '.*' '.*'
ctl add_super_stream super-stream-test --partitions 2

set +e
RABBITMQ_USER=test-user RABBITMQ_PASSWORD=test-password RABBIT_MQ_TEST_NODES=localhost:5552 \
  npx mocha test "$@" 2>&1 | tee "$work/mocha.txt"
rc=${PIPESTATUS[0]}
set -e
echo "mocha exit $rc; output in $work/mocha.txt, the broker's log in $work/warren.log"
exit "$rc"
