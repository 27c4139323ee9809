// Warren management UI: the overview, connections, channels and exchanges pages. Adds its pages to Warren.views (see lib.js).
'use strict';
(function () {
  const {
    $,
    esc,
    enc,
    api,
    get,
    flash,
    table,
    rate,
    bytes,
    resource,
    form,
    onSubmit,
    vhostOptions,
    drawChart,
    samples,
  } = window.Warren;
  const route = () => window.Warren.route();
  Object.assign(window.Warren.views, {
    async overview(v) {
      const o = await get('/api/overview');
      // memory and disk against their alarms, as RabbitMQ's overview shows them (monitoring users only)
      const node = await get('/api/nodes').then(
        (ns) => ns[0] || null,
        () => null,
      );
      const hist = o.warren_samples || [];
      if (samples.length === 0) for (const s of hist) samples.push(s);
      const t = o.object_totals;
      const q = o.queue_totals;
      const ms = o.message_stats || {};
      v.innerHTML = `<h2>Overview</h2>
        <p class="totals" id="totals"><span>Connections: <b>${t.connections}</b></span><span>Channels: <b>${t.channels}</b></span>
        <span>Exchanges: <b>${t.exchanges}</b></span><span>Queues: <b>${t.queues}</b></span><span>Consumers: <b>${t.consumers}</b></span></p>
        <h3>Queued messages</h3><p>Ready: <b id="ready">${q.messages_ready}</b> · Unacked: <b>${q.messages_unacknowledged}</b> · Total: <b>${q.messages}</b></p>
        <canvas id="chart-queued" width="600" height="160"></canvas>
        <h3>Message rates</h3><p>Publish: <b>${rate(ms, 'publish')}/s</b> · Deliver: <b>${rate(ms, 'deliver_get')}/s</b> · Ack: <b>${rate(ms, 'ack')}/s</b>
        · Redelivered: <b>${rate(ms, 'redeliver')}/s</b> · Get (empty): <b>${rate(ms, 'get_empty')}/s</b> · Unroutable (drop): <b>${rate(ms, 'drop_unroutable')}/s</b></p>
        <canvas id="chart-rates" width="600" height="160"></canvas>
        <h3>Node</h3>${table(
          [
            ['Name', (x) => x.node],
            ['Product', (x) => `${x.product_name} ${x.product_version}`],
            ['RabbitMQ compatibility', (x) => x.rabbitmq_version],
            ...(node
              ? [
                  ['Memory', () => resource(node.mem_used, node.mem_limit, 'high watermark', node.mem_alarm), true],
                  [
                    'Disk space',
                    () => resource(node.disk_free, node.disk_free_limit, 'low watermark', node.disk_free_alarm),
                    true,
                  ],
                ]
              : []),
          ],
          [o],
        )}
        ${table(
          [
            ['Protocol', (l) => l.protocol],
            ['Port', (l) => l.port],
          ],
          o.listeners,
        )}`;
      const last = samples.length ? samples[samples.length - 1].at : 0;
      for (const s of hist) if (s.at > last) samples.push(s);
      while (samples.length > 120) samples.shift();
      drawChart($('#chart-queued'), [
        { label: 'ready', color: '#c80', values: samples.map((s) => s.messagesReady) },
        { label: 'unacked', color: '#36c', values: samples.map((s) => s.messagesUnacknowledged) },
      ]);
      drawChart($('#chart-rates'), [
        { label: 'publish', color: '#c80', values: samples.map((s) => s.rates.publish) },
        { label: 'deliver', color: '#393', values: samples.map((s) => s.rates.deliver_get) },
        { label: 'ack', color: '#36c', values: samples.map((s) => s.rates.ack) },
      ]);
    },
    async connections(v) {
      const cs = await get('/api/connections');
      v.innerHTML = `<h2>Connections</h2>${table(
        [
          ['Name', (c) => c.name],
          ['User', (c) => c.user],
          ['Vhost', (c) => c.vhost],
          ['Client', (c) => c.user_provided_name || (c.client_properties || {}).product],
          ['Protocol', (c) => c.protocol],
          ['Channels', (c) => c.channels],
          ['State', (c) => c.state],
          ['From client', (c) => `${bytes(rate(c, 'recv_oct'))}/s`],
          ['To client', (c) => `${bytes(rate(c, 'send_oct'))}/s`],
          ['', (c) => `<button data-close="${esc(c.name)}">Close</button>`, true],
        ],
        cs,
      )}`;
      v.querySelectorAll('[data-close]').forEach((b) =>
        b.addEventListener('click', async () => {
          await api('DELETE', `/api/connections/${enc(b.dataset.close)}`);
          flash('Connection closed');
          route();
        }),
      );
    },
    async channels(v) {
      const cs = await get('/api/channels');
      v.innerHTML = `<h2>Channels</h2>${table(
        [
          ['Channel', (c) => c.name],
          ['User', (c) => c.user],
          ['Prefetch', (c) => c.prefetch_count],
          ['Consumers', (c) => c.consumer_count],
          ['Unacked', (c) => c.messages_unacknowledged],
          ['Confirm', (c) => String(c.confirm)],
          ['Publish/s', (c) => rate(c.message_stats, 'publish')],
          ['Deliver/get/s', (c) => rate(c.message_stats, 'deliver_get')],
          ['Ack/s', (c) => rate(c.message_stats, 'ack')],
        ],
        cs,
      )}`;
    },
    async exchanges(v) {
      const xs = await get('/api/exchanges');
      const vhosts = await vhostOptions();
      v.innerHTML = `<h2>Exchanges</h2>${table(
        [
          ['Vhost', (x) => x.vhost],
          ['Name', (x) => x.name || '(AMQP default)'],
          ['Type', (x) => x.type],
          ['Durable', (x) => String(x.durable)],
          ['In/s', (x) => rate(x.message_stats, 'publish_in')],
          ['Out/s', (x) => rate(x.message_stats, 'publish_out')],
          [
            '',
            (x) =>
              x.name && !x.name.startsWith('amq.')
                ? `<button data-del="${esc(x.vhost)}|${esc(x.name)}">Delete</button>`
                : '',
            true,
          ],
        ],
        xs,
      )}<h3>Add an exchange</h3>${form(
        'add-exchange',
        [
          { label: 'Vhost', name: 'vhost', options: vhosts },
          { label: 'Name', name: 'name' },
          { label: 'Type', name: 'type', options: ['direct', 'fanout', 'topic', 'headers'] },
          { label: 'Durable', name: 'durable', options: ['true', 'false'] },
        ],
        'Add exchange',
      )}`;
      onSubmit('add-exchange', async (d) => {
        await api('PUT', `/api/exchanges/${enc(d.vhost)}/${enc(d.name)}`, {
          type: d.type,
          durable: d.durable === 'true',
        });
        return `Exchange ${d.name} added`;
      });
      v.querySelectorAll('[data-del]').forEach((b) =>
        b.addEventListener('click', async () => {
          const [vh, n] = b.dataset.del.split('|');
          await api('DELETE', `/api/exchanges/${enc(vh)}/${enc(n)}`);
          flash(`Exchange ${n} deleted`);
          route();
        }),
      );
    },
  });
})();
