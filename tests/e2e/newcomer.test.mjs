// A newcomer's first five minutes (issue 17): the root URL shows the start page; a running tour
// of two mechanisms is at most three clicks away each; the gallery filters by text and by
// chip; at 1280×800 the canvas and the Commands panel (what acts on the selection) stay in
// view after selecting a node and after loading a scenario; the same flow keyboard-only, with
// the gallery's arrow keys; the canvas legend (toggle, L, text alternative, SVG, embeds); embeds
// fit their frame; screenshots of the start page and the workspace in both themes and
// at a phone width. Every page fails on any console error, failed request or panic (harness).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { launch, withPage, gotoReady, screenshot, stopServer, until, REPO_ROOT } from './harness.mjs';

const index = JSON.parse(readFileSync(path.join(REPO_ROOT, 'static', 'scenarios', 'index.json'), 'utf8'));
const byId = Object.fromEntries(index.map((e) => [e.id, e]));
const START_TITLE = 'ringlab: consistent hashing, locks and 2PC, step by step';

let context;
before(async () => {
  context = await launch();
});
after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

/** A fresh browser profile: nothing in local storage, as for a first-time visitor. */
async function asNewcomer(name, body, options = {}) {
  const ctx = await launch(options);
  try {
    await withPage(ctx, name, body, { newcomer: true });
  } finally {
    await ctx.shutdown();
  }
}

const cards = (page) => page.getByRole('list', { name: 'Mechanisms' });
const tourCard = (page) => page.getByRole('region', { name: 'Guided tour' });
const gallery = (page) => page.getByRole('list', { name: 'Scenarios' });
const clusterCanvas = (page) => page.getByRole('img', { name: /^Cluster at t=/ });
const commands = (page) => page.locator('section.commands');

async function scenarioTitle(page) {
  return (await page.getByTestId('scenario-title').innerText()).trim();
}

async function waitTitle(page, title) {
  assert.ok(await until(async () => (await scenarioTitle(page).catch(() => '')) === title, { timeoutMs: 15000 }), `never loaded "${title}" (shows "${await scenarioTitle(page).catch(() => '?')}")`);
}

/** Whole element inside the viewport (CSS px). */
async function inViewport(locator) {
  const box = await locator.boundingBox();
  const vp = locator.page().viewportSize();
  assert.ok(box, 'element has no box');
  return box.x >= -1 && box.y >= -1 && box.x + box.width <= vp.width + 1 && box.y + box.height <= vp.height + 1;
}

async function assertBothInView(page, when) {
  const canvas = clusterCanvas(page);
  const panel = commands(page);
  const [c, p] = [await canvas.boundingBox(), await panel.boundingBox()];
  assert.ok(await inViewport(canvas), `${when}: canvas not wholly in the viewport: ${JSON.stringify(c)}`);
  // The panel may be taller than the screen: its top part with the node and the buttons must show.
  const buttons = panel.getByRole('button', { name: 'Crash', exact: true });
  assert.ok(await inViewport(page.locator('#cmd-node')), `${when}: the node selector is off screen: ${JSON.stringify(p)}`);
  assert.ok(await inViewport(buttons), `${when}: the Crash button is off screen: ${JSON.stringify(p)}`);
  assert.equal(await page.evaluate(() => window.scrollY), 0, `${when}: the page scrolled`);
  // The workspace is one screen: its columns scroll inside, the page itself does not grow
  // (a hidden heading deep in a column once made it 11,000 px of empty page).
  const [sh, vh] = await page.evaluate(() => [document.documentElement.scrollHeight, window.innerHeight]);
  assert.ok(sh <= vh + 1, `${when}: the page is ${sh} px tall in a ${vh} px window`);
}

test('a newcomer lands on the start page and reaches tours of two mechanisms in at most three clicks each', async (t) => {
  await asNewcomer(t.name, async (page) => {
    await gotoReady(page, '');
    assert.equal(await cards(page).getByRole('listitem').count(), 8, 'one card per mechanism');
    assert.equal(await page.title(), START_TITLE);
    // The icon is declared, so Chromium asks for no /favicon.ico (the harness fails on a 404).
    assert.equal(await page.locator('link[rel="icon"][href="favicon.svg"]').count(), 1);
    assert.match(await page.locator('meta[property="og:title"]').getAttribute('content'), /ringlab/);
    assert.equal(await page.getByRole('img', { name: /^Hash ring/ }).isVisible(), false, 'the start page hides the labs');
    // Every card's preview is painted (all but the ring's fetch their scenario first).
    assert.ok(await until(async () => (await cards(page).locator('canvas[data-painted]').count()) === 8, { timeoutMs: 10000 }), 'previews never painted');
    for (const canvas of await cards(page).getByRole('img').all()) {
      const painted = await canvas.evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        return seen.size;
      });
      assert.ok(painted >= 3, `a preview looks blank (${painted} colours)`);
    }
    await screenshot(page, 'newcomer-start.png');

    // Mechanism 1, one click: the locks tour is running (its card is up, at step 1).
    let clicks = 0;
    await page.getByRole('button', { name: 'Take the tour: Distributed locks' }).click();
    clicks++;
    await waitTitle(page, byId['lock-gc-unfenced'].title);
    assert.ok(await until(() => tourCard(page).isVisible()), 'the tour never started');
    assert.match(await tourCard(page).innerText(), /Tour · step 1 of \d+/);
    assert.ok(clicks <= 3);
    assert.equal(await page.title(), `${byId['lock-gc-unfenced'].title} · Cluster · ringlab`);

    // Mechanism 2: Start (1), then the 2PC tour (2).
    clicks = 0;
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    clicks++;
    await cards(page).waitFor();
    assert.equal(await page.title(), START_TITLE);
    await page.getByRole('button', { name: 'Take the tour: Two-phase commit' }).click();
    clicks++;
    await waitTitle(page, byId['tpc-coordinator-crash'].title);
    assert.ok(await until(() => tourCard(page).isVisible()), 'the 2PC tour never started');
    assert.match(await tourCard(page).innerText(), /Tour · step 1 of \d+/);
    // Running: Next moves it on.
    await tourCard(page).getByRole('button', { name: 'Next' }).click();
    assert.ok(await until(async () => /Tour · step 2 of/.test(await tourCard(page).innerText())));
    assert.ok(clicks <= 3);

    // The ring card's lab is the Hash ring tab.
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('button', { name: 'Open the lab: Hash ring' }).click();
    assert.ok(await until(() => page.getByRole('img', { name: /^Hash ring/ }).isVisible()));
    assert.equal(await page.title(), 'Hash ring · ringlab');
  });
});

test('a returning visitor goes straight back to where they were', async (t) => {
  await asNewcomer(t.name, async (page) => {
    await gotoReady(page, '');
    await page.getByRole('button', { name: 'Open the lab: Distributed locks' }).click();
    const title = byId['lock-gc-fenced'].title;
    await waitTitle(page, title);
    assert.ok(await until(() => page.evaluate(() => location.hash.startsWith('#s='))), 'no state link in the address bar');
    await until(async () => (await gallery(page).getByRole('button').count()) > 0, { timeoutMs: 15000 });
    await gotoReady(page, '');
    await waitTitle(page, title);
    assert.equal(await cards(page).count(), 0, 'the start page came back for a returning visitor');
    assert.equal(await page.getByRole('tab', { name: 'Cluster' }).getAttribute('aria-selected'), 'true');
    await until(async () => (await gallery(page).getByRole('button').count()) > 0, { timeoutMs: 15000 });
  });
});

test('the gallery filters by text and by mechanism chip, grouped, with the current scenario marked', async (t) => {
  await withPage(context, t.name, async (page) => {
    await gotoReady(page, '?tab=cluster');
    const items = gallery(page).getByRole('button');
    assert.ok(await until(async () => (await items.count()) === index.length, { timeoutMs: 15000 }));
    const current = gallery(page).locator('button[aria-current="true"]');
    assert.equal(await current.count(), 1);
    assert.match(await current.innerText(), new RegExp(byId['gc-pause'].title));
    assert.match(await current.innerText(), /ends in a violation/);
    // Groups in mechanism order, named.
    const groups = await gallery(page).locator('.gallery-group > h4').allTextContents();
    assert.deepEqual(groups, ['Failure detection', 'Distributed locks', 'Two-phase commit', 'Replication and failover', 'Message log', 'Inventory under contention', 'Checkout saga']);

    const filter = page.getByRole('searchbox', { name: 'Filter scenarios' });
    await filter.fill('fencing');
    const fencing = index.filter((e) => `${e.title} ${e.summary} ${e.id} ${e.faults.join(' ')}`.toLowerCase().includes('fencing'));
    assert.ok(await until(async () => (await items.count()) === fencing.length), `text filter shows ${await items.count()}, expected ${fencing.length}`);
    for (const e of fencing) assert.equal(await items.filter({ hasText: e.title }).count(), 1, e.title);
    assert.match(await page.getByRole('status').filter({ hasText: /scenarios$/ }).innerText(), new RegExp(`^${fencing.length} of ${index.length} scenarios`));
    await filter.fill('');

    await page.getByRole('group', { name: 'Mechanism' }).getByRole('button', { name: 'Two-phase commit' }).click();
    const tpc = index.filter((e) => e.mechanism === '2pc');
    assert.ok(await until(async () => (await items.count()) === tpc.length), `chip shows ${await items.count()}`);
    assert.equal(await page.getByRole('button', { name: 'Two-phase commit', pressed: true }).count(), 1);
    // Text and chip together.
    await filter.fill('partition');
    const both = tpc.filter((e) => `${e.title} ${e.summary} ${e.faults.join(' ')}`.toLowerCase().includes('partition'));
    assert.ok(await until(async () => (await items.count()) === both.length), `chip + text shows ${await items.count()}, expected ${both.length}`);
    await filter.fill('no scenario has these words');
    assert.ok(await until(async () => (await items.count()) === 0));
    assert.ok(await page.getByText('No scenario matches').isVisible());
    await filter.fill('');
    await page.getByRole('group', { name: 'Mechanism' }).getByRole('button', { name: 'All' }).click();
    assert.ok(await until(async () => (await items.count()) === index.length));
    // Every entry shows its outcome in words and its faults.
    for (const e of index) {
      const text = await items.filter({ hasText: e.title }).first().innerText();
      assert.match(text, e.violation ? /ends in a violation/ : /invariants hold/, e.id);
      if (e.faults.length) assert.match(text, new RegExp(`faults: ${e.faults.join(', ')}`), e.id);
    }
  });
});

test('at 1280×800 the canvas and the Commands panel stay in view after selecting a node and loading a scenario', async (t) => {
  // As a newcomer: nothing stored, and the folds' state survives the reload below.
  await withPage(context, t.name, async (page) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await gotoReady(page, '?tab=cluster');
    await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
    await assertBothInView(page, 'on opening');
    await page.getByRole('list', { name: 'Cluster nodes' }).getByRole('listitem').filter({ hasText: /^B/ }).click();
    assert.equal(await page.locator('#cmd-node').inputValue(), '1');
    await assertBothInView(page, 'after selecting B');
    assert.equal(await page.locator('section.invariants').getByTestId('invariant-count').count(), 1);

    // A scenario far down the gallery: clicking it scrolls the side column, not the page.
    const last = index.at(-1);
    await gallery(page).getByRole('button').filter({ hasText: last.title }).click();
    await waitTitle(page, last.title);
    await assertBothInView(page, `after loading ${last.id}`);
    await screenshot(page, 'newcomer-workspace-loaded.png');

    // The invariant list: "N holding · M broken", broken ones shown with a Jump button.
    await page.getByRole('button', { name: 'Jump to violation' }).click();
    const count = page.getByTestId('invariant-count');
    assert.ok(await until(async () => /^\d+ holding · [1-9]\d* broken$/.test(await count.innerText())), await count.innerText());
    const broken = page.getByRole('list', { name: 'Invariants' }).locator('li.violated');
    assert.ok((await broken.count()) >= 1);
    assert.ok(await broken.first().isVisible());
    assert.equal(await page.getByRole('list', { name: 'Invariants' }).locator('li.holding').first().isVisible(), false, 'holding ones start folded');
    assert.equal(await broken.first().getByRole('button', { name: /^Jump to where .* broke$/ }).count(), 1);

    // Folds remember their state across a reload.
    const logFold = page.locator('details.fold-log');
    const isOpen = () => page.locator('details.fold-log').evaluate((d) => d.open);
    assert.equal(await isOpen(), true);
    await logFold.locator('summary').click();
    assert.equal(await isOpen(), false);
    await page.reload();
    await page.locator('details.fold-log').waitFor({ state: 'attached' });
    assert.equal(await isOpen(), false, 'the closed fold came back open');
    await page.locator('details.fold-log summary').click();
    assert.equal(await isOpen(), true);
  }, { newcomer: true });
});

test('keyboard only: start page, two tours, the gallery filter and a scenario', async (t) => {
  await asNewcomer(t.name, async (page) => {
    await gotoReady(page, '');
    /** Tab until the focused element's accessible label matches; returns the presses. */
    const tabTo = async (re, limit = 250) => {
      for (let i = 1; i <= limit; i++) {
        await page.keyboard.press('Tab');
        const label = await page.evaluate(() => {
          const el = document.activeElement;
          return el ? el.getAttribute('aria-label') || el.textContent.trim() : '';
        });
        if (re.test(label)) return i;
      }
      throw new Error(`never reached ${re} with Tab`);
    };
    await tabTo(/^Take the tour: Failure detection$/);
    await page.keyboard.press('Enter');
    await waitTitle(page, byId['partition-false-suspicion'].title);
    assert.ok(await until(() => tourCard(page).isVisible()));
    // The tour's Next, by keyboard.
    await tabTo(/^Next$/);
    await page.keyboard.press('Enter');
    assert.ok(await until(async () => /Tour · step 2 of/.test(await tourCard(page).innerText())));

    await tabTo(/^Start$/);
    await page.keyboard.press('Enter');
    await cards(page).waitFor();
    await tabTo(/^Take the tour: Distributed locks$/);
    await page.keyboard.press('Enter');
    await waitTitle(page, byId['lock-gc-unfenced'].title);
    assert.ok(await until(() => tourCard(page).isVisible()));

    // Filter, Tab past the chips to the first (only) result, Enter loads it.
    await tabTo(/^Filter scenarios$/);
    await page.keyboard.type('redlock');
    const presses = await tabTo(/^Load /, 10);
    const focused = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    assert.equal(focused, `Load ${byId['redlock-clock-jump'].title}`);
    // Past the eight mechanism chips (All and one per mechanism with scenarios).
    assert.ok(presses <= 10, `${presses} Tabs from the filter to the result`);
    await page.keyboard.press('Enter');
    await waitTitle(page, byId['redlock-clock-jump'].title);

    // Arrow keys walk the cards (across groups), Home / End go to the ends, Enter opens the
    // focused one, and the page's shortcuts leave the arrows to the list (no step).
    await tabTo(/^Filter scenarios$/);
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    // The tour pressed its mechanism's chip: All, by keyboard, to walk every group.
    await tabTo(/^All$/, 10);
    await page.keyboard.press('Enter');
    const items = gallery(page).getByRole('button');
    assert.ok(await until(async () => (await items.count()) === index.length), `the filter did not clear (${await items.count()} shown)`);
    const focusedLabel = () => page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    await tabTo(/^Load /, 12);
    const grouped = await gallery(page).locator('button.gallery-item').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
    assert.equal(await focusedLabel(), grouped[0]);
    const clockBefore = (await page.getByTestId('clock').innerText()).trim();
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedLabel(), grouped[1], '↓ did not move to the next card');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focusedLabel(), grouped[2], '→ did not move to the next card');
    await page.keyboard.press('ArrowUp');
    assert.equal(await focusedLabel(), grouped[1], '↑ did not move back');
    await page.keyboard.press('End');
    assert.equal(await focusedLabel(), grouped.at(-1), 'End did not reach the last card');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedLabel(), grouped.at(-1), '↓ at the last card moved off the list');
    await page.keyboard.press('Home');
    assert.equal(await focusedLabel(), grouped[0], 'Home did not reach the first card');
    // Across a group boundary: the last card of the first group, then ↓ to the second's first.
    const firstGroup = await gallery(page).locator('.gallery-group').first().locator('button.gallery-item').count();
    for (let i = 1; i < firstGroup; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await focusedLabel(), grouped[firstGroup - 1]);
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedLabel(), grouped[firstGroup], '↓ did not cross into the next group');
    assert.equal((await page.getByTestId('clock').innerText()).trim(), clockBefore, 'the arrows also stepped the timeline');
    const target = grouped[firstGroup].replace(/^Load /, '');
    await page.keyboard.press('Enter');
    await waitTitle(page, target);
    const current = gallery(page).locator('button[aria-current="true"]');
    assert.ok(await until(async () => (await current.getAttribute('aria-label').catch(() => '')) === `Load ${target}`), 'the opened scenario is not marked current');
    assert.match(await current.innerText(), /loaded/);

    // The existing shortcuts: → steps, Space plays (focus on the page, not a button).
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    const clock = async () => (await page.getByTestId('clock').innerText()).trim();
    const before = await clock();
    await page.keyboard.press('ArrowRight');
    assert.ok(await until(async () => (await clock()) !== before), '→ did not step');
    await page.keyboard.press(' ');
    assert.ok(await until(() => page.evaluate(() => document.documentElement.dataset.clusterPlaying === '1')), 'Space did not play');
    await page.keyboard.press(' ');
    assert.ok(await until(() => page.evaluate(() => document.documentElement.dataset.clusterPlaying === '0')));
  });
});

test('the canvas legend: a toggle (and L) on both canvases, in the text alternative and the SVG, remembered, off in embeds unless asked', async (t) => {
  await asNewcomer(t.name, async (page) => {
    await gotoReady(page, '?tab=cluster');
    await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
    const toggle = page.locator('#cluster-view').getByRole('button', { name: 'Legend' });
    // On at first on a wide window: the words are in the canvas's text alternative.
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.match(await clusterCanvas(page).getAttribute('aria-label'), /Legend: disc: a node/);
    await screenshot(page, 'newcomer-legend-cluster.png');
    // The SVG export carries the legend (same display list).
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('section.scenario').getByRole('button', { name: 'SVG', exact: true }).click(),
    ]);
    const svg = readFileSync(await download.path(), 'utf8');
    assert.match(svg, /a node \(clients inside the circle\)/, 'no legend in the SVG');
    // The button turns it off; the text alternative follows.
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.doesNotMatch(await clusterCanvas(page).getAttribute('aria-label'), /Legend:/);
    // L turns it back on (focus on the page).
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.keyboard.press('l');
    assert.ok(await until(async () => (await toggle.getAttribute('aria-pressed')) === 'true'), 'L did not toggle the legend');
    // The Hash ring canvas has its own legend, from the ring's marks.
    await page.getByRole('tab', { name: 'Hash ring' }).click();
    const ring = page.getByRole('img', { name: /^Hash ring/ });
    assert.ok(await until(async () => /Legend: arc: the part of the ring a node owns/.test(await ring.getAttribute('aria-label'))), await ring.getAttribute('aria-label'));
    await screenshot(page, 'newcomer-legend-ring.png');
    // Off is remembered across a reload.
    await page.locator('#ring-view').getByRole('button', { name: 'Legend' }).click();
    await page.reload();
    await page.getByRole('img', { name: /^Hash ring/ }).waitFor();
    assert.equal(await page.locator('#ring-view').getByRole('button', { name: 'Legend' }).getAttribute('aria-pressed'), 'false');
    assert.doesNotMatch(await page.getByRole('img', { name: /^Hash ring/ }).getAttribute('aria-label'), /Legend:/);
  }, { viewport: { width: 1280, height: 800 } });
  // Embeds: off, unless the URL asks; then it fits inside the frame like the rest.
  await withPage(context, `${t.name} embed`, async (page) => {
    await page.setViewportSize({ width: 480, height: 270 });
    await gotoReady(page, '?embed=1&tab=cluster');
    await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
    assert.doesNotMatch(await clusterCanvas(page).getAttribute('aria-label'), /Legend:/);
    await gotoReady(page, '?embed=1&tab=cluster&legend=1');
    await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
    assert.match(await clusterCanvas(page).getAttribute('aria-label'), /Legend: /);
    assert.equal(await page.getByRole('button', { name: 'Legend' }).isVisible(), false, 'an embed shows no toggle');
    await page.waitForTimeout(150);
    assert.equal(await edgeInk(clusterCanvas(page)), 0, 'the legend touches the embed canvas edge');
    await screenshot(page, 'newcomer-embed-legend-480x270.png');
  });
});

/** Pixels on the outermost `edge` px of the canvas that differ from its corner colour. */
async function edgeInk(canvas, edge = 2) {
  return canvas.evaluate((c, edge) => {
    const { width: w, height: h } = c;
    const d = c.getContext('2d').getImageData(0, 0, w, h).data;
    const at = (x, y) => (y * w + x) * 4;
    const bg = [d[0], d[1], d[2], d[3]];
    const e = Math.round(edge * window.devicePixelRatio);
    let ink = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (x >= e && x < w - e && y >= e && y < h - e) continue;
        const i = at(x, y);
        if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) + Math.abs(d[i + 3] - bg[3]) > 40) ink++;
      }
    }
    return ink;
  }, edge);
}

test('every embed fits its frame whole, letterboxed, from 320×240 up (checked by pixels)', async (t) => {
  for (const [w, h] of [
    [320, 240],
    [480, 270],
    [800, 580],
  ]) {
    for (const [query, name] of [
      ['?embed=1', /^Hash ring/],
      ['?embed=1&tab=cluster', /^Cluster at t=/],
    ]) {
      await withPage(context, `${t.name} ${w}x${h} ${query}`, async (page) => {
        await page.setViewportSize({ width: w, height: h });
        await gotoReady(page, query);
        if (query.includes('cluster')) {
          await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
        }
        const canvas = page.getByRole('img', { name });
        await until(async () => {
          const b = await canvas.boundingBox();
          return b && b.height > 50;
        });
        const box = await canvas.boundingBox();
        assert.ok(box.y >= 0 && box.y + box.height <= h + 0.5, `${query} at ${w}×${h}: canvas ${JSON.stringify(box)} runs past the frame's bottom`);
        assert.ok(box.x >= 0 && box.x + box.width <= w + 0.5, `${query} at ${w}×${h}: canvas runs past the frame's side`);
        // Wait for the drawing to settle, then nothing may touch the canvas's edges: the
        // picture is fitted inside it, never cut off.
        await page.waitForTimeout(150);
        const ink = await edgeInk(canvas);
        if (w === 320) await screenshot(page, `newcomer-embed-${query.includes('cluster') ? 'cluster' : 'ring'}-320x240.png`);
        assert.equal(ink, 0, `${query} at ${w}×${h}: ${ink} painted pixels on the canvas's edge (clipped drawing)`);
      });
    }
  }
});

test('screenshots: the start page and the workspace in both themes and at a phone width', async (t) => {
  for (const scheme of ['light', 'dark']) {
    await asNewcomer(
      `${t.name} ${scheme}`,
      async (page) => {
        await page.emulateMedia({ colorScheme: scheme });
        await gotoReady(page, '');
        await until(async () => (await cards(page).locator('canvas[data-painted]').count()) === 8, { timeoutMs: 10000 });
        await screenshot(page, `newcomer-start-${scheme}.png`);
        await page.getByRole('button', { name: 'Open the lab: Failure detection' }).click();
        await waitTitle(page, byId['gc-pause'].title);
        await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
        await page.getByRole('button', { name: 'Jump to violation' }).click();
        await page.waitForTimeout(200);
        await page.screenshot({ path: path.join(REPO_ROOT, 'target', 'screenshots', `newcomer-workspace-${scheme}.png`) });
      },
      { viewport: { width: 1280, height: 800 } },
    );
  }
  await asNewcomer(
    `${t.name} phone`,
    async (page) => {
      await gotoReady(page, '');
      await until(async () => (await cards(page).locator('canvas[data-painted]').count()) === 8, { timeoutMs: 10000 });
      await screenshot(page, 'newcomer-start-phone.png');
      await page.getByRole('button', { name: 'Open the lab: Distributed locks' }).click();
      await waitTitle(page, byId['lock-gc-fenced'].title);
      await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 15000 });
      // One column, canvas first.
      const canvas = await clusterCanvas(page).boundingBox();
      const side = await page.locator('.cluster-side').boundingBox();
      assert.ok(canvas.y < side.y, 'on a phone the canvas comes before the controls');
      assert.ok(canvas.width <= 390, `canvas ${canvas.width}px wide on a 390px phone`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
      await page.screenshot({ path: path.join(REPO_ROOT, 'target', 'screenshots', 'newcomer-workspace-phone.png') });
    },
    { viewport: { width: 390, height: 844 } },
  );
});
