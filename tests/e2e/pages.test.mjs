// The site's pages: the Hash ring page, the Cluster page and the pages per mechanism
// (replication, the message log and saga, the flash sale) each download only their own lab
// (the lab pages only their protocols), open the other lab by navigating with the link state
// along, and paint their first frame; the everything page still carries both. The log page
// has no 2PC: its saga comparison runs in the job worker and tables what the everything
// page tables itself. Screenshots of the two newest pages at desktop width in both themes and
// at 390 px. First-frame times are reported (written to target/perf/first-frame.json), never
// asserted: they depend on the machine.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { launch, openPage, closePage, gotoReady, until, stopServer, screenshot, loadGalleryScenario, REPO_ROOT, SCREENSHOT_DIR } from './harness.mjs';

let context;
before(async () => {
  context = await launch();
});
after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

/** Opens `pathname`, recording every wasm and JS the page fetched. */
async function open(pathname) {
  const page = await openPage(context);
  const fetched = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (/\.(wasm|js)$/.test(u.pathname)) fetched.push(path.basename(u.pathname));
  });
  const { readyMs } = await gotoReady(page, pathname);
  return { page, fetched, readyMs };
}

/** The wasm file a page's HTML names (what it must download, and nothing else). */
async function wasmOf(page) {
  return page.evaluate(() => {
    const html = document.documentElement.outerHTML;
    const m = html.match(/[A-Za-z0-9_-]+_bg\.wasm/);
    return m ? m[0] : null;
  });
}

const firstFrame = {};

test('the Hash ring page carries the ring lab alone and opens the Cluster page with the link state', async () => {
  const { page, fetched, readyMs } = await open('ring.html');
  firstFrame['ring.html'] = readyMs;
  const wasm = await wasmOf(page);
  assert.ok(wasm, 'ring.html names its wasm');
  assert.deepEqual(fetched.filter((f) => f.endsWith('.wasm')), [wasm]);
  // The ring works as on the everything page.
  assert.equal(await page.getByRole('list', { name: 'Nodes' }).getByRole('listitem').count(), 4);
  await page.getByRole('button', { name: 'Add node' }).click();
  await until(async () => (await page.getByRole('list', { name: 'Nodes' }).getByRole('listitem').count()) === 5);
  await until(async () => new URL(page.url()).hash.startsWith('#s='), { timeoutMs: 5000 });
  // The Cluster tab is on another page: choosing it navigates there with the fragment.
  await page.getByRole('tab', { name: 'Cluster' }).click();
  await page.waitForURL(/cluster\.html\?tab=cluster#s=/, { timeout: 10000 });
  await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 20000 });
  const clusterWasm = await wasmOf(page);
  assert.notEqual(clusterWasm, wasm, 'the Cluster page has its own wasm');
  // And back: the Hash ring page restores the ring from the same fragment (five nodes).
  await page.getByRole('tab', { name: 'Hash ring' }).click();
  await page.waitForURL(/ring\.html#s=/, { timeout: 10000 });
  await until(() => page.evaluate(() => document.documentElement.dataset.ready === '1'), { timeoutMs: 20000 });
  await until(async () => (await page.getByRole('list', { name: 'Nodes' }).getByRole('listitem').count()) === 5, { timeoutMs: 5000 });
  await closePage(page);
});

test('the Cluster page carries the Cluster lab alone and plays its default scenario', async () => {
  const { page, fetched, readyMs } = await open('cluster.html');
  firstFrame['cluster.html'] = readyMs;
  const wasm = await wasmOf(page);
  assert.deepEqual(fetched.filter((f) => f.endsWith('.wasm')), [wasm]);
  assert.equal(await page.locator('#ring-view').count(), 0, 'no Hash ring view on this page');
  const canvas = page.getByRole('img', { name: /^Cluster at t=/ });
  await canvas.waitFor({ timeout: 10000 });
  await page.getByRole('button', { name: 'Play' }).first().click();
  await until(async () => !/^Cluster at t=0 ms/.test(await canvas.getAttribute('aria-label')), { timeoutMs: 10000 });
  await closePage(page);
});

test('the replication page carries the store alone: its own wasm, its mechanisms in the gallery, its tour first', async () => {
  const { page, fetched, readyMs } = await open('replication.html');
  firstFrame['replication.html'] = readyMs;
  const wasm = await wasmOf(page);
  assert.ok(wasm, 'replication.html names its wasm');
  assert.deepEqual(fetched.filter((f) => f.endsWith('.wasm')), [wasm]);
  assert.equal(await page.locator('#ring-view').count(), 0, 'no Hash ring view on this page');
  // It opens on the replication tour's scenario, not the failure detector.
  await until(async () => /Sentinel/i.test(await page.getByTestId('scenario-title').innerText()), { timeoutMs: 10000 });
  // Its gallery lists what it can run: replication and failure detection, and says where
  // the rest opens.
  const gallery = page.getByRole('list', { name: 'Scenarios' });
  assert.ok(await until(async () => (await gallery.getByRole('button').count()) > 2, { timeoutMs: 15000 }), 'the gallery fills');
  const groups = await gallery.locator('.gallery-group h4').allTextContents();
  assert.deepEqual(groups.sort(), ['Failure detection', 'Replication and failover']);
  assert.match(await page.getByTestId('gallery-elsewhere').innerText(), /more scenarios.*full lab/);
  assert.equal(await page.getByRole('button', { name: 'Distributed locks' }).count(), 0, 'no chip for a mechanism it leaves out');
  assert.equal(await page.getByRole('heading', { name: 'Verify two-phase commit' }).count(), 0, 'no 2PC checker');
  // The store works here: play, and its history diagram fills.
  const canvas = page.getByRole('img', { name: /^Cluster at t=/ });
  await page.getByRole('button', { name: 'Play' }).first().click();
  await until(async () => !/^Cluster at t=0 ms/.test(await canvas.getAttribute('aria-label')), { timeoutMs: 10000 });
  // The opening scenario's embed points to this page too (not to the Cluster page, which has no store).
  assert.match(await embedSnippet(page), /\/replication\.html\?embed=1&tab=cluster/);
  await closePage(page);
});

test('the Cluster page lists only the mechanisms it carries', async () => {
  const { page } = await open('cluster.html');
  const gallery = page.getByRole('list', { name: 'Scenarios' });
  assert.ok(await until(async () => (await gallery.getByRole('button').count()) > 2, { timeoutMs: 15000 }), 'the gallery fills');
  const groups = await gallery.locator('.gallery-group h4').allTextContents();
  assert.deepEqual(groups.sort(), ['Distributed locks', 'Failure detection', 'Two-phase commit']);
  assert.match(await page.getByTestId('gallery-elsewhere').innerText(), /more scenarios/);
  await closePage(page);
});

/** The page's own name (the document title follows the scenario; og:title stays). */
async function ogTitle(page) {
  return page.locator('meta[property="og:title"]').getAttribute('content');
}

/** The Embed button's iframe snippet for the loaded scenario. */
async function embedSnippet(page) {
  await page.getByRole('button', { name: 'Embed' }).click();
  return page.getByRole('textbox', { name: 'Embed snippet' }).inputValue();
}

/** The gallery's mechanism groups once it has filled. */
async function galleryGroups(page) {
  const gallery = page.getByRole('list', { name: 'Scenarios' });
  assert.ok(await until(async () => (await gallery.getByRole('button').count()) > 2, { timeoutMs: 15000 }), 'the gallery fills');
  return (await gallery.locator('.gallery-group h4').allTextContents()).sort();
}

/** Plays from t=0 until the canvas says time moved on. */
async function plays(page) {
  const canvas = page.getByRole('img', { name: /^Cluster at t=/ });
  await canvas.waitFor({ timeout: 10000 });
  await page.getByRole('button', { name: 'Play' }).first().click();
  assert.ok(
    await until(async () => !/^Cluster at t=0 ms/.test(await canvas.getAttribute('aria-label')), { timeoutMs: 10000 }),
    'the clock never moved',
  );
  const pause = page.getByRole('button', { name: 'Pause' }).first();
  if (await pause.count()) await pause.click();
}

/** The page in light and dark at desktop width, and `pathname` opened at 390 px (as a phone
 * opens it: the legend starts hidden below 760 px), its first screen after playing a moment. */
async function shots(page, name, pathname, titleRe) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
  const phone = await openPage(context);
  await phone.setViewportSize({ width: 390, height: 844 });
  await gotoReady(phone, pathname);
  assert.ok(await until(async () => titleRe.test(await phone.getByTestId('scenario-title').innerText()), { timeoutMs: 10000 }));
  await plays(phone);
  await phone.evaluate(() => window.scrollTo(0, 0));
  await phone.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-phone.png`) });
  await closePage(phone);
}

/** "Compare with 2PC" on the saga panel: the table's cells, row by row. */
async function sagaCompared(page) {
  const panel = page.locator('section.saga');
  await panel.getByRole('button', { name: 'Compare with 2PC' }).click();
  const table = panel.getByRole('table', { name: 'Saga and 2PC compared' });
  assert.ok(await until(async () => (await table.count()) === 1, { timeoutMs: 60000 }), 'no comparison');
  const rows = [];
  for (const tr of await table.locator('tbody tr').all()) rows.push(await tr.locator('td').allInnerTexts());
  return rows;
}

let comparedInWorker = null;

test('the log page carries the message log and the saga: its own wasm, its mechanisms, its tour, the comparison in the worker', async () => {
  const { page, fetched, readyMs } = await open('log.html');
  firstFrame['log.html'] = readyMs;
  const wasm = await wasmOf(page);
  assert.ok(wasm, 'log.html names its wasm');
  assert.deepEqual(fetched.filter((f) => f.endsWith('.wasm')), [wasm], 'only its own wasm before a job');
  assert.equal(await page.locator('#ring-view').count(), 0, 'no Hash ring view on this page');
  assert.match(await ogTitle(page), /message log and the checkout saga/);
  // It opens on the message log's tour.
  await until(async () => /Commit before processing/.test(await page.getByTestId('scenario-title').innerText()), { timeoutMs: 10000 });
  assert.match(await page.getByTestId('scenario-title').innerText(), /Commit before processing/);
  assert.deepEqual(await galleryGroups(page), ['Checkout saga', 'Failure detection', 'Message log']);
  assert.match(await page.getByTestId('gallery-elsewhere').innerText(), /more scenarios.*full lab/);
  assert.equal(await page.getByRole('button', { name: 'Two-phase commit' }).count(), 0, 'no chip for 2PC');
  assert.equal(await page.getByRole('heading', { name: 'Verify two-phase commit' }).count(), 0, 'no 2PC checker');
  // The whole checkout runs on the log and the saga alone: it is in this page's gallery.
  const gallery = page.getByRole('list', { name: 'Scenarios' });
  assert.equal(await gallery.getByRole('button').filter({ hasText: 'Checkout end to end' }).count(), 1);
  await plays(page);
  await shots(page, 'page-log', 'log.html', /Commit before processing/);
  // The saga's comparison with 2PC: this page has no 2PC, the worker runs it.
  await loadGalleryScenario(page, 'The outbox relay crashes after publishing: a duplicate, absorbed');
  comparedInWorker = await sagaCompared(page);
  assert.deepEqual(comparedInWorker.map((r) => r[1]), ['2pc', 'saga', 'saga-choreo', '2pc', 'saga', 'saga-choreo']);
  assert.ok(fetched.some((f) => /^ringlab-worker.*\.wasm$/.test(f)), 'the worker was fetched for the comparison');
  await page.locator('section.saga').scrollIntoViewIfNeeded();
  await screenshot(page, 'page-log-compare');
  // The whole checkout (ring-routed keys, stock rows, the saga over the log) runs on this
  // page's protocols: it loads and plays here, and its embed points here, not to index.html.
  await loadGalleryScenario(page, 'Checkout end to end: ring, inventory, saga over the log, a broker failure and a rebalance');
  await plays(page);
  assert.match(await embedSnippet(page), /\/log\.html\?embed=1&tab=cluster/);
  await closePage(page);
});

test('the saga comparison in the worker tables what the everything page tables itself', async () => {
  assert.ok(comparedInWorker, 'the log page test got no table to compare with');
  const { page } = await open('?tab=cluster');
  await loadGalleryScenario(page, 'The outbox relay crashes after publishing: a duplicate, absorbed');
  assert.deepEqual(await sagaCompared(page), comparedInWorker);
  await closePage(page);
});

test('the flash-sale page carries the stock and the locks it takes: its own wasm, its mechanisms, its tour', async () => {
  const { page, fetched, readyMs } = await open('inventory.html');
  firstFrame['inventory.html'] = readyMs;
  const wasm = await wasmOf(page);
  assert.ok(wasm, 'inventory.html names its wasm');
  assert.deepEqual(fetched.filter((f) => f.endsWith('.wasm')), [wasm]);
  assert.equal(await page.locator('#ring-view').count(), 0, 'no Hash ring view on this page');
  assert.match(await ogTitle(page), /flash sale/);
  await until(async () => /Flash sale with no concurrency control/.test(await page.getByTestId('scenario-title').innerText()), { timeoutMs: 10000 });
  assert.match(await page.getByTestId('scenario-title').innerText(), /Flash sale with no concurrency control/);
  assert.deepEqual(await galleryGroups(page), ['Distributed locks', 'Failure detection', 'Inventory under contention']);
  assert.match(await page.getByTestId('gallery-elsewhere').innerText(), /more scenarios.*full lab/);
  assert.equal(await page.getByRole('button', { name: 'Message log' }).count(), 0, 'no chip for the log');
  assert.equal(await page.getByRole('heading', { name: 'Verify two-phase commit' }).count(), 0, 'no 2PC checker');
  await plays(page);
  await shots(page, 'page-inventory', 'inventory.html', /Flash sale with no concurrency control/);
  assert.match(await embedSnippet(page), /\/inventory\.html\?embed=1&tab=cluster/);
  await closePage(page);
});

test('the everything page still carries both labs', async () => {
  const { page, readyMs } = await open('');
  firstFrame['index.html'] = readyMs;
  await page.getByRole('tab', { name: 'Cluster' }).click();
  await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 20000 });
  assert.equal(new URL(page.url()).pathname, '/');
  await closePage(page);
  const dir = path.join(REPO_ROOT, 'target', 'perf');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'first-frame.json');
  let runs = [];
  try {
    runs = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    runs = [];
  }
  runs.push(firstFrame);
  writeFileSync(file, JSON.stringify(runs.slice(-10), null, 1));
  console.log(`first frame (navigation to data-ready, ms): ${JSON.stringify(firstFrame)}`);
});
