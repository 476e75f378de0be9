// Shareable links: a link copied after a sequence of actions reproduces the same canvas pixels,
// metrics and log in a new page (Ring and Cluster tabs); gallery loads add a history entry
// that Back returns from; a damaged link says so in the alert and opens the default.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, canvasStats, stopServer, until, baseUrl } from './harness.mjs';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

async function withPage(body) {
  const page = await openPage(context);
  try {
    await body(page);
  } catch (err) {
    await page.close().catch(() => {});
    if (page.problems.length) err.message += `\nbrowser problems:\n  - ${page.problems.join('\n  - ')}`;
    throw err;
  }
  await closePage(page);
}

const ringCanvas = (page) => page.getByRole('img', { name: /^Hash ring/ });
const clusterCanvas = (page) => page.getByRole('img', { name: /^Cluster at t=/ });
const title = (page) => page.getByTestId('scenario-title');

async function idle(page) {
  const ok = await until(() => page.evaluate(() => document.documentElement.dataset.animating === '0'), { timeoutMs: 8000 });
  assert.ok(ok, 'the ring never went idle');
}

async function clusterReady(page) {
  const ok = await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
  assert.ok(ok, 'the cluster canvas never painted');
}

/** Presses Copy link and returns the link it shows. */
async function copyLink(page) {
  await page.getByRole('button', { name: 'Copy link' }).click();
  const box = page.getByRole('textbox', { name: 'Link to this state' });
  await box.waitFor();
  const url = await box.inputValue();
  assert.match(url, /#s=[A-Za-z0-9_-]+$/, `the link carries no state: ${url}`);
  return url;
}

async function clockText(page) {
  return (await page.getByTestId('clock').innerText()).trim();
}

test('a ring link reproduces the canvas, the metrics and the log in a new page', async () => {
  let url;
  let sender;
  await withPage(async (page) => {
    await gotoReady(page);
    await page.getByRole('button', { name: 'Add node' }).click();
    await page.getByLabel('New node name').fill('Zed');
    await page.getByRole('button', { name: 'Add node' }).click();
    await page.getByRole('list', { name: 'Nodes' }).getByRole('listitem').filter({ hasText: /^B/ }).click();
    await page.getByRole('button', { name: 'Fail', exact: true }).click();
    await idle(page);
    // Pixels before Copy link: the box it opens changes the page's layout.
    const pixels = (await canvasStats(ringCanvas(page))).hash;
    url = await copyLink(page);
    sender = {
      pixels,
      metrics: await page.getByRole('region', { name: 'Metrics' }).innerText(),
      log: await page.getByRole('log').first().innerText(),
      nodes: await page.getByRole('list', { name: 'Nodes' }).innerText(),
    };
    assert.match(sender.log, /Zed joined/);
    assert.match(sender.log, /B failed/);
  });
  await withPage(async (page) => {
    await gotoReady(page, url);
    await idle(page);
    assert.equal(await page.getByRole('region', { name: 'Metrics' }).innerText(), sender.metrics);
    assert.equal(await page.getByRole('log').first().innerText(), sender.log);
    assert.equal(await page.getByRole('list', { name: 'Nodes' }).innerText(), sender.nodes);
    assert.equal((await canvasStats(ringCanvas(page))).hash, sender.pixels, 'the canvas differs');
  });
});

test('a cluster link reproduces a forked run and its playhead; Back undoes a gallery load', async () => {
  let url;
  let sender;
  await withPage(async (page) => {
    await gotoReady(page, '?tab=cluster');
    await clusterReady(page);
    const first = new URL(page.url());
    await page.getByRole('button', { name: 'Load A partition makes healthy servers look dead' }).click();
    await until(async () => (await title(page).innerText()).includes('partition'), { timeoutMs: 10000 });
    await until(() => page.evaluate(() => location.hash.startsWith('#s=')), { timeoutMs: 3000 });
    // Scrub, select a node, crash it in the past (a fork), scrub again.
    const scrub = async (ms) => {
      await page.getByRole('slider', { name: 'Timeline' }).evaluate((el, v) => {
        el.value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, ms);
      await until(async () => (await clockText(page)) === `t = ${ms.toLocaleString('en-US')} ms`, { timeoutMs: 3000 });
    };
    await scrub(1200);
    await page.getByRole('list', { name: 'Cluster nodes' }).getByRole('listitem').first().click();
    await page.getByRole('button', { name: 'Crash', exact: true }).click();
    await page.getByRole('status').filter({ hasText: /^Forked at/ }).waitFor();
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForTimeout(300);
    const senderStats = await canvasStats(clusterCanvas(page));
    const pixels = senderStats.hash;
    url = await copyLink(page);
    sender = {
      pixels,
      stats: { ...senderStats, hueBuckets: undefined },
      label: await clusterCanvas(page).getAttribute('aria-label'),
      clock: await page.locator('.clock').innerText(),
      log: await page.getByRole('log', { name: 'Cluster events' }).innerText(),
      nodes: await page.getByRole('list', { name: 'Cluster nodes' }).innerText(),
      markers: await page.locator('.marker').evaluateAll((ms) => ms.map((m) => m.getAttribute('aria-label'))),
    };
    assert.ok(sender.markers.some((m) => /^fork at 1,200 ms/.test(m)), sender.markers.join('; '));
    // The Embed button gives an iframe snippet for this very state.
    await page.getByRole('button', { name: 'Embed' }).click();
    const snippet = await page.getByRole('textbox', { name: 'Embed snippet' }).inputValue();
    // It points at the Cluster page, so the embedding page downloads only the Cluster lab.
    assert.match(snippet, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/cluster\.html\?embed=1&tab=cluster&controls=full#s=[A-Za-z0-9_-]+" title="ringlab simulation"/);
    assert.equal(snippet.split('#s=')[1].split('"')[0], url.split('#s=')[1]);

    // The gallery load pushed a history entry: Back returns to the default scenario.
    await page.goBack();
    await until(async () => (await title(page).innerText()).trim() === 'A stop-the-world GC pause', { timeoutMs: 8000 });
    assert.equal((await title(page).innerText()).trim(), 'A stop-the-world GC pause');
    assert.equal(new URL(page.url()).pathname, first.pathname);
  });
  await withPage(async (page) => {
    await gotoReady(page, url);
    await clusterReady(page);
    await until(async () => (await page.locator('.clock').innerText()) === sender.clock, { timeoutMs: 5000 });
    assert.equal(await page.locator('.clock').innerText(), sender.clock);
    assert.equal(await clusterCanvas(page).getAttribute('aria-label'), sender.label);
    assert.equal(await page.getByRole('log', { name: 'Cluster events' }).innerText(), sender.log);
    assert.equal(await page.getByRole('list', { name: 'Cluster nodes' }).innerText(), sender.nodes);
    const markers = await page.locator('.marker').evaluateAll((ms) => ms.map((m) => m.getAttribute('aria-label')));
    assert.deepEqual(markers, sender.markers);
    // The first frames may still be settling (fonts, the gallery list arriving): compare once
    // the canvas is stable.
    let last = '';
    const stable = await until(async () => {
      const h = (await canvasStats(clusterCanvas(page))).hash;
      const same = h === last;
      last = h;
      return same && h === sender.pixels;
    }, { timeoutMs: 4000, intervalMs: 250 });
    const got = await canvasStats(clusterCanvas(page));
    assert.ok(stable, `the canvas differs: ${JSON.stringify({ ...got, hueBuckets: undefined })} vs ${JSON.stringify(sender.stats)}`);
  });
});

test('a damaged or newer link says so and opens the default', async () => {
  // Version byte 3 followed by junk; a truncated link; a corrupted one.
  const v3 = Buffer.from([3, 1, 2, 3, 4, 5]).toString('base64url');
  const cases = [
    [`?tab=cluster#s=${v3}`, /unsupported link version 3; this build reads 1/],
    [`#s=${v3}`, /unsupported link version 3; this build reads 1/],
    ['?tab=cluster#s=AQ', /link is truncated/],
    ['#s=AQIDBA*', /checksum mismatch: the link is corrupted/],
  ];
  for (const [path, message] of cases) {
    await withPage(async (page) => {
      await gotoReady(page, path);
      const cluster = path.includes('tab=cluster');
      if (cluster) await clusterReady(page);
      const alert = cluster ? page.locator('#cluster-view').getByRole('alert') : page.locator('#ring-view').getByRole('alert');
      await alert.first().waitFor();
      assert.match(await alert.first().innerText(), message);
      assert.match(await alert.first().innerText(), /showing the default/);
      if (cluster) assert.equal((await title(page).innerText()).trim(), 'A stop-the-world GC pause');
      else assert.equal(await page.getByRole('list', { name: 'Nodes' }).getByRole('listitem').count(), 4);
    });
  }
  assert.ok((await baseUrl()).startsWith('http://127.0.0.1'));
});

/** Presses a key with nothing focused (the body), as a keyboard user would after Escape. */
async function key(page, k) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.press(k);
}

test('keyboard-only flow: shortcuts drive both tabs, the sheet opens and closes, fields keep their keys', async () => {
  await withPage(async (page) => {
    await gotoReady(page);
    const items = () => page.getByRole('list', { name: 'Nodes' }).getByRole('listitem').count();
    await key(page, 'n');
    await until(async () => (await items()) === 5);
    assert.equal(await items(), 5, 'N added a node');
    // Typing in a field never triggers a shortcut.
    await page.getByLabel('New node name').press('n');
    await page.waitForTimeout(200);
    assert.equal(await items(), 5, 'typing "n" in a field added a node');
        await key(page, 'f');
    assert.match(await page.locator('#ring-view').getByRole('alert').innerText(), /select a node first/);
    await key(page, '?');
    const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await sheet.waitFor();
    assert.match(await sheet.innerText(), /Play \/ pause/);
    await key(page, 'Escape');
    await sheet.waitFor({ state: 'detached' });

    // The Cluster tab.
    await page.getByRole('tab', { name: 'Cluster' }).click();
    await clusterReady(page);
    const events = async () => Number(/event ([\d,]+)/.exec(await page.locator('.clock').innerText())[1].replaceAll(',', ''));
    await key(page, 'ArrowRight');
    await until(async () => (await events()) > 1);
    const after = await events();
    assert.ok(after > 1, '→ stepped forward');
    await key(page, 'ArrowRight');
    await until(async () => (await events()) > after);
    const further = await events();
    await key(page, 'ArrowLeft');
    await until(async () => (await events()) < further);
    assert.ok((await events()) < further, '← stepped back');
    const speed = async () => page.locator('.timebar output').innerText();
    const s0 = await speed();
    await key(page, '+');
    await until(async () => (await speed()) !== s0);
    assert.notEqual(await speed(), s0, '+ changed the speed');
    await key(page, ' ');
    await until(() => page.evaluate(() => document.documentElement.dataset.clusterPlaying === '1'));
    await page.getByRole('button', { name: 'Pause', exact: true }).waitFor();
    await key(page, ' ');
    await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
    // Every shortcut is also a button.
    for (const name of ['Step back', 'Step', 'Slower', 'Faster', 'Shortcuts']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, `no "${name}" button`);
    }
  });
});
