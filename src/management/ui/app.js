// Warren management UI: a single page over the management API (the same /api RabbitMQ's UI uses). This file
// routes #/page/args to Warren.views (views-*.js) and handles login/logout; helpers are in lib.js.
'use strict';
(function () {
  const W = window.Warren;
  const { $, get, flash, views } = W;
  let timer = null;

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

  W.route = route;

  async function start() {
    try {
      const me = await get('/api/whoami');
      $('#who').textContent = `User: ${me.name}`;
      $('#login').hidden = true;
      $('#app').hidden = false;
      route();
    } catch (err) {
      sessionStorage.removeItem('warren-auth');
      W.setAuth(null);
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
    const auth = btoa(`${d.get('username')}:${d.get('password')}`);
    W.setAuth(auth);
    sessionStorage.setItem('warren-auth', auth);
    start();
  });
  $('#logout').addEventListener('click', () => {
    sessionStorage.removeItem('warren-auth');
    W.setAuth(null);
    clearTimeout(timer);
    showLogin('');
  });
  window.addEventListener('hashchange', () => W.hasAuth() && route());
  if (W.hasAuth()) start();
  else showLogin('');
})();
