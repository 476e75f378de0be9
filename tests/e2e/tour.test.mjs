// Guided tours, keyboard only: every control is focused and pressed with the keyboard.
// Next moves the playhead step by step, a question is asked before its step is revealed,
// Back really goes back on the timeline, Free play leaves and Resume returns.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, screenshot, stopServer, until, clockMs } from './harness.mjs';

let context;
before(async () => {
  context = await launch();
});
after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const TITLE = 'The same GC pause, with fencing tokens';

async function press(locator, key = 'Enter') {
  await locator.focus();
  await locator.page().keyboard.press(key);
}

test('a tour through the fenced GC pause, keyboard only', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    const gallery = page.getByRole('list', { name: 'Scenarios' });
    assert.ok(await until(async () => (await gallery.getByRole('button').count()) > 3, { timeoutMs: 15000 }));
    await press(gallery.getByRole('button').filter({ hasText: TITLE }));
    assert.ok(await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === TITLE, { timeoutMs: 15000 }));

    await press(page.getByRole('button', { name: 'Take the tour' }));
    const card = page.getByRole('region', { name: 'Guided tour' });
    const head = async () => (await card.locator('.tour-head strong').innerText()).trim();
    assert.equal(await head(), 'Tour · step 1 of 5');
    const next = card.getByRole('button', { name: 'Next' });
    await press(next);
    assert.ok(await until(async () => (await head()) === 'Tour · step 2 of 5'));
    assert.equal(await clockMs(page), 100);
    await press(next);
    assert.ok(await until(async () => (await clockMs(page)) === 200));

    // Step 4 asks first: the playhead stays at 200 until the answer.
    await press(next);
    const ask = card.getByRole('group', { name: /lease runs out/ });
    assert.ok(await until(async () => (await ask.count()) === 1), 'no question');
    assert.equal(await clockMs(page), 200);
    assert.ok(await next.isDisabled(), 'Next waits for an answer');
    await press(ask.getByRole('button', { name: /hands it to c2/ }));
    assert.ok(await until(async () => (await clockMs(page)) === 1100), `revealed at ${await clockMs(page)}`);
    assert.equal(await head(), 'Tour · step 4 of 5');
    assert.match(await card.locator('.tour-verdict').innerText(), /^✓ Right\./);

    await press(next);
    const ask2 = card.getByRole('group', { name: /writes 9 with token 1/ });
    assert.ok(await until(async () => (await ask2.count()) === 1));
    await press(ask2.getByRole('button', { name: /Accepts it/ }));
    assert.ok(await until(async () => (await clockMs(page)) === 1700));
    assert.match(await card.locator('.tour-verdict').innerText(), /^✗ Not quite: Rejects it/);
    await screenshot(page, 'tour-reveal');

    // Back really goes back (the timeline seeks), and the answered question is not re-asked.
    await press(card.getByRole('button', { name: 'Back' }));
    assert.ok(await until(async () => (await clockMs(page)) === 1100));
    assert.equal(await head(), 'Tour · step 4 of 5');
    await press(next);
    assert.ok(await until(async () => (await clockMs(page)) === 1700));

    await press(card.getByRole('button', { name: 'Free play' }));
    assert.equal(await card.count(), 0);
    await press(page.getByRole('button', { name: 'Resume the tour' }));
    assert.ok(await until(async () => (await head()) === 'Tour · step 5 of 5'));
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});
