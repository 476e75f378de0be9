// Two-phase commit in the Cluster tab: the coordinator-crash scenario from the gallery.
// Just after A crashes, B, C and D have voted YES and are in doubt, holding T1's locks
// (the 2PC panel and the canvas's text alternative say so, and a second order is refused);
// after A restarts and answers ABORT, nobody is in doubt and T1's outcome is known.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, openPage, closePage, gotoReady, screenshot, stopServer, until, clockMs, scrubTo, SCREENSHOT_DIR } from './harness.mjs';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const TITLE = 'The coordinator crashes after PREPARE';
const canvas = (page) => page.getByRole('img', { name: /^Cluster at t=/ });
const panel = (page) => page.locator('section.tpc');
const orders = (page) => panel(page).getByRole('table', { name: 'Orders' }).locator('tbody tr');
const counter = async (page, name) => {
  const table = panel(page).getByRole('table', { name: 'Counters' });
  const heads = await table.locator('thead th').allInnerTexts();
  const k = heads.indexOf(name);
  assert.ok(k >= 0, `no counter ${name} in ${heads}`);
  return (await table.locator('tbody td').nth(k).innerText()).replaceAll(',', '');
};

// The whole page, plus the canvas and the 2PC panel close up (what to look at).
async function shoot(page, name) {
  await screenshot(page, name);
  await page.locator('.cluster-box').screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-canvas.png`) });
  await panel(page).screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-panel.png`) });
}

test('coordinator crash: participants in doubt holding locks, then recovery and the outcome', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    const gallery = page.getByRole('list', { name: 'Scenarios' });
    assert.ok(await until(async () => (await gallery.getByRole('button').count()) > 3, { timeoutMs: 15000 }));
    await gallery.getByRole('button').filter({ hasText: TITLE }).click();
    assert.ok(
      await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === TITLE, { timeoutMs: 15000 }),
      'the coordinator-crash scenario never loaded',
    );
    assert.equal(await panel(page).getByRole('combobox', { name: 'Variant' }).inputValue(), '0');

    // t=109: PREPARE on its way from A to B, C and D (the canvas labels the dots).
    await scrubTo(page, 109);
    await shoot(page, 'tpc-prepare');

    // t=2,000: A crashed at 115 ms; B, C, D voted YES around 112 ms and are blocked.
    await scrubTo(page, 2000);
    const blocked = await canvas(page).getAttribute('aria-label');
    assert.match(blocked, /A crashed/);
    assert.match(blocked, /2PC: T1 in doubt on B, C, D holding [^;]*sku:4/);
    assert.match(blocked, /T2 aborted/);
    assert.equal(await orders(page).count(), 2);
    const t1 = orders(page).nth(0);
    assert.match(await t1.innerText(), /T1\s+A\s+B, C, D\s+in doubt on B, C, D/);
    assert.equal(await t1.getAttribute('class'), 'doubt');
    assert.match(await orders(page).nth(1).innerText(), /T2.*aborted: lock busy/s);
    assert.ok(Number(await counter(page, 'in doubt (ms)')) > 3 * 1800, 'three participants ~1.9 s in doubt each');
    await shoot(page, 'tpc-in-doubt');

    // Play past A's restart (3,000 ms) and its ABORT to the end of the scenario.
    await page.getByRole('slider', { name: 'Speed' }).evaluate((el) => {
      el.value = el.max;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    assert.ok(await until(async () => (await clockMs(page)) >= 4000, { timeoutMs: 20000 }), `stuck at ${await clockMs(page)} ms`);
    const after = await canvas(page).getAttribute('aria-label');
    assert.doesNotMatch(after, /in doubt/);
    assert.doesNotMatch(after, /holding/);
    assert.match(after, /2PC: T1 aborted; T2 aborted/);
    assert.match(await orders(page).nth(0).innerText(), /T1.*aborted: nothing logged, presumed/s);
    assert.equal(await panel(page).getByText(/in doubt on/).count(), 0);
    assert.equal(await counter(page, 'orders'), '2');
    assert.equal(await counter(page, 'aborted'), '2');
    await shoot(page, 'tpc-recovered');
    const verdict = page.getByRole('list', { name: 'Expectations' }).getByRole('listitem').filter({ hasText: 'atomicity' });
    assert.match(await verdict.innerText(), /must hold: held ✓/);

    // Another variant reloads the scenario: three-phase commit terminates among the
    // participants instead of waiting for A.
    await panel(page).getByRole('combobox', { name: 'Variant' }).selectOption({ label: 'three-phase' });
    assert.ok(await until(async () => (await clockMs(page)) === 0, { timeoutMs: 5000 }), 'the scenario did not reload');
    await scrubTo(page, 2000);
    assert.match(await orders(page).nth(0).innerText(), /T1.*aborted: terminated by participants/s);

    // Side by side on the same schedule: 3PC spends far less time in doubt than 2PC here.
    await panel(page).getByRole('button', { name: 'Compare variants' }).click();
    const compared = page.getByRole('table', { name: 'Variants compared' }).locator('tbody tr');
    assert.ok(await until(async () => (await compared.count()) === 4, { timeoutMs: 10000 }), 'no comparison');
    const doubt = async (i) => Number((await compared.nth(i).locator('td').nth(4).innerText()).replaceAll(',', ''));
    assert.match(await compared.nth(0).innerText(), /^classic 2PC/);
    assert.ok((await doubt(3)) < (await doubt(0)), `3PC ${await doubt(3)} ms vs classic ${await doubt(0)} ms in doubt`);
    await shoot(page, 'tpc-compare');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});
