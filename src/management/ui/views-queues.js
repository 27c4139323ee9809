// Warren management UI: the queues list (add a classic, quorum or stream queue) and one queue's page (bindings,
// publish, get, purge, delete; a stream's segments and offsets, its Stream protocol publishers and consumers,
// as rabbitmq_stream_management shows them). Adds its pages to Warren.views (see lib.js).
'use strict';
(function () {
  const { $, esc, enc, api, get, flash, table, rate, rateRows, form, onSubmit, vhostOptions } = window.Warren;
  const route = () => window.Warren.route();
  /** A stream's own figures and its Stream protocol publishers and consumers (the stream plugin's endpoints). */
  async function streamSections(vhost, name, q) {
    const publishers = await get(`/api/stream/publishers/${enc(vhost)}/${enc(name)}`);
    const consumers = (await get(`/api/stream/consumers/${enc(vhost)}`)).filter((c) => c.queue.name === name);
    const conn = (x) => x.connection_details.name;
    return `<h3>Stream</h3>${table(
      [
        ['Segments', (x) => x.segments],
        ['First offset', (x) => x.first_offset],
        ['Committed offset', (x) => x.committed_offset],
        ['Bytes', (x) => x.stream_bytes],
        ['Leader', (x) => x.leader],
        ['Readers', (x) => x.readers],
      ],
      [q],
      'stream-detail',
    )}<h3>Stream publishers</h3>${table(
      [
        ['Connection', conn],
        ['Publisher id', (p) => p.publisher_id],
        ['Reference', (p) => p.reference],
        ['Published', (p) => p.published],
        ['Confirmed', (p) => p.confirmed],
        ['Errored', (p) => p.errored],
      ],
      publishers,
      'stream-publishers',
    )}<h3>Stream consumers</h3>${table(
      [
        ['Connection', conn],
        ['Subscription id', (c) => c.subscription_id],
        ['Offset', (c) => c.offset],
        ['Offset lag', (c) => c.offset_lag],
        ['Consumed', (c) => c.consumed],
        ['Credits', (c) => c.credits],
        ['Status', (c) => c.activity_status],
        ['Properties', (c) => c.properties],
      ],
      consumers,
      'stream-consumers',
    )}`;
  }

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
          { label: 'Type', name: 'type', options: ['classic', 'quorum', 'stream'] },
          { label: 'Vhost', name: 'vhost', options: vhosts },
          { label: 'Name', name: 'name' },
          { label: 'Durable', name: 'durable', options: ['true', 'false'] },
          { label: 'Arguments (JSON)', name: 'arguments', value: '{}' },
        ],
        'Add queue',
      )}`;
      onSubmit('add-queue', async (d) => {
        const args = JSON.parse(d.arguments || '{}');
        // as RabbitMQ's UI: the type is an x-queue-type argument; quorum queues and streams are always durable
        if (d.type !== 'classic') args['x-queue-type'] = d.type;
        await api('PUT', `/api/queues/${enc(d.vhost)}/${enc(d.name)}`, {
          durable: d.type !== 'classic' || d.durable === 'true',
          arguments: args,
        });
        return `Queue ${d.name} added`;
      });
    },
    async queue(v, vhost, name) {
      const base = `/api/queues/${enc(vhost)}/${enc(name)}`;
      const q = await get(base);
      const bindings = await get(`${base}/bindings`);
      const consumers = (await get(`/api/consumers/${enc(vhost)}`)).filter((c) => c.queue.name === name);
      const stream = q.type === 'stream';
      v.innerHTML = `<h2>Queue ${esc(name)} <small>(${esc(vhost)})</small></h2>
        ${table(
          [
            ['Type', (x) => x.type],
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
        ${stream ? await streamSections(vhost, name, q) : ''}
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
        ${
          stream
            ? ''
            : `<h3>Get messages</h3>${form(
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
              )}<div id="got"></div>`
        }
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
        ${
          stream
            ? ''
            : `<h3>Redrive dead letters</h3><p>Back to where they came from (x-death), or to an exchange.</p>${form(
                'redrive',
                [
                  { label: 'To exchange (empty: origin)', name: 'exchange' },
                  { label: 'Routing key', name: 'routing_key' },
                ],
                'Redrive',
              )}`
        }
        <h3>${stream ? 'Delete' : 'Purge / delete'}</h3>${
          stream ? '' : '<button id="purge" type="button">Purge messages</button> '
        }<button id="delete" type="button">Delete queue</button>`;
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
      getForm?.addEventListener('submit', async (e) => {
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
      $('#purge')?.addEventListener('click', async () => {
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
