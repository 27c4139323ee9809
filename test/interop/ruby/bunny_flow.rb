# Interop scenario (Ruby, Bunny): what Bunny users do, with its automatic connection recovery.
#
# What a user observes:
#   1. Topology and confirms: a topic exchange, a durable queue bound with a pattern, 50 persistent publishes in
#      confirm mode (wait_for_confirms is true); a manual-ack consumer gets them in order with their properties.
#   2. Prefetch: with ch.prefetch(2) a consumer that does not ack holds 2 messages, no more.
#   3. Mandatory publish with no route: the return handler gets 312 NO_ROUTE.
#   4. Dead-lettering: reject without requeue lands in the dead-letter queue with x-death.
#   5. RPC over direct reply-to (amq.rabbitmq.reply-to) with correlation ids.
#   6. Transactions: tx_select, publish, rollback (nothing arrives), publish, commit.
#   7. Channel errors: a passive declare of a missing queue raises Bunny::NotFound and closes that channel only.
#   8. Clean-up after auto-delete: unbinding from an auto-delete exchange that already went, deleting twice.
#   9. Automatic recovery: the connection is closed from the management API (DELETE /api/connections/NAME);
#      Bunny reconnects, recovers its exchanges, server-named queue, bindings and consumer; a message published
#      afterwards reaches the consumer.
#
# usage: ruby bunny_flow.rb AMQP_URL NAME_PREFIX   (WARREN_MANAGEMENT_URL for step 9)
require 'bunny'
require 'json'
require 'net/http'
require 'securerandom'
require 'uri'

url_arg, PREFIX = ARGV
abort "usage: #{$PROGRAM_NAME} AMQP_URL NAME_PREFIX" unless url_arg && PREFIX
# Per the AMQP URI spec (which Bunny follows) a trailing '/' names the vhost '': drop it to mean the default '/'
URL = url_arg.sub(%r{/\z}, '')
MGMT = ENV.fetch('WARREN_MANAGEMENT_URL', 'http://localhost:15672')
Thread.new do
  sleep 45
  warn 'TIMEOUT: bunny_flow.rb did not finish within 45 s'
  Thread.list.each { |t| warn t.backtrace&.first(5)&.join("\n") }
  exit!(3)
end

def name(suffix) = "#{PREFIX}.#{suffix}"
def log(msg) = puts("- #{msg}")

def eq(actual, expected, what)
  raise "#{what}: expected #{expected.inspect}, got #{actual.inspect}" unless actual == expected
end

# Wait (bounded) until the block is true.
def wait_until(what, timeout = 5)
  deadline = Time.now + timeout
  until yield
    raise "timed out after #{timeout}s waiting for #{what}" if Time.now > deadline

    sleep 0.02
  end
end

# Queue#pop(timeout:) is Ruby 3.2+; Debian 12 has 3.1
def take(queue, what, timeout = 5)
  wait_until(what, timeout) { !queue.empty? }
  queue.pop
end

def management(method, path, headers = {})
  uri = URI(MGMT + path)
  req = Net::HTTP.const_get(method.capitalize).new(uri)
  req.basic_auth('guest', 'guest')
  headers.each { |k, v| req[k] = v }
  Net::HTTP.start(uri.host, uri.port) { |http| http.request(req) }
end

def close_connection(provided)
  wait_until("connection #{provided} in /api/connections", 10) do
    conns = JSON.parse(management('Get', '/api/connections').body)
    names = conns.select { |c| c['user_provided_name'] == provided }.map { |c| c['name'] }
    names.each do |n|
      r = management('Delete', "/api/connections/#{URI.encode_www_form_component(n).gsub('+', '%20')}",
                     'X-Reason' => 'closed by the interop test')
      raise "DELETE connection: HTTP #{r.code}" unless %w[200 204].include?(r.code)
    end
    !names.empty?
  end
end

cleanup = []
conn = Bunny.new(URL, connection_name: name('main'), logger: Logger.new(nil))
conn.start
begin
  log '1. topic exchange, durable queue, 50 confirmed persistent publishes, manual-ack consumer'
  ch = conn.create_channel
  x = ch.topic(name('orders'), durable: true)
  q = ch.queue(name('orders.eu'), durable: true)
  cleanup << -> (c) { c.queue_delete(q.name); c.exchange_delete(x.name) }
  q.bind(x, routing_key: 'orders.eu.*')
  ch.confirm_select
  50.times do |i|
    x.publish("order-#{i}", routing_key: "orders.eu.#{i.even? ? 'paid' : 'new'}", persistent: true,
                            content_type: 'application/json', correlation_id: "c#{i}", headers: { 'n' => i, 'nested' => { 'a' => [1, 'two'] } })
  end
  raise 'wait_for_confirms returned false (nacks)' unless ch.wait_for_confirms

  got = []
  consumer = q.subscribe(manual_ack: true) do |info, props, body|
    got << [body, props.headers, props.correlation_id, props.content_type, props.delivery_mode, info.routing_key]
    ch.ack(info.delivery_tag)
  end
  wait_until('50 deliveries') { got.size == 50 }
  consumer.cancel
  eq(got.map(&:first), (0...50).map { |i| "order-#{i}" }, 'bodies in order')
  eq(got[3][1..], [{ 'n' => 3, 'nested' => { 'a' => [1, 'two'] } }, 'c3', 'application/json', 2, 'orders.eu.new'],
     'properties of message 3')

  log '2. prefetch(2): a consumer that does not ack holds 2 messages'
  pch = conn.create_channel
  pch.prefetch(2)
  pq = pch.queue(name('prefetch'), auto_delete: false)
  cleanup << ->(c) { c.queue_delete(pq.name) }
  6.times { |i| pch.default_exchange.publish("p#{i}", routing_key: pq.name) }
  held = []
  pc = pq.subscribe(manual_ack: true) { |info, _p, body| held << [info.delivery_tag, body] }
  wait_until('2 deliveries') { held.size == 2 }
  sleep 0.4
  eq(held.size, 2, 'deliveries held at prefetch 2')
  pch.ack(held.last[0], true)
  wait_until('the rest after the ack') { held.size == 4 }
  pc.cancel
  pch.close

  log '3. mandatory publish with no route: basic.return 312 NO_ROUTE'
  returns = []
  rch = conn.create_channel
  rx = rch.direct('amq.direct', no_declare: true)
  rx.on_return { |info, _props, body| returns << [info.reply_code, info.reply_text, body] }
  rx.publish('lost', routing_key: name('nowhere'), mandatory: true)
  wait_until('basic.return') { returns.size == 1 }
  eq(returns.first, [312, 'NO_ROUTE', 'lost'], 'returned message')

  log '4. reject without requeue: dead-lettered with x-death'
  dch = conn.create_channel
  dlx = dch.fanout(name('dlx'))
  dlq = dch.queue(name('dlq')).bind(dlx)
  wq = dch.queue(name('work'), arguments: { 'x-dead-letter-exchange' => dlx.name })
  cleanup << ->(c) { c.queue_delete(wq.name); c.queue_delete(dlq.name); c.exchange_delete(dlx.name) }
  dch.default_exchange.publish('poison', routing_key: wq.name)
  wait_until('the message in the work queue') { wq.message_count == 1 }
  info, = wq.pop(manual_ack: true)
  dch.reject(info.delivery_tag, false)
  dead = nil
  wait_until('the dead-lettered message') { (dead = dlq.pop)[0] }
  eq(dead[2], 'poison', 'dead-lettered body')
  death = dead[1].headers['x-death'].first
  eq([death['queue'], death['reason'], death['count']], [wq.name, 'rejected', 1], 'x-death')

  log '5. RPC over direct reply-to'
  sch = conn.create_channel
  sq = sch.queue(name('rpc'), auto_delete: true)
  sq.subscribe do |_info, props, body|
    sch.default_exchange.publish((body.to_i * 2).to_s, routing_key: props.reply_to, correlation_id: props.correlation_id)
  end
  cch = conn.create_channel
  replies = {}
  cch.queue('amq.rabbitmq.reply-to', no_declare: true).subscribe(manual_ack: false) do |_i, props, body|
    replies[props.correlation_id] = body
  end
  ids = (1..10).map do |i|
    id = SecureRandom.uuid
    cch.default_exchange.publish(i.to_s, routing_key: sq.name, reply_to: 'amq.rabbitmq.reply-to', correlation_id: id)
    [id, (i * 2).to_s]
  end
  wait_until('10 RPC replies') { replies.size == 10 }
  ids.each { |id, want| eq(replies[id], want, "reply #{id}") }

  log '6. transactions: rollback drops, commit delivers'
  tch = conn.create_channel
  tq = tch.queue('', exclusive: true)
  tch.tx_select
  tch.default_exchange.publish('rolled-back', routing_key: tq.name)
  tch.tx_rollback
  tch.default_exchange.publish('committed', routing_key: tq.name)
  tch.tx_commit
  eq(tq.pop[2], 'committed', 'the first message after commit')
  eq(tq.pop[2], nil, 'nothing else (the rolled-back publish never arrived)')

  log '7. a passive declare of a missing queue raises NotFound and closes only its channel'
  ech = conn.create_channel
  begin
    ech.queue(name('missing'), passive: true)
    raise 'passive declare of a missing queue succeeded'
  rescue Bunny::NotFound => e
    raise "unexpected text: #{e.message}" unless e.message.include?("NOT_FOUND - no queue '#{name('missing')}' in vhost '/'")
  end
  eq(ech.open?, false, 'the failed channel is closed')
  eq(conn.open? && ch.open?, true, 'the connection and other channels are open')

  log '8. clean-up after auto-delete'
  ach = conn.create_channel
  ax = ach.topic(name('ad'), auto_delete: true)
  aq = ach.queue(name('ad.q'))
  aq.bind(ax, routing_key: 'a.#')
  aq.unbind(ax, routing_key: 'a.#') # the exchange goes with its last binding
  aq.unbind(ax, routing_key: 'a.#')
  ax.delete
  aq.delete
  ach.queue_delete(aq.name)
  eq(ach.open?, true, 'the channel survived the clean-up')
  ach.close
ensure
  begin
    c = conn.create_channel
    cleanup.each { |f| f.call(c) }
  rescue StandardError => e
    warn "cleanup: #{e}"
  end
  conn.close if conn.open?
end

log '9. automatic recovery after the connection is closed by the management API'
rconn = Bunny.new(URL, connection_name: name('robust'), network_recovery_interval: 0.3, logger: Logger.new(nil))
rconn.start
recovered = false
rconn.after_recovery_completed { recovered = true }
rch = rconn.create_channel
rx = rch.direct(name('events'), auto_delete: true)
rq = rch.queue('', exclusive: true).bind(rx, routing_key: 'evt')
got = Queue.new
rq.subscribe { |_i, _p, body| got << body }
rx.publish('before', routing_key: 'evt')
eq(take(got, 'the message before the drop'), 'before', 'message before the drop')
close_connection(name('robust'))
wait_until('recovery', 15) { recovered }
3.times { |i| rx.publish("after-#{i}", routing_key: 'evt') }
eq(3.times.map { take(got, 'messages after recovery') }, %w[after-0 after-1 after-2], 'messages after recovery reach the consumer')
rconn.close
puts 'OK'
