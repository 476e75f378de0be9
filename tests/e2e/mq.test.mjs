// The message log in the Cluster tab. mq-commit-before-crash played to the end flags the lost
// message (panel and canvas corner); switching commit to "after processing" reloads the
// scenario on the same seed, where the same crash reprocesses it instead of losing it. The
// eager/cooperative comparison runs from the panel and both stall times are read.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, screenshot, stopServer, until, scrubTo } from './harness.mjs';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const panel = (page) => page.locator('section.mq');
const canvas = (page) => page.getByRole('img', { name: /^Cluster at t=/ });

async function load(page, title) {
  const gallery = page.getByRole('list', { name: 'Scenarios' });
  assert.ok(await until(async () => (await gallery.getByRole('button').count()) > 3, { timeoutMs: 15000 }));
  await gallery.getByRole('button').filter({ hasText: title }).click();
  assert.ok(
    await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === title, { timeoutMs: 15000 }),
    `${title} never loaded`,
  );
}

test('commit before processing loses a message; commit after reprocesses it', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await load(page, 'Commit before processing: a crash loses messages');
    await scrubTo(page, 5000);
    const lost = panel(page).locator('[data-anomaly="lost"]');
    assert.ok(await until(async () => (await lost.count()) === 1, { timeoutMs: 10000 }), 'no lost message flagged');
    assert.match(await lost.innerText(), /lost: m\d+/);
    assert.match(await canvas(page).getAttribute('aria-label'), /lost 1, duplicated 0/);
    await screenshot(page, 'mq-commit-before-lost');

    await panel(page).getByRole('combobox', { name: 'commit' }).selectOption('1');
    assert.ok(
      await until(async () => (await panel(page).getByRole('combobox', { name: 'commit' }).inputValue()) === '1', { timeoutMs: 15000 }),
      'the commit-after variant never loaded',
    );
    await scrubTo(page, 5000);
    const dup = panel(page).locator('[data-anomaly="duplicated"]');
    assert.ok(await until(async () => (await dup.count()) === 1, { timeoutMs: 10000 }), 'nothing reprocessed');
    assert.equal(await panel(page).locator('[data-anomaly="lost"]').count(), 0);
    assert.match(await canvas(page).getAttribute('aria-label'), /lost 0, duplicated 1/);
    await screenshot(page, 'mq-commit-after-reprocessed');
  } finally {
    await closePage(page);
  }
});

test('eager and cooperative rebalancing compared on the same seed', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await load(page, 'A consumer joins: eager versus cooperative rebalancing');
    await panel(page).getByRole('button', { name: 'Compare settings' }).click();
    const table = panel(page).getByRole('table', { name: 'Settings compared' });
    assert.ok(await until(async () => (await table.count()) === 1, { timeoutMs: 30000 }), 'no comparison');
    const heads = await table.locator('thead th').allInnerTexts();
    const k = heads.indexOf('Stall (ms)');
    assert.ok(k >= 0, `${heads}`);
    const stall = async (label) => {
      const row = table.locator('tbody tr').filter({ hasText: label });
      return Number(await row.locator('td').nth(k).innerText());
    };
    const eager = await stall('rebalance eager');
    const coop = await stall('rebalance cooperative');
    assert.ok(eager > 0 && coop > 0, `${eager} / ${coop}`);
    assert.ok(coop < eager, `cooperative ${coop} ms vs eager ${eager} ms`);
    await screenshot(page, 'mq-compare');
  } finally {
    await closePage(page);
  }
});
