// The Verify panel: exhaustive TwoPhase in the browser, same state counts as the CLI, and
// the heuristic variant's shortest counterexample as a replayable file.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, screenshot, stopServer, until } from './harness.mjs';

let context;
before(async () => {
  context = await launch();
});
after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

test('Verify explores every interleaving and shows the heuristic counterexample', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    const panel = page.locator('section.verify');
    const summary = panel.getByTestId('verify-summary');

    await panel.getByLabel('Resource managers').selectOption('3');
    await panel.getByRole('button', { name: 'Verify' }).click();
    assert.ok(await until(async () => (await summary.count()) === 1, { timeoutMs: 10000 }), 'no result');
    assert.match(await summary.innerText(), /^3 RMs, textbook: 288 distinct states/);
    const verdicts = panel.getByRole('status').getByRole('listitem');
    assert.match(await verdicts.filter({ hasText: 'TCConsistent' }).first().innerText(), /✓ holds in every reachable state/);

    await panel.getByLabel('Resource managers').selectOption('5');
    await panel.getByRole('button', { name: 'Verify' }).click();
    assert.ok(await until(async () => /^5 RMs, textbook: 8,832 distinct states/.test(await summary.innerText()), { timeoutMs: 20000 }));

    await panel.getByLabel('Resource managers').selectOption('2');
    await panel.getByRole('checkbox', { name: /heuristic/ }).check();
    await panel.getByRole('button', { name: 'Verify' }).click();
    assert.ok(await until(async () => /^2 RMs, heuristic:/.test(await summary.innerText()), { timeoutMs: 10000 }));
    const broken = verdicts.filter({ hasText: /TCConsistent ✗/ });
    assert.equal(await broken.count(), 1, 'TCConsistent must be broken');
    const steps = await broken.locator('ol.cx-path li').allInnerTexts();
    assert.ok(steps.length >= 2 && steps.some((s) => s.startsWith('RMHeuristic')), `path: ${steps}`);
    const file = JSON.parse(await panel.getByLabel(/Counterexample file/).inputValue());
    assert.deepEqual(file.path, steps);
    assert.equal(file.variant, 'heuristic');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'verify-heuristic');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});
