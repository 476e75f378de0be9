// The site's pages: the Hash ring page, the Cluster page and the replication page each
// download only their own lab (the last two only their protocols), open the other lab by navigating with the link state along, and paint their first
// frame; the everything page still carries both. First-frame times are reported (written to
// target/perf/first-frame.json), never asserted: they depend on the machine.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { launch, openPage, closePage, gotoReady, until, stopServer, REPO_ROOT } from './harness.mjs';

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
