// The checkout saga in the Cluster tab. outbox-relay-crash played to the end: the relay's
// duplicate publish of order 0's charge reaches the payment service twice and its inbox
// absorbs it (panel flag, every saga row completed, canvas text). Switching the consumer to
// naive reloads the scenario on the same seed (a fork of the same run), where the same
// duplicate charges order 0 twice and the panel flags the double charge. Then the
// comparison with 2PC runs from the panel. Screenshots in both themes and at phone width.
// The checkout-end-to-end tour is played to its last step, answering its four questions
// (the broker failure, the rebalance and the rejoin happen under the saga, on its own topic).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launch, openPage, closePage, gotoReady, screenshot, stopServer, until, scrubTo, clockMs, loadGalleryScenario, REPO_ROOT } from './harness.mjs';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const panel = (page) => page.locator('section.saga');
const canvas = (page) => page.getByRole('img', { name: /^Cluster at t=/ });

test('a duplicate publish is absorbed by the inbox; a naive consumer charges twice', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, 'The outbox relay crashes after publishing: a duplicate, absorbed');
    // Mid-run: the duplicate is on the log, order 0's row shows its steps.
    await scrubTo(page, 272);
    assert.match(await canvas(page).getAttribute('aria-label'), /checkout sagas: \d+ started/);
    await scrubTo(page, 3000);
    const absorbed = panel(page).locator('[data-saga="absorbed"]');
    assert.ok(await until(async () => (await absorbed.count()) === 1, { timeoutMs: 10000 }), 'no absorbed duplicate');
    assert.match(await absorbed.innerText(), /duplicates absorbed by the inbox: [1-9]/);
    assert.equal(await panel(page).locator('[data-anomaly="double_charge"]').count(), 0);
    const rows = panel(page).getByRole('list', { name: 'Sagas' }).locator('li');
    assert.equal(await rows.count(), 2);
    assert.equal(await panel(page).locator('li[data-outcome="completed"]').count(), 2);
    assert.equal(await rows.first().locator('.saga-step.done').count(), 4);
    assert.match(await canvas(page).getAttribute('aria-label'), /0 double charges/);
    await screenshot(page, 'saga-outbox-relay-crash-absorbed');

    await panel(page).getByRole('combobox', { name: 'consumer' }).selectOption('1');
    assert.ok(
      await until(async () => (await panel(page).getByRole('combobox', { name: 'consumer' }).inputValue()) === '1', { timeoutMs: 15000 }),
      'the naive-consumer variant never loaded',
    );
    await scrubTo(page, 3000);
    const double = panel(page).locator('[data-anomaly="double_charge"]');
    assert.ok(await until(async () => (await double.count()) === 1, { timeoutMs: 10000 }), 'no double charge flagged');
    assert.match(await double.innerText(), /charged twice: 1/);
    assert.match(await canvas(page).getAttribute('aria-label'), /1 double charges/);
    await screenshot(page, 'saga-naive-double-charge');

    await panel(page).getByRole('button', { name: 'Compare with 2PC' }).click();
    const table = panel(page).getByRole('table', { name: 'Saga and 2PC compared' });
    assert.ok(await until(async () => (await table.count()) === 1, { timeoutMs: 30000 }), 'no comparison');
    assert.equal(await table.locator('tbody tr').count(), 6);
    const systems = await table.locator('tbody tr td:nth-child(2)').allInnerTexts();
    assert.deepEqual(systems, ['2pc', 'saga', 'saga-choreo', '2pc', 'saga', 'saga-choreo']);
    await panel(page).scrollIntoViewIfNeeded();
    await screenshot(page, 'saga-compare');
  } finally {
    await closePage(page);
  }
});

test('Fail a step: the picked order stays picked and its saga compensates', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, 'The outbox relay crashes after publishing: a duplicate, absorbed');
    await scrubTo(page, 0);
    const pick = panel(page).getByRole('combobox', { name: 'order to fail' });
    await pick.selectOption('1');
    await panel(page).getByRole('button', { name: 'Fail charge' }).click();
    // The command re-renders the panel: the order picked is still the one shown.
    assert.equal(await pick.inputValue(), '1');
    // A command at 0 ms forks there: play the new future at full speed.
    await page.getByRole('slider', { name: 'Speed' }).evaluate((el) => {
      el.value = el.max;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    assert.ok(await until(async () => (await clockMs(page)) >= 3000, { timeoutMs: 30000 }), `stuck at ${await clockMs(page)} ms`);
    if (await page.getByRole('button', { name: 'Pause', exact: true }).isVisible()) {
      await page.getByRole('button', { name: 'Pause', exact: true }).click();
    }
    const rows = panel(page).getByRole('list', { name: 'Sagas' }).locator('li');
    assert.ok(await until(async () => (await rows.nth(1).getAttribute('data-outcome')) === 'compensated', { timeoutMs: 10000 }), 'order 1 was not compensated');
    assert.equal(await rows.nth(0).getAttribute('data-outcome'), 'completed');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('the saga panel in the dark theme and at phone width', async () => {
  const page = await openPage(context);
  try {
    await page.emulateMedia({ colorScheme: 'dark' });
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 390, height: 844 });
    await loadGalleryScenario(page, 'A declined card: the saga compensates in reverse order');
    await scrubTo(page, 3000);
    assert.equal(await panel(page).locator('li[data-outcome="compensated"]').count(), 2);
    assert.equal(await panel(page).locator('.saga-step.compensated').count(), 3);
    await panel(page).scrollIntoViewIfNeeded();
    await screenshot(page, 'saga-phone-dark');
    await page.setViewportSize({ width: 1280, height: 900 });
    await panel(page).scrollIntoViewIfNeeded();
    await screenshot(page, 'saga-desktop-dark');
  } finally {
    await closePage(page);
  }
});

test('the checkout-end-to-end tour, played to the end with its questions', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, 'Checkout end to end: ring, inventory, saga over the log, a broker failure and a rebalance');
    await page.getByRole('button', { name: 'Take the tour' }).click();
    const card = page.getByRole('region', { name: 'Guided tour' });
    const head = async () => (await card.locator('.tour-head strong').innerText()).trim();
    const right = [/The shard the ring assigns sku:0/, /They are on B, the in-sync follower/, /It waits in D.s partition/, /Its consumer reads its partition/];
    let asked = 0;
    for (let i = 0; i < 30 && (await head()) !== 'Tour · step 7 of 7'; i++) {
      const ask = card.getByRole('group');
      if ((await ask.count()) === 1) {
        let clicked = false;
        for (const r of right) {
          const b = ask.getByRole('button', { name: r });
          if ((await b.count()) === 1) {
            await b.click();
            clicked = true;
            break;
          }
        }
        assert.ok(clicked, 'no right answer offered');
        asked += 1;
        assert.ok(await until(async () => /^✓ Right\./.test(await card.locator('.tour-verdict').innerText())), 'answer not judged right');
      }
      await card.getByRole('button', { name: 'Next' }).click();
      await until(async () => !(await card.getByRole('button', { name: 'Next' }).isDisabled()) || (await card.getByRole('group').count()) === 1);
    }
    assert.equal(await head(), 'Tour · step 7 of 7');
    assert.equal(asked, 4, 'four questions asked');
    assert.ok(await until(async () => (await clockMs(page)) === 983), `ends at ${await clockMs(page)}`);
    assert.equal(await panel(page).locator('li[data-outcome="completed"]').count(), 5);
    assert.equal(await panel(page).locator('li[data-outcome="compensated"]').count(), 1);
    assert.deepEqual(page.problems, []);
    await screenshot(page, 'saga-tour-end');
  } finally {
    await closePage(page);
  }
});

test('a pasted saga whose log leaves the orchestrator without a partition is refused, and the scenario is kept', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, 'The outbox relay crashes after publishing: a duplicate, absorbed');
    const title = page.getByTestId('scenario-title');
    const kept = (await title.innerText()).trim();
    const file = JSON.parse(readFileSync(path.join(REPO_ROOT, 'static', 'scenarios', 'outbox-relay-crash.json'), 'utf8'));
    file.protocols.mq.consumers = file.protocols.mq.consumers.filter((n) => n !== 'shop');
    await page.getByRole('textbox', { name: 'Scenario JSON' }).fill(JSON.stringify(file));
    await page.getByRole('button', { name: 'Load pasted JSON' }).click();
    const alert = page.locator('#cluster-view').getByRole('alert').first();
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /protocols\.mq\.consumers/);
    assert.match(text, /"shop" takes part in the saga but is not listed/);
    assert.equal((await title.innerText()).trim(), kept, 'the loaded scenario was replaced');
    // Said where the user is: beside the paste box, in view, not under the sticky commands.
    const box = await alert.boundingBox();
    const commands = await page.locator('.cluster-side > .commands').boundingBox();
    assert.ok(box && box.y >= 0 && box.y + box.height <= 900, `the message is out of view: ${JSON.stringify(box)}`);
    assert.ok(!commands || box.y >= commands.y + commands.height, 'the message is under the commands');
    assert.deepEqual(page.problems, []);
    await screenshot(page, 'saga-refused-log');
  } finally {
    await closePage(page);
  }
});
