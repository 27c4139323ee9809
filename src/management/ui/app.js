// Warren management UI: a single page over the management API (the same /api RabbitMQ's UI uses).
// Credentials are kept in sessionStorage as RabbitMQ's UI does; each view fetches what it shows.
'use strict';
(function () {
  const $ = (s, el = document) => el.querySelector(s);
  let auth = sessionStorage.getItem('warren-auth');
  let timer = null;
  const samples = [];

  function esc(v) {
    return String(v ?? '').replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
    );
  }
  const enc = encodeURIComponent;

  async function api(method, path, body) {
    const r = await fetch(path, {
      method,
      headers: {
        authorization: 'Basic ' + auth,
        'x-warren-ui': '1',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    const json = text ? JSON.parse(text) : null;
    if (r.status === 401) {
      if (path === '/api/whoami') throw new Error((json && json.reason) || 'Login failed');
    }
    if (r.status >= 400) throw new Error((json && json.reason) || `HTTP ${r.status}`);
    return json;
  }
  const get = (p) => api('GET', p);

  function flash(msg, isError) {
    const f = $('#flash');
    f.textContent = msg;
    f.className = isError ? 'error' : '';
  }

  function table(cols, rows, cls = '') {
    const head = cols.map((c) => `<th>${esc(c[0])}</th>`).join('');
    const body = rows
      .map(
        (r) =>
          `<tr>${cols.map((c) => `<td${typeof c[1](r) === 'number' ? ' class="num"' : ''}>${c[2] ? c[1](r) : esc(fmt(c[1](r)))}</td>`).join('')}</tr>`,
      )
      .join('');
    return `<table class="${cls}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'object') return Object.keys(v).length ? JSON.stringify(v) : '';
    return v;
  }
  const rate = (o, k) => (o && o[k + '_details'] ? o[k + '_details'].rate : 0);
  /** RabbitMQ's "Message rates" rows: the split of message_stats, each total with its rate. */
  const RATE_ROWS = [
    ['Publish', 'publish'],
    ['Deliver (manual ack)', 'deliver'],
    ['Deliver (auto ack)', 'deliver_no_ack'],
    ['Consumer ack', 'ack'],
    ['Redelivered', 'redeliver'],
    ['Get (manual ack)', 'get'],
    ['Get (auto ack)', 'get_no_ack'],
    ['Get (empty)', 'get_empty'],
  ];
  function rateRows(ms) {
    const m = ms || {};
    return RATE_ROWS.map(([label, k]) => ({ label, total: m[k] || 0, rate: rate(m, k) }));
  }
  function bytes(n) {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) {
      n /= 1024;
      i++;
    }
    return `${n.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
  }
  /** "143.0 MiB / 9.4 GiB high watermark", red with the alarm's name when it is in effect. */
  function resource(value, limit, what, alarm) {
    const text = `${esc(bytes(value))} / ${esc(bytes(limit))} ${what}`;
    return alarm ? `<span class="alarm">${text} — alarm</span>` : text;
  }

  function form(id, fields, button) {
    return `<form class="inline" id="${id}">${fields
      .map((f) =>
        f.options
          ? `<label>${esc(f.label)}<select name="${f.name}">${f.options.map((o) => `<option>${esc(o)}</option>`).join('')}</select></label>`
          : `<label>${esc(f.label)}<input name="${f.name}" value="${esc(f.value ?? '')}" ${f.type ? `type="${f.type}"` : ''}/></label>`,
      )
      .join('')}<button type="submit">${esc(button)}</button></form>`;
  }
  function onSubmit(id, fn) {
    const f = document.getElementById(id);
    if (!f) return;
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(f).entries());
      try {
        const msg = await fn(data);
        flash(msg || 'Done');
        route();
      } catch (err) {
        flash(err.message, true);
      }
    });
  }
  async function vhostOptions() {
    return (await get('/api/vhosts')).map((v) => v.name);
  }

  // ---- charts: a canvas line chart of the sampled rates, no library
  function drawChart(canvas, series) {
    const ctx = canvas.getContext('2d');
    const w = canvas.width;
    const h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    ctx.strokeStyle = '#ccc';
    ctx.beginPath();
    ctx.moveTo(30, 10);
    ctx.lineTo(30, h - 20);
    ctx.lineTo(w - 10, h - 20);
    ctx.stroke();
    ctx.fillStyle = '#666';
    ctx.fillText(String(max), 2, 14);
    ctx.fillText('0', 18, h - 20);
    series.forEach((s, i) => {
      ctx.strokeStyle = s.color;
      ctx.beginPath();
      const n = s.values.length;
      s.values.forEach((v, j) => {
        const x = 30 + ((w - 40) * j) / Math.max(1, n - 1);
        const y = h - 20 - ((h - 30) * v) / max;
        if (j === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
      ctx.fillStyle = s.color;
      ctx.fillText(s.label, 40 + i * 90, h - 5);
    });
    canvas.dataset.points = String(series[0] ? series[0].values.length : 0);
  }

  const views = {
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
    async users(v) {
      const us = await get('/api/users');
      const perms = await get('/api/permissions');
      const vhosts = await vhostOptions();
      v.innerHTML = `<h2>Users</h2>${table(
        [
          ['Name', (u) => u.name],
          ['Tags', (u) => u.tags.join(', ')],
          ['', (u) => `<button data-del="${esc(u.name)}">Delete</button>`, true],
        ],
        us,
      )}
        <h3>Add a user</h3>${form(
          'add-user',
          [
            { label: 'Username', name: 'name' },
            { label: 'Password', name: 'password', type: 'password' },
            { label: 'Tags', name: 'tags', value: 'management' },
          ],
          'Add user',
        )}
        <h2>Permissions</h2>${table(
          [
            ['User', (p) => p.user],
            ['Vhost', (p) => p.vhost],
            ['Configure', (p) => p.configure],
            ['Write', (p) => p.write],
            ['Read', (p) => p.read],
          ],
          perms,
        )}
        ${form(
          'set-perm',
          [
            { label: 'User', name: 'user', options: us.map((u) => u.name) },
            { label: 'Vhost', name: 'vhost', options: vhosts },
            { label: 'Configure', name: 'configure', value: '.*' },
            { label: 'Write', name: 'write', value: '.*' },
            { label: 'Read', name: 'read', value: '.*' },
          ],
          'Set permission',
        )}`;
      onSubmit('add-user', async (d) => {
        await api('PUT', `/api/users/${enc(d.name)}`, { password: d.password, tags: d.tags });
        return `User ${d.name} added`;
      });
      onSubmit('set-perm', async (d) => {
        await api('PUT', `/api/permissions/${enc(d.vhost)}/${enc(d.user)}`, {
          configure: d.configure,
          write: d.write,
          read: d.read,
        });
        return 'Permission set';
      });
      v.querySelectorAll('[data-del]').forEach((b) =>
        b.addEventListener('click', async () => {
          await api('DELETE', `/api/users/${enc(b.dataset.del)}`);
          flash(`User ${b.dataset.del} deleted`);
          route();
        }),
      );
    },
    async vhosts(v) {
      const vs = await get('/api/vhosts');
      v.innerHTML = `<h2>Virtual hosts</h2>${table(
        [
          ['Name', (x) => x.name],
          ['Description', (x) => x.description],
          ['Messages', (x) => x.messages],
          ['', (x) => (x.name !== '/' ? `<button data-del="${esc(x.name)}">Delete</button>` : ''), true],
        ],
        vs,
      )}
        ${form(
          'add-vhost',
          [
            { label: 'Name', name: 'name' },
            { label: 'Description', name: 'description' },
          ],
          'Add virtual host',
        )}`;
      onSubmit('add-vhost', async (d) => {
        await api('PUT', `/api/vhosts/${enc(d.name)}`, { description: d.description });
        return `Virtual host ${d.name} added`;
      });
      v.querySelectorAll('[data-del]').forEach((b) =>
        b.addEventListener('click', async () => {
          await api('DELETE', `/api/vhosts/${enc(b.dataset.del)}`);
          flash(`Virtual host ${b.dataset.del} deleted`);
          route();
        }),
      );
    },
    async policies(v) {
      const ps = await get('/api/policies');
      const vhosts = await vhostOptions();
      v.innerHTML = `<h2>Policies</h2>${table(
        [
          ['Vhost', (p) => p.vhost],
          ['Name', (p) => p.name],
          ['Pattern', (p) => p.pattern],
          ['Apply to', (p) => p['apply-to']],
          ['Definition', (p) => p.definition],
          ['Priority', (p) => p.priority],
          ['', (p) => `<button data-del="${esc(p.vhost)}|${esc(p.name)}">Delete</button>`, true],
        ],
        ps,
      )}
        ${form(
          'add-policy',
          [
            { label: 'Vhost', name: 'vhost', options: vhosts },
            { label: 'Name', name: 'name' },
            { label: 'Pattern', name: 'pattern' },
            {
              label: 'Apply to',
              name: 'applyTo',
              options: ['all', 'queues', 'exchanges', 'classic_queues', 'quorum_queues', 'streams'],
            },
            { label: 'Definition (JSON)', name: 'definition', value: '{}' },
            { label: 'Priority', name: 'priority', value: '0' },
          ],
          'Add / update policy',
        )}`;
      onSubmit('add-policy', async (d) => {
        await api('PUT', `/api/policies/${enc(d.vhost)}/${enc(d.name)}`, {
          pattern: d.pattern,
          'apply-to': d.applyTo,
          definition: JSON.parse(d.definition || '{}'),
          priority: Number(d.priority),
        });
        return `Policy ${d.name} set`;
      });
      v.querySelectorAll('[data-del]').forEach((b) =>
        b.addEventListener('click', async () => {
          const [vh, n] = b.dataset.del.split('|');
          await api('DELETE', `/api/policies/${enc(vh)}/${enc(n)}`);
          flash(`Policy ${n} deleted`);
          route();
        }),
      );
    },
    async definitions(v) {
      v.innerHTML = `<h2>Definitions</h2>
        <h3>Export</h3><button id="export" type="button">Download broker definitions</button>
        <h3>Import</h3><p>A definitions.json exported from Warren or RabbitMQ.</p><input type="file" id="import-file" accept=".json,application/json" /> <button id="import" type="button">Upload broker definitions</button>`;
      $('#export').addEventListener('click', async () => {
        const d = await get('/api/definitions');
        const a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob([JSON.stringify(d, null, 2)], { type: 'application/json' }));
        a.download = 'warren-definitions.json';
        a.click();
        flash('Definitions exported');
      });
      $('#import').addEventListener('click', async () => {
        const file = $('#import-file').files[0];
        if (!file) return flash('Choose a file first', true);
        try {
          await api('POST', '/api/definitions', JSON.parse(await file.text()));
          flash('Your definitions were imported successfully.');
        } catch (err) {
          flash(err.message, true);
        }
      });
    },
  };

  async function route() {
    clearTimeout(timer);
    const parts = (location.hash.replace(/^#\//, '') || 'overview').split('/').map(decodeURIComponent);
    const name = parts[0] in views ? parts[0] : 'overview';
    document
      .querySelectorAll('#tabs a')
      .forEach((a) =>
        a.classList.toggle('active', a.getAttribute('href') === `#/${name === 'queue' ? 'queues' : name}`),
      );
    try {
      await views[name]($('#view'), ...parts.slice(1));
    } catch (err) {
      flash(err.message, true);
    }
    // the overview refreshes itself (the charts gather samples); other pages on demand
    if (name === 'overview') timer = setTimeout(route, 2000);
  }

  async function start() {
    try {
      const me = await get('/api/whoami');
      $('#who').textContent = `User: ${me.name}`;
      $('#login').hidden = true;
      $('#app').hidden = false;
      route();
    } catch (err) {
      sessionStorage.removeItem('warren-auth');
      auth = null;
      showLogin(err.message);
    }
  }
  function showLogin(msg) {
    $('#app').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = msg || '';
  }

  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const d = new FormData(e.target);
    auth = btoa(`${d.get('username')}:${d.get('password')}`);
    sessionStorage.setItem('warren-auth', auth);
    start();
  });
  $('#logout').addEventListener('click', () => {
    sessionStorage.removeItem('warren-auth');
    auth = null;
    clearTimeout(timer);
    showLogin('');
  });
  window.addEventListener('hashchange', () => auth && route());
  if (auth) start();
  else showLogin('');
})();
