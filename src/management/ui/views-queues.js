// Warren management UI: the queues list and one queue's page (bindings, publish, get, purge, delete). Adds its pages to Warren.views (see lib.js).
'use strict';
(function () {
  const { $, esc, enc, api, get, flash, table, rate, rateRows, form, onSubmit, vhostOptions } = window.Warren;
  const route = () => window.Warren.route();
  Object.assign(window.Warren.views, {
    async queues(v) {
      const qs = await get('/api/queues');
      const vhosts = await vhostOptions();
      v.innerHTML = `<h2>Queues</h2>${table(
        [
          ['Vhost', (q) => q.vhost],
          ['Name', (q) => `<a href="#/queue/${enc(q.vhost)}/${enc(q.name)}">${esc(q.name)}</a>`, true],
          ['Type', (q) => q.type],
          ['Ready', (q) => q.messages_ready],
          ['Unacked', (q) => q.messages_unacknowledged],
          ['Total', (q) => q.messages],
          ['Consumers', (q) => q.consumers],
          ['Incoming/s', (q) => rate(q.message_stats, 'publish')],
          ['Deliver/get/s', (q) => rate(q.message_stats, 'deliver_get')],
          ['Ack/s', (q) => rate(q.message_stats, 'ack')],
        ],
        qs,
        'queues',
      )}<h3>Add a queue</h3>${form(
        'add-queue',
        [
          { label: 'Vhost', name: 'vhost', options: vhosts },
          { label: 'Name', name: 'name' },
          { label: 'Durable', name: 'durable', options: ['true', 'false'] },
          { label: 'Arguments (JSON)', name: 'arguments', value: '{}' },
        ],
        'Add queue',
      )}`;
      onSubmit('add-queue', async (d) => {
        await api('PUT', `/api/queues/${enc(d.vhost)}/${enc(d.name)}`, {
          durable: d.durable === 'true',
          arguments: JSON.parse(d.arguments || '{}'),
        });
        return `Queue ${d.name} added`;
      });
    },
    async queue(v, vhost, name) {
      const base = `/api/queues/${enc(vhost)}/${enc(name)}`;
      const q = await get(base);
      const bindings = await get(`${base}/bindings`);
      const consumers = (await get(`/api/consumers/${enc(vhost)}`)).filter((c) => c.queue.name === name);
      v.innerHTML = `<h2>Queue ${esc(name)} <small>(${esc(vhost)})</small></h2>
        ${table(
          [
            ['Ready', (x) => x.messages_ready],
            ['Unacked', (x) => x.messages_unacknowledged],
            ['Total', (x) => x.messages],
            ['Consumers', (x) => x.consumers],
            ['Durable', (x) => String(x.durable)],
            ['Arguments', (x) => x.arguments],
            ['Policy', (x) => x.policy],
          ],
          [q],
          'queue-detail',
        )}
        <h3>Message rates</h3>${table(
          [
            ['', (r) => r.label],
            ['Total', (r) => r.total],
            ['Rate', (r) => `${r.rate}/s`],
          ],
          rateRows(q.message_stats),
          'queue-rates',
        )}
        <h3>Consumers</h3>${table(
          [
            ['Tag', (c) => c.consumer_tag],
            ['Channel', (c) => c.channel_details.name],
            ['Ack required', (c) => String(c.ack_required)],
            ['Prefetch', (c) => c.prefetch_count],
          ],
          consumers,
        )}
        <h3>Bindings</h3>${table(
          [
            ['From', (b) => b.source || '(default exchange)'],
            ['Routing key', (b) => b.routing_key],
            ['Arguments', (b) => b.arguments],
          ],
          bindings,
        )}
        ${form(
          'bind',
          [
            { label: 'From exchange', name: 'source' },
            { label: 'Routing key', name: 'routing_key' },
          ],
          'Bind',
        )}
        <h3>Publish message</h3>${form(
          'publish',
          [
            { label: 'Payload', name: 'payload' },
            { label: 'Delivery mode', name: 'delivery_mode', options: ['1', '2'] },
            { label: 'Headers (JSON)', name: 'headers', value: '{}' },
          ],
          'Publish message',
        )}
        <h3>Get messages</h3>${form(
          'get',
          [
            {
              label: 'Ack mode',
              name: 'ackmode',
              options: ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'],
            },
            { label: 'Messages', name: 'count', value: '1' },
          ],
          'Get messages',
        )}
        <div id="got"></div>
        <h3>Browse (without consuming)</h3>${form(
          'browse',
          [
            { label: 'From position', name: 'offset', value: '0' },
            { label: 'Messages', name: 'count', value: '10' },
            { label: 'Routing key (regex)', name: 'routing_key' },
          ],
          'Browse',
        )}
        <div id="browsed"></div>
        <h3>Redrive dead letters</h3><p>Back to where they came from (x-death), or to an exchange.</p>${form(
          'redrive',
          [
            { label: 'To exchange (empty: origin)', name: 'exchange' },
            { label: 'Routing key', name: 'routing_key' },
          ],
          'Redrive',
        )}
        <h3>Purge / delete</h3><button id="purge" type="button">Purge messages</button> <button id="delete" type="button">Delete queue</button>`;
      onSubmit('bind', async (d) => {
        await api('POST', `/api/bindings/${enc(vhost)}/e/${enc(d.source)}/q/${enc(name)}`, {
          routing_key: d.routing_key,
          arguments: {},
        });
        return 'Binding added';
      });
      onSubmit('publish', async (d) => {
        const r = await api('POST', `/api/exchanges/${enc(vhost)}/amq.default/publish`, {
          routing_key: name,
          payload: d.payload,
          payload_encoding: 'string',
          properties: { delivery_mode: Number(d.delivery_mode), headers: JSON.parse(d.headers || '{}') },
        });
        return r.routed ? 'Message published.' : 'Message published, but not routed.';
      });
      const getForm = document.getElementById('get');
      getForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        e.stopImmediatePropagation();
        const d = Object.fromEntries(new FormData(getForm).entries());
        try {
          const msgs = await api('POST', `${base}/get`, {
            count: Number(d.count),
            ackmode: d.ackmode,
            encoding: 'auto',
          });
          $('#got').innerHTML = msgs.length
            ? msgs
                .map(
                  (m, i) =>
                    `<h4>Message ${i + 1}</h4>${table(
                      [
                        ['Exchange', (x) => x.exchange],
                        ['Routing key', (x) => x.routing_key],
                        ['Redelivered', (x) => String(x.redelivered)],
                        ['Properties', (x) => x.properties],
                      ],
                      [m],
                    )}<pre class="payload">${esc(m.payload)}</pre>`,
                )
                .join('')
            : '<p class="empty">Queue is empty</p>';
        } catch (err) {
          flash(err.message, true);
        }
      });
      const browseForm = document.getElementById('browse');
      browseForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        const d = Object.fromEntries(new FormData(browseForm).entries());
        try {
          const msgs = await api('POST', `${base}/browse`, {
            offset: Number(d.offset),
            count: Number(d.count),
            ...(d.routing_key ? { routing_key: d.routing_key } : {}),
          });
          $('#browsed').innerHTML = table(
            [
              ['Position', (m) => m.position],
              ['Routing key', (m) => m.routing_key],
              ['Redelivered', (m) => String(m.redelivered)],
              ['Headers', (m) => m.properties.headers],
              ['Payload', (m) => m.payload],
            ],
            msgs,
            'browsed',
          );
        } catch (err) {
          flash(err.message, true);
        }
      });
      onSubmit('redrive', async (d) => {
        const r = await api('POST', `${base}/redrive`, {
          ...(d.exchange ? { exchange: d.exchange } : {}),
          ...(d.routing_key ? { routing_key: d.routing_key } : {}),
        });
        return `Redriven ${r.redriven}, unroutable ${r.unroutable}, remaining ${r.remaining}`;
      });
      $('#purge').addEventListener('click', async () => {
        await api('DELETE', `${base}/contents`);
        flash('Queue purged');
        route();
      });
      $('#delete').addEventListener('click', async () => {
        await api('DELETE', base);
        flash(`Queue ${name} deleted`);
        location.hash = '#/queues';
      });
    },
  });
})();
