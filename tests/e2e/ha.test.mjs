// The replicated store in the Cluster tab. ha-sentinel-partition played to its end: the
// history diagram under the space-time diagram says "not linearizable" and names the
// acknowledged writes that were lost (canvas text alternative, panel); a click on the
// diagram seeks the scrubber. Back before the partition, the panel's failover switch set to
// fenced forks the run at the playhead; played on, no acknowledged write is lost and the
// checker finds the history linearizable. Compare modes runs the four primary modes on the
// same seed, from the user's session (its commands up to the playhead). A history that takes the checker seconds (12 clients on one key) is checked in
// slices: a progress bar, a page that keeps answering, Cancel and Check again. A joining
// server's keys stream to it (told in the canvas sentence, counted in the panel). Screenshots of the panel and the diagram in both themes and at a phone width.
// Any console error fails the run (harness).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, stopServer, until, scrubTo, clockMs, SCREENSHOT_DIR, REPO_ROOT, loadGalleryScenario } from './harness.mjs';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SENTINEL = 'Sentinel failover under a partition loses acknowledged writes';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const panel = (page) => page.locator('section.kv');
const history = (page) => page.locator('section.kv-history');
const diagram = (page) => history(page).getByRole('img');
const verdict = (page) => history(page).locator('.kv-verdict');

async function shoot(locator, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

async function checked(page, want) {
  return until(async () => (await verdict(page).getAttribute('data-verdict')) === want, { timeoutMs: 10000 });
}

test('the Sentinel partition loses acknowledged writes; fencing switched on before it loses none', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, SENTINEL);
    await scrubTo(page, 10000);
    assert.ok(await checked(page, 'not_linearizable'), `verdict: ${await verdict(page).innerText()}`);
    assert.match(await verdict(page).innerText(), /^not linearizable: c\d's read k0 = \d+ .* cannot follow the value \d+/);
    const alt = await diagram(page).getAttribute('aria-label');
    const named = /(\d+) acknowledged writes lost: ((?:k0=\d+ ?)+)/.exec(alt);
    assert.ok(named, alt.slice(0, 300));
    const lost = Number(named[1]);
    assert.ok(lost >= 10, `${lost} lost`);
    assert.ok(alt.includes('[lost]'), 'lost writes marked in the lanes');
    assert.ok(alt.includes('[failing window]'), 'failing window marked');
    assert.equal(await panel(page).locator('[data-kv-lost]').getAttribute('data-kv-lost'), String(lost));
    assert.match(await panel(page).locator('[data-kv-lost]').innerText(), /lost acknowledged writes: k0=\d+/);
    await shoot(panel(page), 'ha-panel-light');
    await shoot(history(page), 'ha-history-light');

    // A click in the diagram seeks: the middle of the lanes is about the middle of the run.
    const box = await diagram(page).boundingBox();
    await diagram(page).click({ position: { x: 56 + (box.width - 64) / 2, y: box.height / 2 } });
    assert.ok(await until(async () => Math.abs((await clockMs(page)) - 5000) <= 100, { timeoutMs: 3000 }), `clock ${await clockMs(page)}`);

    // Before the partition (2,000 ms), fencing on from the panel: a fork at the playhead.
    await scrubTo(page, 1000);
    await panel(page).getByRole('combobox', { name: 'failover' }).selectOption('1');
    assert.ok(await until(async () => /Forked at t=1,000 ms/.test(await page.locator('body').innerText()), { timeoutMs: 5000 }), 'no fork notice');
    assert.match(await panel(page).locator('[data-kv-variant]').innerText(), /primary async fenced/);
    await page.getByRole('slider', { name: 'Speed' }).evaluate((el) => {
      el.value = el.max;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    assert.ok(await until(async () => (await clockMs(page)) >= 10000, { timeoutMs: 30000 }), `stuck at ${await clockMs(page)} ms`);
    assert.ok(await checked(page, 'linearizable'), `verdict: ${await verdict(page).innerText()}`);
    const after = await diagram(page).getAttribute('aria-label');
    assert.match(after, /no acknowledged write lost/);
    assert.ok(!after.includes('[lost]'));
    assert.equal(await panel(page).locator('[data-kv-lost]').count(), 0);
    assert.equal(await panel(page).getByRole('combobox', { name: 'failover' }).inputValue(), '1');

    // The modes side by side on the same seed and faults.
    await panel(page).getByRole('button', { name: 'Compare modes' }).click();
    const table = panel(page).getByRole('table', { name: 'Modes compared' });
    assert.ok(await until(async () => (await table.count()) === 1, { timeoutMs: 30000 }), 'no comparison');
    const row = (label) => table.locator('tbody tr').filter({ hasText: label });
    const cell = async (label, k) => (await row(label).locator('td').nth(k).innerText()).trim();
    assert.equal(await cell('async, unfenced', 0), String(lost));
    assert.match(await cell('async, unfenced', 3), /not linearizable/);
    assert.equal(await cell('async, fenced', 0), '0');
    assert.equal(await cell('async, fenced', 3), 'linearizable');
    // It compared the session: the fencing switch is the user's, so it is left out and the
    // mode at the playhead (async, fenced) is the marked row.
    assert.match(await row('async, fenced').innerText(), /at the playhead/);
    assert.match(await panel(page).locator('[data-kv-compared]').innerText(), /as bundled .*your 1 mode switch left out/);
    await shoot(panel(page), 'ha-compare-light');

    // Dark theme: the same diagram repainted from the theme's colours.
    await page.emulateMedia({ colorScheme: 'dark' });
    await scrubTo(page, 9000);
    await shoot(panel(page), 'ha-panel-dark');
    await shoot(history(page), 'ha-history-dark');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('the panel and the history diagram at a phone width', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 390, height: 844 });
    await loadGalleryScenario(page, SENTINEL);
    await scrubTo(page, 8000);
    assert.ok(await checked(page, 'not_linearizable'));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
    const box = await diagram(page).boundingBox();
    assert.ok(box.width <= 390 && box.width >= 300, `diagram ${box.width}px wide`);
    await shoot(panel(page), 'ha-panel-phone');
    await shoot(history(page), 'ha-history-phone');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('a long check runs in slices with a progress bar and Cancel, and the page keeps answering', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    const json = readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'ha', 'heavy-history.json'), 'utf8');
    await page.getByRole('textbox', { name: 'Scenario JSON' }).fill(json);
    await page.getByRole('button', { name: 'Load pasted JSON' }).click();
    assert.ok(
      await until(async () => /^Many clients on one key/.test((await page.getByTestId('scenario-title').innerText()).trim()), { timeoutMs: 30000 }),
      'the heavy scenario never loaded',
    );
    await scrubTo(page, 10000);
    const bar = history(page).getByRole('progressbar', { name: 'Linearizability check' });
    assert.ok(await until(async () => (await bar.count()) === 1, { timeoutMs: 5000 }), 'no progress bar');
    assert.equal(await verdict(page).getAttribute('data-verdict'), 'checking');
    // While it checks, the page keeps drawing: ten frames pass and the check is still running
    // (one blocking task would have drawn them only after its verdict). The slowest of them
    // is printed below, not asserted: timing on a shared machine belongs in the benchmarks.
    let worst = 0;
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
      worst = Math.max(worst, Date.now() - t0);
    }
    assert.equal(await verdict(page).getAttribute('data-verdict'), 'checking', 'the check ended within ten frames: it did not run in slices');
    const progress = Number(await bar.getAttribute('value'));
    assert.ok(progress >= 0 && progress <= 1, `progress ${progress}`);
    await shoot(history(page), 'ha-history-checking');
    await history(page).getByRole('button', { name: 'Cancel' }).click();
    assert.ok(await until(async () => /Check cancelled/.test(await history(page).innerText()), { timeoutMs: 3000 }));
    assert.equal(await bar.count(), 0);
    await history(page).getByRole('button', { name: 'Check again' }).click();
    assert.ok(await until(async () => (await bar.count()) === 1 || (await verdict(page).getAttribute('data-verdict')) !== 'checking', { timeoutMs: 5000 }));
    assert.ok(await checked(page, 'not_linearizable') || (await until(async () => (await verdict(page).getAttribute('data-verdict')) === 'not_linearizable', { timeoutMs: 90000 })),
      `verdict: ${await verdict(page).innerText()}`);
    console.log(`# heavy history: worst frame while checking ${worst} ms`);
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('a joining server receives the keys it now replicates, streamed in batches', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, 'A server joins and another leaves: keys stream to their new replicas');
    await scrubTo(page, 3001);
    const cluster = page.getByRole('img', { name: /^Cluster at t=/ });
    assert.match(await cluster.getAttribute('aria-label'), /streaming 3 keys to new replicas \(3 batches in flight\)/);
    await page.locator('.cluster-box').screenshot({ path: path.join(SCREENSHOT_DIR, 'ha-streaming.png') });
    await scrubTo(page, 10000);
    const stat = panel(page).locator('[data-stat="keys streamed"] dd');
    assert.equal(await stat.innerText(), '6');
    assert.equal(await panel(page).locator('[data-stat="lost acknowledged writes"] dd').innerText(), '0');
    assert.ok(await checked(page, 'linearizable'));
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('three shards: a primary crash fails over only its shard, each shard with its primary, epoch and lag', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, 'Three shards, one primary crashes: only its shard fails over');
    await scrubTo(page, 4000);
    const cluster = page.getByRole('img', { name: /^Cluster at t=/ });
    const alt = await cluster.getAttribute('aria-label');
    // n3 leads s0 (epoch 0) and, since the failover, s1 (epoch 1); n4 still leads s2.
    assert.match(alt, /n3 s0 primary e0 · s1 primary e1/);
    assert.match(alt, /n4 s2 primary e0/);
    const shards = panel(page).getByRole('table', { name: 'Shards' });
    const rows = await shards.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, 3, rows.join(' | '));
    assert.match(rows[0], /^s0\tk0\tn3 n1 n5\tn3\t0\t\d\t0$/);
    assert.match(rows[1], /^s1\tk1\tn2 n3 n1\tn3\t1\t\d\t1$/);
    assert.match(rows[2], /^s2\tk2\tn4 n2 n5\tn4\t0\t\d\t0$/);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    // The legend (open on a first visit) would cover n1's lines.
    const legend = page.locator('#cluster-view').getByRole('button', { name: 'Legend' });
    if ((await legend.getAttribute('aria-pressed')) === 'true') await legend.click();
    await page.locator('.cluster-box').screenshot({ path: path.join(SCREENSHOT_DIR, 'ha-shards-canvas-light.png') });
    await shoot(panel(page), 'ha-shards-panel-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.locator('.cluster-box').screenshot({ path: path.join(SCREENSHOT_DIR, 'ha-shards-canvas-dark.png') });
    await shoot(panel(page), 'ha-shards-panel-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.cluster-box').screenshot({ path: path.join(SCREENSHOT_DIR, 'ha-shards-canvas-phone.png') });
    await shoot(shards, 'ha-shards-table-phone');
    await scrubTo(page, 10000);
    assert.equal(await panel(page).locator('[data-stat="lost acknowledged writes"] dd').innerText(), '0');
    assert.ok(await checked(page, 'linearizable'));
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('loading a heavy history runs its end-of-run check in slices: progress shown, the page keeps answering', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    const json = readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'ha', 'heavy-history.json'), 'utf8');
    await page.getByRole('textbox', { name: 'Scenario JSON' }).fill(json);
    await page.getByRole('button', { name: 'Load pasted JSON' }).click();
    assert.ok(
      await until(async () => /^Many clients on one key/.test((await page.getByTestId('scenario-title').innerText()).trim()), { timeoutMs: 30000 }),
      'the heavy scenario never loaded',
    );
    const count = page.getByTestId('invariant-count');
    const status = page.locator('[data-checking="linearizable"]');
    assert.ok(await until(async () => / · 1 checking$/.test(await count.innerText()), { timeoutMs: 5000 }), `count: ${await count.innerText()}`);
    // In the page: how long after this point the verdict comes in.
    await page.evaluate(() => {
      window.__endCheckMs = null;
      const t0 = performance.now();
      const iv = setInterval(() => {
        if (!/checking/.test(document.querySelector('[data-testid=invariant-count]').innerText)) {
          window.__endCheckMs = performance.now() - t0;
          clearInterval(iv);
        }
      }, 10);
    });
    assert.ok(await until(async () => (await status.count()) === 1, { timeoutMs: 5000 }), 'no progress line');
    assert.equal(await status.getByRole('progressbar', { name: 'linearizable check progress' }).count(), 1);
    assert.match(await page.getByTestId('end-check').innerText(), /checking linearizable \d+ %/);
    // Best effort: in a release build the whole check can end before the picture is taken.
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'ha-end-check-running.png') });
    // While it checks: frame gaps over 1.5 s, and a click's latency (the holding list's toggle).
    const { worstGap, frames, clickMs } = await page.evaluate(async () => {
      const gaps = [];
      let last = performance.now();
      const stop = last + 1500;
      await new Promise((done) => {
        const tick = (t) => {
          gaps.push(t - last);
          last = t;
          if (t < stop) requestAnimationFrame(tick); else done();
        };
        requestAnimationFrame(tick);
      });
      const b = [...document.querySelectorAll('.inv-count button')][0];
      const before = b.getAttribute('aria-expanded');
      const t0 = performance.now();
      b.click();
      while (document.querySelector('.inv-count button').getAttribute('aria-expanded') === before) {
        await new Promise((r) => setTimeout(r, 1));
      }
      return { worstGap: Math.max(...gaps), frames: gaps.length, clickMs: performance.now() - t0 };
    });
    const stillChecking = (await status.count()) === 1;
    console.log(`# heavy history at load: worst frame gap ${worstGap.toFixed(0)} ms over ${frames} frames, click answered in ${clickMs.toFixed(0)} ms, still checking after: ${stillChecking}`);
    // The page drew frames and answered the click while it checked (the loop above returns only
    // once the toggle flipped). How fast is printed above, not asserted: that is a benchmark
    // figure on a shared machine.
    assert.ok(frames >= 2, `only ${frames} frame(s) drawn in 1.5 s while the end-of-run check ran`);
    // The verdict comes in: the budget runs out on this history (unknown), so nothing broke.
    assert.ok(await until(async () => !/checking/.test(await count.innerText()), { timeoutMs: 120000, intervalMs: 20 }), `count: ${await count.innerText()}`);
    console.log(`# heavy history at load: the verdict came ${(await page.evaluate(() => window.__endCheckMs)).toFixed(0)} ms after the check was first seen`);
    assert.equal(await status.count(), 0);
    assert.equal(await page.getByTestId('end-check').count(), 0);
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('the Sentinel end-of-run check, sliced, names the violation the CLI names', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, SENTINEL);
    const count = page.getByTestId('invariant-count');
    assert.ok(await until(async () => !/checking/.test(await count.innerText()), { timeoutMs: 20000 }), `count: ${await count.innerText()}`);
    const exp = page.getByRole('list', { name: 'Expectations' });
    assert.match(await exp.innerText(), /linearizable must break: broke ✓/);
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});

test('Compare modes runs from the session: a heal the user applied is in every row', async () => {
  const page = await openPage(context);
  try {
    await gotoReady(page, '?tab=cluster');
    await page.setViewportSize({ width: 1280, height: 900 });
    await loadGalleryScenario(page, SENTINEL);
    const compareNow = async () => {
      await panel(page).getByRole('button', { name: 'Compare modes' }).click();
      const table = panel(page).getByRole('table', { name: 'Modes compared' });
      assert.ok(await until(async () => (await table.count()) === 1, { timeoutMs: 30000 }), 'no comparison');
      const row = table.locator('tbody tr').filter({ hasText: 'async, unfenced' });
      return { lost: Number((await row.locator('td').nth(0).innerText()).trim()), what: await panel(page).locator('[data-kv-compared]').innerText() };
    };
    const bundled = await compareNow();
    assert.match(bundled.what, /as bundled/);
    // The user heals the partition at 3 s (a fork: the future is discarded), then compares
    // again at the playhead.
    await scrubTo(page, 3000);
    await page.getByRole('button', { name: 'Heal', exact: true }).click();
    assert.ok(await until(async () => /Forked at t=3,000 ms/.test(await page.locator('body').innerText()), { timeoutMs: 5000 }), 'no fork notice');
    const mine = await compareNow();
    assert.match(mine.what, /with your 1 command up to 3,000 ms \(heal at 3,000 ms\)/);
    assert.ok(mine.lost < bundled.lost, `lost ${mine.lost} with the early heal, ${bundled.lost} as bundled`);
    await shoot(panel(page).locator('.kv-compare'), 'ha-compare-session');
    assert.deepEqual(page.problems, []);
  } finally {
    await closePage(page);
  }
});
