// Hash-ring flows a person performs: fail, recover and remove a node and watch counters and
// colours change; look up a key and check the owner against an independent implementation of
// the placement contract; compare algorithms; bad input is refused and the ring is kept.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { launch, openPage, closePage, gotoReady, until, screenshot, stopServer } from './harness.mjs';

let context;
before(async () => {
  context = await launch();
});
after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

async function withPage(body) {
  const page = await openPage(context);
  try {
    await gotoReady(page);
    await body(page);
  } catch (err) {
    if (page.problems.length) err.message += `\nbrowser problems:\n  - ${page.problems.join('\n  - ')}`;
    await page.close().catch(() => {});
    throw err;
  }
  await closePage(page);
}

const settle = (page) =>
  until(async () => (await page.evaluate(() => document.documentElement.dataset.animating)) !== '1', { timeoutMs: 10000 });
const nodes = (page) => page.getByRole('list', { name: 'Nodes' }).getByRole('listitem');
const metrics = (page) => page.getByRole('region', { name: 'Metrics' });
const log = (page) => page.getByRole('log');

/** Pixels on the ring canvas exactly in node slot `slot`'s theme colour. */
async function pixelsOfNode(page, slot) {
  return page.evaluate((slot) => {
    const css = getComputedStyle(document.documentElement).getPropertyValue(`--node-${slot}`).trim();
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(css.slice(i, i + 2), 16));
    const canvas = document.querySelector('canvas[role="img"]');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) n++;
    return n;
  }, slot);
}

// The placement contract, reimplemented from its text (docs/placement.md).
const pos = (s) => createHash('sha1').update(s, 'utf8').digest().readBigUInt64BE(0);
function owner(names, vnodes, key) {
  const pts = names.flatMap((n) => Array.from({ length: vnodes }, (_, i) => [pos(`${n}#${i}`), n, i]));
  pts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
  const h = pos(key);
  return (pts.find((p) => p[0] >= h) ?? pts[0])[1];
}

test('fail, recover and remove a node: counters, list and canvas colours follow', async () => {
  await withPage(async (page) => {
    const before = await nodes(page).allInnerTexts();
    const cPixels = await pixelsOfNode(page, 2);
    assert.ok(cPixels > 200, `C's colour barely drawn: ${cPixels} px`);

    await nodes(page).filter({ hasText: /^C/ }).click();
    const details = page.getByRole('group', { name: 'Node C' });
    assert.match(await details.innerText(), /Status\s+up/);
    await details.getByRole('button', { name: 'Fail' }).click();
    await settle(page);
    assert.match(await nodes(page).filter({ hasText: /^C/ }).innerText(), /C \(down\)[\s\S]*0\.0% · 0 keys/);
    const m = await metrics(page).innerText();
    assert.match(m, /\d[\d,]* keys moved \([\d.]+% of keys; ideal 1\/4 = 25\.0%\)/);
    assert.match(m, /hash mod N would move [\d,]+ keys/);
    assert.match(await log(page).innerText(), /C failed; /);
    assert.ok((await pixelsOfNode(page, 2)) < cPixels / 20, 'a failed node keeps its colour on the canvas');

    await details.getByRole('button', { name: 'Recover' }).click();
    await settle(page);
    assert.deepEqual(await nodes(page).allInnerTexts(), before, 'recovery restores every count exactly');
    assert.ok((await pixelsOfNode(page, 2)) > cPixels * 0.9, 'C is drawn again after recovery');

    await details.getByRole('button', { name: 'Remove' }).click();
    await settle(page);
    assert.equal(await nodes(page).count(), 3);
    assert.match(await log(page).innerText(), /C left; /);
  });
});

test('a looked-up key shows the owner the placement contract gives', async () => {
  await withPage(async (page) => {
    for (const key of ['order:1001', 'sku:42', 'account:7', '東京 🚀']) {
      await page.getByRole('textbox', { name: 'Key to look up' }).fill(key);
      const panel = page.getByRole('region', { name: 'Look up a key' });
      const text = await until(async () => {
        const t = await panel.innerText();
        return /Owner/.test(t) && t.includes(key) ? t : null;
      });
      assert.ok(text, `no lookup result for ${key}`);
      const hex = pos(key).toString(16).padStart(16, '0');
      assert.match(text, new RegExp(`Position\\s+${hex}`), `${key}: ${text}`);
      assert.match(text, new RegExp(`Owner\\s+${owner(['A', 'B', 'C', 'D'], 16, key)}\\b`), `${key}: ${text}`);
    }
  });
});

test('colouring by hash mod N and comparing all algorithms on the same change', async (t) => {
  await withPage(async (page) => {
    await page.getByLabel('Colour keys by').selectOption('mod-n');
    await settle(page);
    await page.getByRole('button', { name: 'Add node' }).click();
    await settle(page);
    await page.getByRole('button', { name: 'Compare on last change' }).click();
    const table = page.getByRole('table', { name: 'Algorithm comparison' });
    const rows = await table.getByRole('row').allInnerTexts();
    assert.equal(rows.length, 6, `header + 5 algorithms: ${JSON.stringify(rows)}`);
    const moved = (label) => {
      const row = rows.find((r) => r.startsWith(label));
      assert.ok(row, `no row for ${label}`);
      return Number(row.split('\t')[2].replace('%', ''));
    };
    assert.ok(moved('hash mod N') > 60, `mod N moved ${moved('hash mod N')}%`);
    assert.ok(moved('consistent ring') < 40, `ring moved ${moved('consistent ring')}%`);
    assert.match(await metrics(page).innerText(), /as placed by hash mod N/);
    const file = await screenshot(page, 'ring-compare.png');
    t.diagnostic(`screenshot: ${file}`);
  });
});

test('bad input is refused with a message and the ring is kept', async () => {
  await withPage(async (page) => {
    const before = await nodes(page).allInnerTexts();
    const name = page.getByRole('textbox', { name: 'New node name' });
    const cases = [
      ['a,b', '1', /,/],
      ['A', '1', /A/],
      ['x'.repeat(65), '1', /64/],
      ['', '-1', /weight must be/],
      ['', '1e300', /weight must be/],
    ];
    for (const [n, w, re] of cases) {
      await name.fill(n);
      await page.getByRole('spinbutton', { name: 'New node weight' }).fill(w);
      await page.getByRole('button', { name: 'Add node' }).click();
      const alert = page.getByRole('alert');
      let last = null;
      const msg = await until(async () => {
        last = (await alert.count()) ? await alert.innerText() : null;
        return last && re.test(last) ? last : null;
      });
      assert.ok(msg, `${JSON.stringify([n, w])}: alert ${JSON.stringify(last)}`);
      assert.deepEqual(await nodes(page).allInnerTexts(), before);
    }
    await page.locator('#node-count').fill('99999');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    const sizeAlert = await until(async () => {
      const t = await page.getByRole('alert').innerText();
      return /cluster size must be/.test(t) ? t : null;
    });
    assert.ok(sizeAlert, 'no message for a cluster of 99,999 nodes');
    await page.locator('#node-count').fill('20');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await settle(page);
    assert.equal(await nodes(page).count(), 20);
  });
});

test('prefers-reduced-motion: a topology change lands at once, no tween frames', async () => {
  const still = await launch({ reducedMotion: 'reduce' });
  try {
    const page = await openPage(still);
    try {
      await gotoReady(page);
      await page.evaluate(() => {
        window.__ringlabFrames = [];
      });
      await page.getByRole('button', { name: 'Add node' }).click();
      await settle(page);
      // Give a running tween time to show itself: ~0.9 s would paint dozens of frames.
      await page.waitForTimeout(400);
      const frames = await page.evaluate(() => window.__ringlabFrames.length);
      assert.ok(frames >= 1 && frames <= 2, `painted ${frames} frames for a change that should not animate`);
      assert.match(await log(page).innerText(), /E joined/);
    } finally {
      await closePage(page);
    }
  } finally {
    await still.shutdown();
  }
});
