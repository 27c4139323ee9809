// Warren management UI: users, virtual hosts, policies and definitions. Adds its pages to Warren.views (see lib.js).
'use strict';
(function () {
  const { $, esc, enc, api, get, flash, table, form, onSubmit, vhostOptions } = window.Warren;
  const route = () => window.Warren.route();
  Object.assign(window.Warren.views, {
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
  });
})();
