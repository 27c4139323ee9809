// Warren management UI, shared helpers: the API client (credentials in sessionStorage as RabbitMQ's UI keeps
// them), HTML escaping, tables, forms, number formats and the canvas rate chart. Plain browser scripts, no
// build step: index.html loads lib.js, the views-*.js files (each adds its pages to Warren.views), then app.js
// (routing and login). Everything shared hangs off window.Warren.
'use strict';
window.Warren = (function () {
  const $ = (s, el = document) => el.querySelector(s);
  let auth = sessionStorage.getItem('warren-auth');
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
        window.Warren.route();
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

  return {
    $,
    esc,
    enc,
    api,
    get,
    flash,
    table,
    fmt,
    rate,
    RATE_ROWS,
    rateRows,
    bytes,
    resource,
    form,
    onSubmit,
    vhostOptions,
    drawChart,
    samples,
    views: {},
    /** app.js's router, for views that re-render after a change. */
    route: null,
    setAuth(a) {
      auth = a;
    },
    hasAuth: () => auth !== null,
  };
})();
