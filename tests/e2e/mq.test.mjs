// The message log in the Cluster tab. mq-commit-before-crash played to the end flags the lost
// message (panel, canvas corner and the message itself); back at 600 ms, before the crash,
// switching commit to "after processing" forks the run there (mq_set at the playhead, the past
// kept), and played on, the same crash reprocesses the messages instead of losing them. The
// eager/cooperative comparison runs from the panel and both stall times are read; a rebalance
// is drawn with each partition's standstill.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, screenshot, stopServer, until, scrubTo, clockMs, loadGalleryScenario } from './harness.mjs';

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

test('commit before processing loses a message; switched to commit-after in the past (a fork) it is reprocessed', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, 'Commit before processing: a crash loses messages');
    const commit = () => panel(page).getByRole('combobox', { name: 'commit' });
    await scrubTo(page, 5000);
    const lost = panel(page).locator('[data-anomaly="lost"]');
    assert.ok(await until(async () => (await lost.count()) === 1, { timeoutMs: 10000 }), 'no lost message flagged');
    const lostText = await lost.innerText();
    assert.match(lostText, /lost: m\d+/);
    const lostId = lostText.match(/m(\d+)/)[1];
    assert.match(await canvas(page).getAttribute('aria-label'), /lost 1, duplicated 0/);
    // Flagged on the message itself in the canvas's words too.
    assert.match(await canvas(page).getAttribute('aria-label'), new RegExp(`Flagged lost: m${lostId}\\b`));
    assert.equal(await commit().inputValue(), '0');
    await screenshot(page, 'mq-commit-before-lost');

    // Back before the crash (670 ms): commit after processing from 600 ms on. A command at
    // the playhead in the past: it forks there, keeping the first 600 ms as they were.
    await scrubTo(page, 600);
    await commit().selectOption('1');
    assert.ok(await until(async () => /Forked at t=600/.test(await page.locator('body').innerText()), { timeoutMs: 5000 }), 'no fork notice');
    assert.equal(await commit().inputValue(), '1');
    assert.equal(await page.getByTestId('scenario-title').innerText(), 'Commit before processing: a crash loses messages', 'the scenario was reloaded instead of forked');
    assert.equal(await clockMs(page), 600, 'the playhead moved: a reload, not a fork');

    // Play the new future to the end: the same crash now reprocesses instead of losing.
    await page.getByRole('slider', { name: 'Speed' }).evaluate((el) => {
      el.value = el.max;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    assert.ok(await until(async () => (await clockMs(page)) >= 5000, { timeoutMs: 30000 }), `stuck at ${await clockMs(page)} ms`);
    if (await page.getByRole('button', { name: 'Pause', exact: true }).isVisible()) {
      await page.getByRole('button', { name: 'Pause', exact: true }).click();
    }
    const dup = panel(page).locator('[data-anomaly="duplicated"]');
    assert.ok(await until(async () => (await dup.count()) === 1, { timeoutMs: 10000 }), 'nothing reprocessed');
    assert.equal(await panel(page).locator('[data-anomaly="lost"]').count(), 0);
    assert.match(await canvas(page).getAttribute('aria-label'), /lost 0, duplicated [1-9]/);
    assert.match(await canvas(page).getAttribute('aria-label'), /Flagged processed twice: m\d+/);
    await screenshot(page, 'mq-commit-after-reprocessed');

    // The past is kept: before the fork the old setting shows again.
    await scrubTo(page, 300);
    assert.ok(await until(async () => (await commit().inputValue()) === '0'), 'the past lost its setting');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('eager and cooperative rebalancing compared on the same seed', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, 'A consumer joins: eager versus cooperative rebalancing');
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
    console.log(`stall: eager ${eager} ms, cooperative ${coop} ms`);
    await screenshot(page, 'mq-compare');

    // The join at 1,200 ms drawn: under eager every partition leaves and comes back, each
    // with the time it stood still.
    const words = async () => canvas(page).getAttribute('aria-label');
    let t = 1200;
    let seen = '';
    while (t < 2600 && !/stood still/.test(seen)) {
      t += 50;
      await scrubTo(page, t);
      seen = await words();
    }
    assert.match(seen, /p\d (back to|c\d →) .* stood still \d+ ms/, seen);
    await screenshot(page, 'mq-rebalance-drawn');
  } finally {
    await closePage(page);
  }
});
