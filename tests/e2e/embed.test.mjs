// Embed mode and its postMessage API. The host is static/embed-example.html served on a SECOND
// origin (http://localhost:<other port>) while the app stays on http://127.0.0.1:<port>; the
// test drives the embed only through the host page's postMessage calls.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { SCREENSHOT_DIR } from './harness.mjs';
import { launch, openPage, closePage, gotoReady, stopServer, until, baseUrl, serveDir, screenshot, REPO_ROOT, canvasStats } from './harness.mjs';

let context;
let hostServer;
let app;

before(async () => {
  context = await launch();
  app = await baseUrl();
  hostServer = await serveDir(path.resolve(REPO_ROOT, process.env.E2E_DIST || 'dist'));
});

after(async () => {
  if (context) await context.shutdown();
  if (hostServer) await hostServer.close();
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

/** The host page on the second origin (localhost instead of 127.0.0.1). */
function hostUrl(extra = '') {
  const u = new URL('embed-example.html', hostServer.url.replace('127.0.0.1', 'localhost'));
  return `${u.href}?app=${encodeURIComponent(app)}${extra}`;
}

/** Waits for a message from the embed matching `pred`; returns it. */
async function received(page, pred, what, timeoutMs = 10000) {
  const found = await until(async () => {
    const all = await page.evaluate(() => window.received);
    return all.find(pred);
  }, { timeoutMs });
  if (!found) {
    const all = await page.evaluate(() => window.received);
    assert.fail(`no ${what} among ${JSON.stringify(all.slice(-8))}`);
  }
  return found;
}

const send = (page, msg) => page.evaluate((m) => window.send(m), msg);
const reply = (page, id, what) => received(page, (m) => m.id === id, what);

test('a host on another origin drives the embed only through postMessage', async () => {
  await withPage(async (page) => {
    await page.goto(hostUrl());
    const ready = await received(page, (m) => m.type === 'ready', 'ready', 20000);
    assert.equal(ready.protocol, 1);
    assert.equal(new URL(page.url()).hostname, 'localhost');

    await send(page, { type: 'load', gallery: 'gc-pause', id: 1 });
    const loaded = await reply(page, 1, 'reply to load');
    assert.equal(loaded.type, 'state');
    assert.equal(loaded.scenario, 'gc-pause');
    assert.equal(loaded.t, 0);

    await send(page, { type: 'subscribe', kinds: ['pause', 'crash', 'violation'], id: 2 });
    assert.equal((await reply(page, 2, 'reply to subscribe')).type, 'state');
    await send(page, { type: 'seek', ms: 2600, id: 3 });
    const sought = await reply(page, 3, 'reply to seek');
    assert.equal(sought.t, 2600);
    assert.ok(sought.violations.includes('accurate_suspicion'), JSON.stringify(sought));
    const pause = await received(page, (m) => m.type === 'event' && m.kind === 'pause', 'pause event');
    assert.equal(pause.t, 2000);
    await received(page, (m) => m.type === 'event' && m.kind === 'violation', 'violation event');

    await send(page, { type: 'command', cmd: { op: 'crash', node: 'C' }, id: 4 });
    assert.equal((await reply(page, 4, 'reply to command')).type, 'state');
    const crash = await received(page, (m) => m.type === 'event' && m.kind === 'crash', 'crash event');
    assert.match(crash.text, /C/);

    await send(page, { type: 'setSpeed', speed: 5, id: 5 });
    assert.equal((await reply(page, 5, 'reply to setSpeed')).speed, 5);
    await send(page, { type: 'play', id: 6 });
    assert.equal((await reply(page, 6, 'reply to play')).playing, true);
    await page.waitForTimeout(300);
    await send(page, { type: 'pause', id: 7 });
    await reply(page, 7, 'reply to pause');
    await send(page, { type: 'getState', id: 8 });
    const st = await reply(page, 8, 'reply to getState');
    assert.equal(st.playing, false);
    assert.ok(st.t > 2600, `time did not advance while playing: ${st.t}`);
    assert.ok(st.head >= st.t);

    await received(page, (m) => m.type === 'resize' && m.height > 50, 'resize');

    // Malformed messages get an error and change nothing.
    await send(page, 'garbage');
    const e1 = await received(page, (m) => m.type === 'error' && /not JSON/.test(m.message), 'error for garbage');
    assert.ok(e1);
    await send(page, { type: 'seek', ms: -1, id: 9 });
    assert.match((await reply(page, 9, 'error for a bad seek')).message, /seek needs "ms"/);
    await send(page, { type: 'command', cmd: { op: 'crash', node: 'Nope' }, id: 10 });
    assert.match((await reply(page, 10, 'error for an unknown node')).message, /no node named "Nope"/);
    await send(page, { type: 'explode', id: 11 });
    assert.match((await reply(page, 11, 'error for an unknown type')).message, /unknown message type "explode"/);
    await send(page, { type: 'getState', id: 12 });
    const after = await reply(page, 12, 'state after the refused messages');
    assert.equal(after.t, st.t);
    assert.equal(after.position, st.position);

    // The host's buttons work the same way (a click, not a script).
    await page.getByRole('button', { name: 'Seek to 2.5 s' }).click();
    await until(async () => (await page.evaluate(() => window.received)).some((m) => m.type === 'state' && m.t === 2500));
    // The viewport, not a full-page capture: Chromium does not repaint iframes for those.
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'embed-host.png') });
  });
});

test('a disallowed origin is refused with an error and gets no ready', async () => {
  await withPage(async (page) => {
    await page.goto(hostUrl('&origins=https://example.invalid'));
    await page.frameLocator('#lab').getByRole('img', { name: /^Cluster at t=/ }).waitFor({ timeout: 20000 });
    await send(page, { type: 'getState', id: 1 });
    const refused = await received(page, (m) => m.type === 'error', 'error for the disallowed origin');
    assert.match(refused.message, /^origin http:\/\/localhost:\d+ may not drive this embed$/);
    assert.equal(refused.id, undefined, 'no state leaks into the refusal');
    const all = await page.evaluate(() => window.received);
    assert.ok(!all.some((m) => m.type === 'ready' || m.type === 'state'), JSON.stringify(all));
  });
});

test('embed mode is compact from 320×240 up, with options from the query', async () => {
  for (const [w, h, name] of [
    [320, 240, 'embed-320x240.png'],
    [1280, 800, 'embed-desktop.png'],
  ]) {
    await withPage(async (page) => {
      await page.setViewportSize({ width: w, height: h });
      await gotoReady(page, '?embed=1&tab=cluster&controls=minimal&theme=dark&start=2600&speed=2&panels=narration');
      await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
      assert.equal(await page.locator('header').count(), 0, 'no page chrome in an embed');
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      assert.equal((await page.getByTestId('clock').innerText()).trim(), 't = 2,600 ms');
      const canvas = page.getByRole('img', { name: /^Cluster at t=2,600 ms/ });
      const stats = await canvasStats(canvas, { minShare: 0.0005 });
      assert.ok(stats.cssWidth >= w - 20 && stats.cssHeight >= 80, JSON.stringify(stats));
      await screenshot(page, name);
      assert.ok(stats.saturatedHues >= 2, `node colours on the canvas: ${stats.hueBuckets}`);
      assert.equal(await page.getByRole('slider', { name: 'Timeline' }).isVisible(), false, 'controls=minimal hides the scrubber');
      assert.equal(await page.getByRole('button', { name: 'Play' }).isVisible(), true);
      // No scroll trap: the page does not scroll sideways, and at 320×240 nothing overflows wider.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
      await screenshot(page, name);
    });
  }
});

/** The gallery index has arrived (its buttons exist, shown or not), so no fetch is pending. */
async function galleryLoaded(scope) {
  const ok = await until(async () => (await scope.locator('ul[aria-label="Scenarios"] button').count()) > 0, { timeoutMs: 15000 });
  assert.ok(ok, 'the gallery index never arrived');
}

test('the static build works from a sub-path, with the docs page and its live examples', async () => {
  // Build once with --public-url /ringlab/ into target/site/ringlab (E2E_SUBPATH_SITE reuses one).
  let site = process.env.E2E_SUBPATH_SITE;
  if (!site) {
    site = path.join(REPO_ROOT, 'target', 'site');
    mkdirSync(site, { recursive: true });
    writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>site root</title>');
    const r = spawnSync('trunk', ['build', '--release', '--offline=true', '--public-url', '/ringlab/', '--dist', path.join(site, 'ringlab')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${path.join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}` },
    });
    assert.equal(r.status, 0, `trunk build --public-url /ringlab/ failed:\n${(r.stderr || '').slice(-2000)}`);
  }
  const server = await serveDir(site);
  try {
    await withPage(async (page) => {
      await page.goto(`${server.url}ringlab/?tab=cluster`);
      await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 20000 });
      await page.getByRole('button', { name: 'Load A partition makes healthy servers look dead' }).click();
      await until(async () => (await page.getByTestId('scenario-title').innerText()).includes('partition'), { timeoutMs: 10000 });
      assert.match(new URL(page.url()).pathname, /^\/ringlab\/$/);
      // A link made under the sub-path opens there.
      await until(() => page.evaluate(() => location.hash.startsWith('#s=')), { timeoutMs: 3000 });
      const link = page.url();
      // Leaving while the gallery index is still loading would abort it (a "failed request").
      await galleryLoaded(page);
      await page.goto('about:blank');
      await page.goto(link);
      await until(async () => (await page.getByTestId('scenario-title').innerText().catch(() => '')).includes('partition'), { timeoutMs: 15000 });

      // The docs page: its examples are the app in embed mode, loaded through the API.
      await galleryLoaded(page);
      await page.goto(`${server.url}ringlab/docs.html`);
      const frame = page.frameLocator('iframe[data-scenario="partition-false-suspicion"]');
      await frame.getByRole('img', { name: /^Cluster at t=/ }).waitFor({ timeout: 20000 });
      await until(async () => (await frame.getByTestId('scenario-title').textContent().catch(() => '') || '').includes('partition'), { timeoutMs: 15000 });
      assert.match(await frame.getByTestId('scenario-title').textContent(), /partition/);
      await page.getByRole('link', { name: 'embed example' }).waitFor();
      for (const f of page.frames().filter((f) => f !== page.mainFrame())) await galleryLoaded(f);
    });
  } finally {
    await server.close();
  }
});
