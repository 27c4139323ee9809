// The web UI end to end in headless Chromium (Debian's chromium driven by playwright-core): log in, see the
// overview with rendered charts, create a queue, publish a message to it and get it back, delete it; a stream
// queue made from the form, its page with the stream's figures and a real stream client's publisher and consumer.
// Skipped (with a message) where /usr/bin/chromium is missing; CI installs it (.ci/run).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as rs from 'rabbitmq-stream-js-client';
import { startApi, type Api } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
let api: Api;
let browser: Browser;
let page: Page;

before(async () => {
  if (!haveChromium) return;
  api = await startApi({ statsInterval: 250, streamPort: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
});
after(async () => {
  await browser?.close();
  await api?.b.close();
});

test(
  'login, overview charts, queue: create, publish, get, delete',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(api.base + '/');
    // wrong password first: the login form says so
    await page.fill('input[name=username]', 'guest');
    await page.fill('input[name=password]', 'nope');
    await page.click('button[type=submit]');
    await page.waitForSelector('#login-error:has-text("Login failed")');
    await page.fill('input[name=password]', 'guest');
    await page.click('button[type=submit]');
    await page.waitForSelector('#who:has-text("guest")');
    await page.waitForSelector('#totals');
    // the charts gather samples from the overview polls and draw them
    await page.waitForFunction(
      () => Number(document.querySelector('#chart-rates')?.getAttribute('data-points')) >= 2,
      null,
      {
        timeout: 10000,
      },
    );
    const inked = await page.evaluate(() => {
      const c = document.querySelector('#chart-queued') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    assert.ok(inked > 100, `chart has ${inked} drawn pixels`);
    // the node's memory against its high watermark; red with "alarm" while the memory alarm is in effect
    await page.waitForSelector('td:has-text("high watermark")');
    api.b.memory.setWatermark({ relative: 0 });
    try {
      await page.waitForSelector('.alarm:has-text("high watermark — alarm")', { timeout: 5000 });
    } finally {
      api.b.memory.setWatermark({ relative: 0.4 });
    }

    await page.click('a[href="#/queues"]');
    await page.waitForSelector('#add-queue');
    await page.fill('#add-queue input[name=name]', 'ui.q');
    await page.click('#add-queue button[type=submit]');
    await page.waitForSelector('table.queues a:has-text("ui.q")');
    assert.equal((await api.req('GET', '/api/queues/%2F/ui.q')).status, 200);

    await page.click('table.queues a:has-text("ui.q")');
    await page.waitForSelector('#publish');
    await page.fill('#publish input[name=payload]', 'hello from the UI');
    await page.click('#publish button[type=submit]');
    await page.waitForSelector('#flash:has-text("Message published.")');
    await page.waitForSelector('table.queue-detail td:has-text("1")');
    // RabbitMQ's "Message rates" split, from message_stats
    await page.waitForSelector('table.queue-rates td:has-text("Deliver (auto ack)")');
    await page.waitForSelector('table.queue-rates td:has-text("Get (empty)")');
    await page.click('#browse button[type=submit]');
    await page.waitForSelector('table.browsed td:has-text("hello from the UI")');
    await page.click('#get button[type=submit]');
    await page.waitForSelector('pre.payload');
    assert.equal(await page.textContent('pre.payload'), 'hello from the UI');

    await page.click('#delete');
    await page.waitForSelector('#add-queue');
    assert.equal((await api.req('GET', '/api/queues/%2F/ui.q')).status, 404);
    // everything came from Warren itself: no CDN
    const base = new URL(api.base);
    assert.ok(
      requests.every((u) => new URL(u).host === base.host),
      requests.join('\n'),
    );
  },
);

test(
  'other pages render: connections, exchanges, users, vhosts, policies, definitions',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    for (const [tab, text] of [
      ['connections', 'Connections'],
      ['channels', 'Channels'],
      ['exchanges', 'amq.direct'],
      ['users', 'Permissions'],
      ['vhosts', 'Virtual hosts'],
      ['policies', 'Policies'],
      ['definitions', 'Download broker definitions'],
    ] as const) {
      await page.click(`a[href="#/${tab}"]`);
      await page.waitForSelector(`#view :text("${text}")`);
    }
    await page.click('a[href="#/users"]');
    await page.fill('#add-user input[name=name]', 'uiuser');
    await page.fill('#add-user input[name=password]', 'pw');
    await page.click('#add-user button[type=submit]');
    await page.waitForSelector('#view td:has-text("uiuser")');
    assert.equal((await api.req('GET', '/api/users/uiuser')).status, 200);
  },
);

test(
  'a stream queue: added as type stream, its page shows segments, offsets, stream publishers and consumers',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    await page.click('a[href="#/queues"]');
    await page.waitForSelector('#add-queue');
    await page.selectOption('#add-queue select[name=type]', 'stream');
    await page.selectOption('#add-queue select[name=durable]', 'false');
    await page.fill('#add-queue input[name=name]', 'ui.stream');
    await page.click('#add-queue button[type=submit]');
    await page.waitForSelector('table.queues a:has-text("ui.stream")');
    const q = (await api.get('/api/queues/%2F/ui.stream')) as Record<string, unknown>;
    assert.deepEqual([q['type'], q['durable']], ['stream', true], 'a stream is durable whatever the form said');

    const port = api.b.streamPort!;
    const client = await rs.connect({ hostname: 'localhost', port, username: 'guest', password: 'guest', vhost: '/' });
    try {
      const pub = await client.declarePublisher({ stream: 'ui.stream', publisherRef: 'ui-writer' });
      for (let i = 0; i < 3; i++) await pub.send(Buffer.from(`m${i}`));
      await pub.flush();
      let got = 0;
      await client.declareConsumer({ stream: 'ui.stream', offset: rs.Offset.first(), consumerRef: 'ui-reader' }, () => {
        got++;
      });
      for (let i = 0; i < 100 && got < 3; i++) await new Promise((r) => setTimeout(r, 50));
      await page.click('table.queues a:has-text("ui.stream")');
      await page.waitForSelector('table.stream-detail');
      await page.waitForSelector('table.stream-publishers td:has-text("ui-writer")');
      // (the client sends its consumerRef as a property only for a single active consumer)
      await page.waitForSelector('table.stream-consumers td:text-is("up")');
      // a stream refuses basic.get and purge: the page does not offer them
      assert.equal(await page.$('#get'), null);
      assert.equal(await page.$('#purge'), null);
      await page.click('a[href="#/connections"]');
      await page.waitForSelector('#view td:text-is("stream")');
    } finally {
      await client.close();
    }
  },
);
