// Locks in the Cluster tab: the GC-pause scenario driven through the UI. With fencing on,
// storage rejects the paused client's stale write and the invariants hold; switching
// fencing off in the Locks panel (a live command at t=0, which forks the run) and playing
// on lets the same write through, and the stale write is flagged as a violation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, screenshot, stopServer, until, clockMs, scrubTo } from './harness.mjs';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const FENCED = 'The same GC pause, with fencing tokens';
const canvas = (page) => page.getByRole('img', { name: /^Cluster at t=/ });
const locks = (page) => page.locator('section.locks');
const stat = (page, name) => locks(page).locator(`[data-stat="${name}"] dd`);
const invariant = (page, name) =>
  page.getByRole('list', { name: 'Invariants' }).getByRole('listitem').filter({ has: page.locator('code', { hasText: new RegExp(`^${name}$`) }) });

async function loadFenced(page) {
  await gotoReady(page, '?tab=cluster');
  const gallery = page.getByRole('list', { name: 'Scenarios' });
  assert.ok(await until(async () => (await gallery.getByRole('button').count()) > 3, { timeoutMs: 15000 }));
  await gallery.getByRole('button').filter({ hasText: FENCED }).click();
  assert.ok(
    await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === FENCED, { timeoutMs: 15000 }),
    'the fenced scenario never loaded',
  );
}

test('GC pause with fencing: the stale write is rejected and shown; without fencing it is a violation', async () => {
  const page = await openPage(context);
  try {
    await loadFenced(page);
    await page.setViewportSize({ width: 1280, height: 900 });

    // Mid-pause (t=1,300): two clients believe they hold sku:42, the canvas says so in words.
    await scrubTo(page, 1300);
    const mid = await canvas(page).getAttribute('aria-label');
    assert.match(mid, /lock sku:42 on \w+: held by c1 \(token 1, overdue by \d+ ms \(frozen\)\) and c2 \(token 2,/);
    const row = locks(page).locator('tbody tr').filter({ hasText: 'sku:42' });
    assert.match(await row.getAttribute('class'), /clash/, 'two believers are flagged in the lock table');

    // Just after c1 wakes and writes with token 1: storage has seen 2 and rejects it.
    await scrubTo(page, 1710);
    assert.equal(await stat(page, 'rejected stale').innerText(), '1');
    assert.equal(await stat(page, 'unsafe writes').innerText(), '0');
    assert.match(await canvas(page).getAttribute('aria-label'), /storage sku:42 = 9, token ≥ 2/);
    assert.ok(await locks(page).getByRole('checkbox', { name: 'Storage checks fencing tokens' }).isChecked());
    await screenshot(page, 'locks-fenced-rejected');
    assert.match(await invariant(page, 'no_stale_write').innerText(), /holding/);
    assert.match(await invariant(page, 'no_lost_update').innerText(), /holding/);

    // Back to the start, fencing off from the panel: a live command that forks the run.
    await scrubTo(page, 0);
    await locks(page).getByRole('checkbox', { name: 'Storage checks fencing tokens' }).uncheck();
    assert.ok(await until(async () => /Forked at/.test(await page.locator('body').innerText()), { timeoutMs: 3000 }), 'no fork notice');
    assert.equal(await locks(page).getByRole('checkbox', { name: 'Storage checks fencing tokens' }).isChecked(), false);

    // Play the new future at full speed to the scenario's end.
    await page.getByRole('slider', { name: 'Speed' }).evaluate((el) => {
      el.value = el.max;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    assert.ok(await until(async () => (await clockMs(page)) >= 3000, { timeoutMs: 20000 }), `stuck at ${await clockMs(page)} ms`);

    assert.equal(await stat(page, 'unsafe writes').innerText(), '1', 'the stale write went through');
    assert.equal(await stat(page, 'rejected stale').innerText(), '0');
    assert.match(await invariant(page, 'no_stale_write').innerText(), /violated at t=1,70\d ms/);
    assert.match(await invariant(page, 'no_lost_update').innerText(), /violated/);
    const verdict = page.getByRole('list', { name: 'Expectations' }).getByRole('listitem').filter({ hasText: 'no_stale_write' });
    assert.match(await verdict.innerText(), /must hold: broke ✗/);
    await screenshot(page, 'locks-unfenced-violation');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('acquire and release by hand, switch recipe and compare recipes side by side', async () => {
  const page = await openPage(context);
  try {
    await loadFenced(page);
    await scrubTo(page, 2500);
    const panel = locks(page);
    await panel.getByLabel('As', { exact: true }).selectOption('c2');
    await panel.getByRole('button', { name: 'Acquire' }).click();
    // Step until c2's grant arrives (a few ms of network).
    const held = await until(async () => {
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      return /held by c2 \(token \d+,/.test(await canvas(page).getAttribute('aria-label'));
    }, { timeoutMs: 8000 });
    assert.ok(held, `c2 never held sku:42: ${await canvas(page).getAttribute('aria-label')}`);
    await panel.getByRole('button', { name: 'Release' }).click();
    const freed = await until(async () => {
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      return /lock sku:42 on \w+: free/.test(await canvas(page).getAttribute('aria-label'));
    }, { timeoutMs: 8000 });
    assert.ok(freed, 'sku:42 was never free again');

    // Bad input keeps the run: an over-long resource name is refused with the reason.
    await panel.getByLabel('lock', { exact: true }).fill('a-resource-name-far-too-long');
    await panel.getByRole('button', { name: 'Acquire' }).click();
    assert.match(await panel.getByRole('status').innerText(), /1\.\.=16 bytes/);

    await panel.getByRole('button', { name: 'Compare recipes' }).click();
    const table = page.getByRole('table', { name: 'Recipes compared' });
    assert.equal(await table.locator('tbody tr').count(), 4);
    assert.match(await table.locator('tbody tr').first().innerText(), /single Redis/);

    await panel.getByLabel('Recipe', { exact: true }).selectOption({ label: 'ZooKeeper' });
    assert.ok(
      await until(async () => /lock sku:42 on /.test(await canvas(page).getAttribute('aria-label')) && (await clockMs(page)) === 0, { timeoutMs: 5000 }),
      'the scenario did not reload with ZooKeeper',
    );
    assert.equal(await panel.getByLabel('Recipe', { exact: true }).inputValue(), '2');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});
