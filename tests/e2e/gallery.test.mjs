// Every bundled scenario (static/scenarios/index.json) loads from the Cluster tab's gallery,
// plays to its end and reaches the verdict its file expects, with no browser error or panic.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launch, openPage, closePage, gotoReady, until, stopServer, REPO_ROOT } from './harness.mjs';

const index = JSON.parse(readFileSync(path.join(REPO_ROOT, 'static', 'scenarios', 'index.json'), 'utf8'));

let context;
before(async () => {
  context = await launch();
});
after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

test('every gallery scenario loads, jumps to its end and shows its expectations met', async () => {
  assert.ok(index.length >= 13, `only ${index.length} scenarios indexed`);
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    const gallery = page.getByRole('list', { name: 'Scenarios' });
    assert.ok(await until(async () => (await gallery.getByRole('button').count()) === index.length, { timeoutMs: 15000 }));
    for (const entry of index) {
      await gallery.getByRole('button').filter({ hasText: entry.title }).click();
      const loaded = await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === entry.title, {
        timeoutMs: 15000,
      });
      assert.ok(loaded, `${entry.id}: title never showed`);
      // Loading records the whole run, so the expectation verdicts are final at once.
      const verdicts = page.getByText(/must (hold|break): /);
      assert.ok(await until(async () => (await verdicts.count()) > 0, { timeoutMs: 15000 }), `${entry.id}: no verdicts`);
      const texts = await verdicts.allInnerTexts();
      const failed = texts.filter((t) => !/✓\s*$/.test(t.trim()));
      assert.deepEqual(failed, [], `${entry.id}: expectations not met in the browser`);
      assert.equal(await page.getByRole('alert').count(), 0, `${entry.id}: an alert is shown`);
      assert.deepEqual(page.problems, [], `${entry.id}: browser problems`);
    }
  } finally {
    await closePage(page);
  }
});
