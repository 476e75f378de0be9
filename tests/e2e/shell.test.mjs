// First flow: the app shell mounts, draws the default ring and reacts to "Add node".
// DOM contract: see docs/testing.md ("E2E DOM contract").

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch,
  withPage as withPageIn,
  gotoReady,
  canvasStats,
  screenshot,
  stopServer,
  until,
} from './harness.mjs';

let context;

/** Run `body(page)` on a fresh page of the shared browser; fails on any browser problem. */
const withPage = (name, body) => withPageIn(context, name, body);

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const ringCanvas = (page) => page.getByRole('img', { name: /Hash ring/ });
const nodesList = (page) => page.getByRole('list', { name: 'Nodes' });

async function nodeItemTexts(page) {
  return (await nodesList(page).getByRole('listitem').allInnerTexts()).map((t) => t.trim());
}

function assertNodeNames(texts, names) {
  assert.equal(texts.length, names.length, `expected ${names.length} node items, got ${JSON.stringify(texts)}`);
  for (const name of names) {
    const re = new RegExp(`^${name}(?![A-Za-z0-9])`);
    assert.equal(
      texts.filter((t) => re.test(t)).length,
      1,
      `expected exactly one node item starting with "${name}" in ${JSON.stringify(texts)}`,
    );
  }
}

test('app mounts, paints its first frame and shows no panic', async (t) => {
  await withPage(t.name, async (page) => {
    const { readyMs } = await gotoReady(page);
    // #panic is always in the page, hidden until a Rust panic fills and reveals it.
    const panic = page.locator('#panic');
    assert.equal(await panic.count(), 1, 'index.html must keep a #panic alert ready');
    assert.equal(await panic.isVisible(), false, `panic shown: ${await panic.innerText()}`);
    assert.equal(await page.getByRole('alert').count(), 0, 'an alert is shown');
    const h1 = page.locator('header h1');
    assert.equal(await h1.count(), 1, 'expected one <h1> inside <header>');
    assert.equal((await h1.innerText()).trim(), 'ringlab');
    t.diagnostic(`ready after ${readyMs} ms`);
  });
});

test('ring canvas is labelled and sized to its box × devicePixelRatio', async (t) => {
  await withPage(t.name, async (page) => {
    await gotoReady(page);
    const canvas = ringCanvas(page);
    assert.equal(await canvas.count(), 1, 'expected one canvas with role=img and name /Hash ring/');
    assert.equal(await canvas.evaluate((el) => el.tagName), 'CANVAS');
    const s = await canvasStats(canvas);
    assert.ok(s.cssWidth > 100 && s.cssHeight > 100, `canvas too small: ${s.cssWidth}×${s.cssHeight} CSS px`);
    assert.ok(Math.abs(s.width - s.cssWidth * s.dpr) <= 2, `backing width ${s.width} ≠ ${s.cssWidth} × ${s.dpr}`);
    assert.ok(Math.abs(s.height - s.cssHeight * s.dpr) <= 2, `backing height ${s.height} ≠ ${s.cssHeight} × ${s.dpr}`);
    const parentWidth = await canvas.evaluate((el) => el.parentElement.clientWidth);
    assert.ok(s.cssWidth <= parentWidth + 1, `canvas (${s.cssWidth}px) wider than its container (${parentWidth}px)`);
  });
});

test('canvas backing store follows devicePixelRatio 2', async (t) => {
  const hiDpi = await launch({ deviceScaleFactor: 2, viewport: { width: 900, height: 700 } });
  try {
    await withPageIn(hiDpi, t.name, async (page) => {
      await gotoReady(page);
      const s = await canvasStats(ringCanvas(page));
      assert.equal(s.dpr, 2);
      assert.ok(Math.abs(s.width - s.cssWidth * 2) <= 2, `backing width ${s.width} ≠ ${s.cssWidth} × 2`);
      assert.ok(Math.abs(s.height - s.cssHeight * 2) <= 2, `backing height ${s.height} ≠ ${s.cssHeight} × 2`);
    });
  } finally {
    await hiDpi.shutdown();
  }
});

test('default ring lists nodes A, B, C, D', async (t) => {
  await withPage(t.name, async (page) => {
    await gotoReady(page);
    assert.equal(await nodesList(page).count(), 1, 'expected one list named "Nodes"');
    assertNodeNames(await nodeItemTexts(page), ['A', 'B', 'C', 'D']);
  });
});

test('"Add node" adds E, logs "E joined" and reports keys moved', async (t) => {
  await withPage(t.name, async (page) => {
    await gotoReady(page);
    const log = page.getByRole('log');
    assert.equal(await log.count(), 1, 'expected one role=log element');
    assert.equal(await log.getAttribute('aria-live'), 'polite');
    await page.getByRole('button', { name: 'Add node' }).click();
    const texts = await until(async () => {
      const t = await nodeItemTexts(page);
      return t.length === 5 ? t : null;
    });
    assertNodeNames(texts ?? (await nodeItemTexts(page)), ['A', 'B', 'C', 'D', 'E']);
    const logged = await until(async () => (await log.innerText()).includes('E joined'));
    assert.ok(logged, `log does not say "E joined": ${JSON.stringify(await log.innerText())}`);
    const metrics = page.getByRole('region', { name: 'Metrics' });
    assert.equal(await metrics.count(), 1, 'expected one region named "Metrics"');
    assert.match(await metrics.innerText(), /keys moved/);
  });
});

test('ring is drawn in several node colours and repaints after "Add node"', async (t) => {
  await withPage(t.name, async (page) => {
    await gotoReady(page);
    const canvas = ringCanvas(page);
    const before = await canvasStats(canvas);
    assert.ok(before.painted > 0, 'canvas is fully transparent');
    assert.ok(
      before.saturatedHues >= 3,
      `expected ≥ 3 distinct saturated node colours, found ${before.saturatedHues} (hue buckets ${before.hueBuckets})`,
    );
    await page.getByRole('button', { name: 'Add node' }).click();
    const after = await until(
      async () => {
        const s = await canvasStats(canvas);
        return s.hash !== before.hash ? s : null;
      },
      { timeoutMs: 5000 },
    );
    assert.ok(after, 'canvas pixels did not change within 5 s of "Add node"');
    assert.ok(after.saturatedHues >= before.saturatedHues, `colours went from ${before.saturatedHues} to ${after.saturatedHues}`);
    // The tween ends and the frame loop goes idle (nothing moves, nothing is scheduled).
    const idle = await until(async () => (await page.evaluate(() => document.documentElement.dataset.animating)) === '0', {
      timeoutMs: 5000,
    });
    assert.ok(idle, 'the frame loop is still animating 5 s after "Add node"');
    const file = await screenshot(page, 'shell.png');
    t.diagnostic(`screenshot: ${file}`);
  });
});
