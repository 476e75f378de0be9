// The flash sale in the Cluster tab: "no control" from the gallery oversells (the panel's
// counters and the live chart's text alternative say so), switching the strategy to the
// atomic decrement reloads the sale with nothing oversold, and comparing every strategy on
// the same seed lists which ones broke no_oversell. Screenshots of the panel and its chart
// in the light and dark themes go to target/screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, openPage, closePage, gotoReady, stopServer, until, scrubTo, SCREENSHOT_DIR, canvasStats } from './harness.mjs';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const TITLE = 'Flash sale with no concurrency control: oversold';
const panel = (page) => page.locator('section.stock');
const counter = async (page, name) => {
  const table = panel(page).getByRole('table', { name: 'Sale counters' });
  const heads = await table.locator('thead th').allInnerTexts();
  const k = heads.indexOf(name);
  assert.ok(k >= 0, `no counter ${name} in ${heads}`);
  return (await table.locator('tbody td').nth(k).innerText()).trim();
};
const liveChart = (page) => panel(page).locator('figure[data-chart$="-live"] canvas');

async function loadSale(page) {
  await gotoReady(page, '?tab=cluster');
  await page.setViewportSize({ width: 1280, height: 900 });
  const gallery = page.getByRole('list', { name: 'Scenarios' });
  assert.ok(await until(async () => (await gallery.getByRole('button').count()) > 3, { timeoutMs: 15000 }));
  await gallery.getByRole('button').filter({ hasText: TITLE }).click();
  assert.ok(
    await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === TITLE, { timeoutMs: 15000 }),
    'the no-control sale never loaded',
  );
}

async function shoot(page, name) {
  await panel(page).scrollIntoViewIfNeeded();
  await panel(page).screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-panel.png`) });
  await panel(page).locator('figure').first().screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-chart.png`) });
}

test('flash sale: no control oversells, the atomic decrement does not, strategies compared', async () => {
  const page = await openPage(context);
  try {
    await loadSale(page);
    await scrubTo(page, 2000);
    assert.equal(await counter(page, 'Sold'), '40');
    assert.equal(await counter(page, 'Oversold'), '30');
    const label = await liveChart(page).getAttribute('aria-label');
    assert.match(label, /Stock remaining: left 9, K − promised -30/);
    assert.match(label, /Throughput \(units\/s\): sold\/s/);
    // The chart's table holds the same figures.
    await panel(page).locator('figure[data-chart$="-live"] summary').click();
    const rows = panel(page).getByRole('table', { name: 'Stock remaining' }).locator('tbody tr');
    assert.ok((await rows.count()) >= 10);
    assert.match(await rows.last().innerText(), /9\s+-30/);
    const px = await canvasStats(liveChart(page));
    assert.ok(px, 'the live chart painted nothing');
    await shoot(page, 'stock-no-control');

    // Switch to the atomic decrement: the same sale, reloaded as a variant.
    await panel(page).getByRole('combobox', { name: 'Strategy' }).selectOption({ label: 'Atomic decrement' });
    assert.ok(
      await until(async () => (await panel(page).getByRole('combobox', { name: 'Strategy' }).inputValue()) === '7', { timeoutMs: 10000 }),
      'the strategy never switched',
    );
    await scrubTo(page, 2000);
    assert.equal(await counter(page, 'Sold'), '10');
    assert.equal(await counter(page, 'Oversold'), '0');
    assert.equal(await counter(page, 'Refused'), '30');
    assert.match(await liveChart(page).getAttribute('aria-label'), /Stock remaining: left 0, K − promised 0/);

    // Every strategy on the same seed.
    await panel(page).getByRole('button', { name: 'Compare strategies (same seed)' }).click();
    const cmp = panel(page).getByRole('table', { name: 'Strategies compared' }).locator('tbody tr');
    assert.ok(await until(async () => (await cmp.count()) >= 6, { timeoutMs: 20000 }), 'no comparison');
    const text = (await cmp.allInnerTexts()).join('\n');
    assert.match(text, /No control[^\n]*no_oversell/);
    assert.match(text, /Atomic decrement[^\n]*none$/m);
    assert.match(text, /Row lock[^\n]*none$/m);
    await shoot(page, 'stock-atomic');
  } finally {
    await closePage(page);
  }
});

test('flash sale chart in the dark theme, and the contention experiment', async () => {
  const dark = await launch({ colorScheme: 'dark' });
  const page = await openPage(dark);
  try {
    await loadSale(page);
    await scrubTo(page, 300);
    await shoot(page, 'stock-dark');
    await panel(page).getByRole('button', { name: /Run the contention experiment/ }).click();
    const fig = panel(page).locator('figure[data-chart="contention"] canvas');
    assert.ok(await until(async () => (await fig.count()) === 1, { timeoutMs: 60000 }), 'no contention chart');
    const label = await fig.getAttribute('aria-label');
    assert.match(label, /Total calls: none \d+, expo \d+, full-jitter \d+, decorrelated \d+/);
    const nums = /none (\d+), expo \d+, full-jitter (\d+)/.exec(label);
    assert.ok(Number(nums[2]) < Number(nums[1]), `jitter should cut the calls: ${label}`);
    await panel(page).locator('figure[data-chart="contention"]').screenshot({ path: path.join(SCREENSHOT_DIR, 'stock-contention-dark.png') });
  } finally {
    await closePage(page);
    await dark.shutdown();
  }
});
