// The Cluster tab: scenarios on a timeline you can play, pause, step, scrub, fork and explore.
// Opens the tab directly with ?tab=cluster; finds controls by role and label.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, canvasStats, screenshot, stopServer, until } from './harness.mjs';

let context;

before(async () => {
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

async function withPage(body, ctx = context) {
  const page = await openPage(ctx);
  try {
    await body(page);
  } catch (err) {
    await page.close().catch(() => {});
    if (page.problems.length) err.message += `\nbrowser problems:\n  - ${page.problems.join('\n  - ')}`;
    throw err;
  }
  await closePage(page);
}

/** Opens the Cluster tab and waits until its canvases have painted. */
async function openCluster(page) {
  await gotoReady(page, '?tab=cluster');
  const ok = await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), {
    timeoutMs: 15000,
  });
  assert.ok(ok, 'the cluster canvas never painted (no data-cluster-ready)');
}

const clusterCanvas = (page) => page.getByRole('img', { name: /^Cluster at t=/ });
const diagramCanvas = (page) => page.getByRole('img', { name: /^Space-time diagram/ });
const scrubber = (page) => page.getByRole('slider', { name: 'Timeline' });
const title = (page) => page.getByTestId('scenario-title');
const nodeItem = (page, name) =>
  page.getByRole('list', { name: 'Cluster nodes' }).getByRole('listitem').filter({ hasText: new RegExp(`^${name}`) });

async function clockMs(page) {
  const text = await page.getByTestId('clock').innerText();
  const m = /t = ([\d,]+) ms/.exec(text);
  assert.ok(m, `clock reads ${JSON.stringify(text)}`);
  return Number(m[1].replaceAll(',', ''));
}

async function scrubTo(page, ms) {
  await scrubber(page).evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
  const at = await until(async () => (await clockMs(page)) === ms, { timeoutMs: 3000 });
  assert.ok(at, `after scrubbing to ${ms} the clock reads ${await clockMs(page)} ms`);
}

async function loadFromGallery(page, name) {
  await page.getByRole('button', { name: `Load ${name}` }).click();
  const loaded = await until(async () => (await title(page).innerText()).trim() === name, { timeoutMs: 10000 });
  assert.ok(loaded, `title is ${JSON.stringify(await title(page).innerText())}, expected ${name}`);
}

test('?tab=cluster opens the Cluster tab and the tab bar switches views both ways', async () => {
  await withPage(async (page) => {
    await openCluster(page);
    assert.equal(await page.getByRole('tab', { name: 'Cluster' }).getAttribute('aria-selected'), 'true');
    assert.match((await clusterCanvas(page).getAttribute('aria-label')) ?? '', /^Cluster at t=0 ms: A up, B up, C up/);
    assert.equal(await page.getByRole('img', { name: /Hash ring/ }).count(), 0, 'the ring canvas is hidden');
    await scrubTo(page, 1500);

    await page.getByRole('tab', { name: 'Hash ring' }).click();
    await until(async () => (await page.getByRole('img', { name: /Hash ring/ }).count()) === 1);
    assert.equal(await clusterCanvas(page).count(), 0, 'the cluster canvas is hidden on the ring tab');
    assert.equal(new URL(page.url()).search, '', 'the ring tab is the default: no query');
    const ring = await canvasStats(page.getByRole('img', { name: /Hash ring/ }));
    assert.ok(ring.width > 100, 'the ring canvas got its size once shown');

    await page.getByRole('tab', { name: 'Cluster' }).click();
    await until(async () => (await clusterCanvas(page).count()) === 1);
    assert.equal(new URL(page.url()).search, '?tab=cluster');
    assert.equal(await clockMs(page), 1500, 'switching tabs keeps the cluster where it was');
  });
});

test('load a gallery scenario, play, pause and step', async () => {
  await withPage(async (page) => {
    await openCluster(page);
    await loadFromGallery(page, 'A partition makes healthy servers look dead');
    assert.equal(await clockMs(page), 0);
    const canvas = clusterCanvas(page);
    const before = await canvasStats(canvas);
    assert.ok(before.saturatedHues >= 3, `expected node colours on the canvas, hues ${before.hueBuckets}`);

    await page.getByRole('button', { name: 'Play', exact: true }).click();
    const moved = await until(async () => (await clockMs(page)) >= 300, { timeoutMs: 5000 });
    assert.ok(moved, `playing did not advance time: ${await clockMs(page)} ms`);
    const playing = await canvasStats(canvas);
    assert.notEqual(playing.hash, before.hash, 'the canvas did not change while playing');

    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    const idle = await until(() => page.evaluate(() => document.documentElement.dataset.clusterPlaying === '0'));
    assert.ok(idle, 'the frame loop kept running after Pause');
    const paused = await clockMs(page);
    await page.waitForTimeout(400);
    assert.equal(await clockMs(page), paused, 'time moved while paused');

    const events = async () => Number(/event ([\d,]+)/.exec(await page.locator('.clock').innerText())[1].replaceAll(',', ''));
    const n0 = await events();
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    const stepped = await until(async () => (await events()) > n0);
    assert.ok(stepped, 'Step did not move to the next event');
    assert.ok((await clockMs(page)) >= paused);
  });
});

test('scrubbing back shows the world as it was', async () => {
  await withPage(async (page) => {
    await openCluster(page);
    assert.equal((await title(page).innerText()).trim(), 'A stop-the-world GC pause');
    const canvas = clusterCanvas(page);
    await scrubTo(page, 2600);
    assert.match(await nodeItem(page, 'B').innerText(), /paused until 3,200 ms/);
    assert.match(await nodeItem(page, 'B').innerText(), /suspected by A, C/);
    assert.match((await canvas.getAttribute('aria-label')) ?? '', /B paused until 3,200 ms/);
    assert.match(await page.getByRole('list', { name: 'Invariants' }).innerText(), /violated at t=2,5\d\d ms/);
    const late = await canvasStats(canvas);

    await scrubTo(page, 1000);
    assert.match(await nodeItem(page, 'B').innerText(), /^B\s+up$/);
    assert.match((await canvas.getAttribute('aria-label')) ?? '', /^Cluster at t=1,000 ms: A up, B up, C up/);
    assert.doesNotMatch(await page.getByRole('list', { name: 'Invariants' }).innerText(), /violated/);
    const early = await canvasStats(canvas);
    assert.notEqual(early.hash, late.hash, 'the canvas looks the same at 1,000 ms and 2,600 ms');
    // The log ends at the playhead.
    const lines = await page.getByRole('log', { name: 'Cluster events' }).getByRole('listitem').allInnerTexts();
    assert.ok(lines.length > 10);
    const last = Number(/^t=([\d,]+) ms/.exec(lines.at(-1))[1].replaceAll(',', ''));
    assert.ok(last <= 1000, `the last log line is from ${last} ms`);
  });
});

test('a command in the past forks the history and says so', async () => {
  await withPage(async (page) => {
    await openCluster(page);
    await scrubTo(page, 1000);
    await page.getByLabel('Node', { exact: true }).selectOption({ label: 'C' });
    await page.getByRole('button', { name: 'Crash', exact: true }).click();
    const notice = page.getByRole('status').filter({ hasText: /^Forked at/ });
    await until(async () => (await notice.count()) === 1);
    assert.match(await notice.innerText(), /^Forked at t=1,000 ms: the old future was discarded \([\d,]+ events\)\.$/);
    assert.equal(await page.getByRole('button', { name: 'fork at 1,000 ms' }).count(), 1, 'no fork marker');
    assert.equal(await page.getByRole('button', { name: 'crash of C at 1,000 ms' }).count(), 1, 'no crash marker');
    assert.match(await nodeItem(page, 'C').innerText(), /crashed/);
    // The recorded future (B's pause at 2 s) is gone until time gets there again.
    assert.equal(await page.getByRole('button', { name: /^pause of B/ }).count(), 0);
    assert.match(await page.locator('.clock').innerText(), /live/);
  });
});

test('clicking a fault marker moves the playhead there; "Jump to violation" finds the violation', async () => {
  await withPage(async (page) => {
    await openCluster(page);
    await page.getByRole('button', { name: 'pause of B at 2,000 ms' }).click();
    const at = await until(async () => (await clockMs(page)) === 2000);
    assert.ok(at, `the clock reads ${await clockMs(page)} ms after clicking the pause marker`);
    assert.equal(Number(await scrubber(page).inputValue()), 2000);
    assert.match(await nodeItem(page, 'B').innerText(), /paused/);
    // The selected event is highlighted in the log.
    const selected = page.getByRole('log', { name: 'Cluster events' }).locator('li[aria-selected="true"]');
    assert.match(await selected.first().innerText(), /node B froze for 1,200 ms/);

    await page.getByRole('button', { name: 'Jump to violation' }).click();
    const jumped = await until(async () => (await clockMs(page)) > 2000);
    assert.ok(jumped);
    const t = await clockMs(page);
    assert.match(await page.getByRole('list', { name: 'Invariants' }).innerText(), new RegExp(`violated at t=${t.toLocaleString('en-US')} ms`));
  });
});

test('selecting a message highlights it in the log and the diagram', async () => {
  await withPage(async (page) => {
    await openCluster(page);
    await scrubTo(page, 1503);
    const diagram = diagramCanvas(page);
    const before = await canvasStats(diagram);
    const log = page.getByRole('log', { name: 'Cluster events' });
    const send = log.getByRole('listitem').filter({ hasText: /sent ping/ }).last();
    await send.click();
    await until(async () => (await send.getAttribute('aria-selected')) === 'true');
    const id = /message #(\d+)/.exec(await send.innerText())[1];
    // Every line about that message is selected (its send and, if delivered by now, its delivery).
    for (const li of await log.locator('li[aria-selected="true"]').all()) {
      assert.match(await li.innerText(), new RegExp(`#${id}\\b`));
    }
    const after = await until(async () => {
      const s = await canvasStats(diagram);
      return s.hash !== before.hash ? s : null;
    });
    assert.ok(after, 'the diagram did not redraw the selected message');
  });
});

test('a bad scenario shows the decoder message and keeps the current scenario', async () => {
  await withPage(async (page) => {
    await openCluster(page);
    const keep = 'A stop-the-world GC pause';
    const alert = page.getByRole('alert');
    const expectRefused = async (pattern) => {
      const shown = await until(async () => (await alert.count()) === 1 && pattern.test(await alert.innerText()), { timeoutMs: 5000 });
      assert.ok(shown, `expected an alert matching ${pattern}, got ${(await alert.count()) ? await alert.innerText() : 'none'}`);
      assert.equal((await title(page).innerText()).trim(), keep, 'the current scenario was replaced');
    };

    await page.getByLabel('Load scenario JSON').setInputFiles({
      name: 'truncated.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"version":1,"id":"x",'),
    });
    await expectRefused(/Could not load truncated\.json: scenario \(line 1, column \d+\): not valid JSON/);

    const base = {
      version: 1,
      id: 'x',
      title: 'X',
      cluster: { servers: ['A'] },
      network: { base_ms: 1 },
      until_ms: 100,
    };
    const paste = async (obj) => {
      await page.getByLabel('Scenario JSON', { exact: true }).fill(typeof obj === 'string' ? obj : JSON.stringify(obj));
      await page.getByRole('button', { name: 'Load pasted JSON' }).click();
    };
    await paste({ ...base, version: 5 });
    await expectRefused(/version: unsupported version 5; this build needs version 1 to 4/);
    await paste({ ...base, cluster: { server_count: 1e9 } });
    await expectRefused(/cluster\.server_count: must be in 1\.\.=64, got 1000000000/);
    await paste({ ...base, schedule: [{ at_ms: -5, cmd: { op: 'heal' } }] });
    await expectRefused(/schedule\[0\]\.at_ms: expected a whole number ≥ 0, got -5/);
    await paste({ ...base, until_ms: 'soon' });
    await expectRefused(/until_ms: expected a whole number ≥ 0, got "soon"/);

    // A good one replaces it and clears the alert.
    await paste({ ...base, title: 'Tiny' });
    await until(async () => (await title(page).innerText()).trim() === 'Tiny');
    assert.equal(await alert.count(), 0);
  });
});

test('explore finds a counterexample and replays it on the timeline; Cancel stops a long one', async () => {
  await withPage(async (page) => {
    await openCluster(page);
    await loadFromGallery(page, 'A server crashes and comes back');
    await page.getByLabel('Seeds').fill('12');
    await page.getByRole('button', { name: 'Explore 12 seeds' }).click();
    const replay = page.getByRole('button', { name: 'Replay this counterexample' });
    const found = await until(async () => (await replay.count()) === 1, { timeoutMs: 60000, intervalMs: 200 });
    assert.ok(found, 'no counterexample after 12 seeds of node-failure');
    assert.match(await page.locator('.explore-result').innerText(), /accurate_suspicion/);
    await replay.click();
    await until(async () => /^Reproduction: accurate_suspicion breaks in node-failure/.test(await title(page).innerText()));
    const jump = page.getByRole('button', { name: 'Jump to violation' });
    assert.equal(await jump.isEnabled(), true);
    await jump.click();
    await until(async () => (await clockMs(page)) > 0);
    assert.match(await page.getByRole('list', { name: 'Expectations' }).innerText(), /accurate_suspicion must break: broke ✓/);

    // A reproduction has no fault budget of its own: explore the original again.
    assert.equal(await page.getByRole('button', { name: /^Explore \d+ seeds$/ }).isEnabled(), false);
    await loadFromGallery(page, 'A server crashes and comes back');
    await page.getByLabel('Seeds').fill('5000');
    await page.getByRole('button', { name: 'Explore 5000 seeds' }).click();
    const progress = page.getByRole('progressbar', { name: 'Exploration progress' });
    await until(async () => (await progress.count()) === 1 && Number(await progress.getAttribute('value')) > 0, { timeoutMs: 20000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await until(async () => /cancelled after/.test(await page.locator('.explore-result').innerText()));
    assert.equal(await progress.count(), 0);
  });
});

test('a 100,000-event history: scrub and play timings (reported, not asserted)', async (t) => {
  await withPage(async (page) => {
    await openCluster(page);
    // Ten servers pinging every 20 ms: about 19,000 events per simulated second.
    const big = {
      version: 1,
      id: 'big',
      title: 'Ten busy servers',
      cluster: { server_count: 10 },
      network: { base_ms: 2, jitter_ms: 6 },
      protocols: { heartbeat: { interval_ms: 20, timeout_ms: 100 } },
      schedule: [
        { at_ms: 2000, cmd: { op: 'crash', node: 'n3' } },
        { at_ms: 3000, cmd: { op: 'partition', side: ['n1', 'n2'] } },
        { at_ms: 4000, cmd: { op: 'heal' } },
      ],
      until_ms: 7000,
    };
    const started = Date.now();
    await page.getByLabel('Scenario JSON', { exact: true }).fill(JSON.stringify(big));
    await page.getByRole('button', { name: 'Load pasted JSON' }).click();
    await until(async () => (await title(page).innerText()).trim() === 'Ten busy servers', { timeoutMs: 20000 });
    const loadMs = Date.now() - started;
    const total = Number(/\/ ([\d,]+)/.exec(await page.locator('.clock').innerText())[1].replaceAll(',', ''));
    assert.ok(total >= 100000, `only ${total} events recorded`);

    const scrubs = await page.evaluate(async () => {
      const el = document.querySelector('input[aria-label="Timeline"]');
      const max = Number(el.max);
      const out = [];
      for (let k = 0; k < 20; k++) {
        const v = Math.floor((((k * 7919) % 97) / 97) * max);
        const t0 = performance.now();
        el.value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
        // Yew handles the input in a microtask: seek + DOM update are done after this tick.
        await new Promise((r) => setTimeout(r, 0));
        const t1 = performance.now();
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const clock = document.querySelector('[data-testid="clock"]').textContent;
        out.push({ v, handled: t1 - t0, painted: performance.now() - t0, clock });
      }
      return out;
    });
    for (const s of scrubs) {
      assert.equal(s.clock, `t = ${s.v.toLocaleString('en-US')} ms`);
    }
    const stats = (xs) => {
      const v = [...xs].sort((a, b) => a - b);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return `mean ${mean.toFixed(1)} ms, median ${v[v.length >> 1].toFixed(1)} ms, max ${v.at(-1).toFixed(1)} ms`;
    };
    t.diagnostic(`loaded and recorded ${total.toLocaleString('en-US')} events in ${loadMs} ms (wall, incl. paste)`);
    t.diagnostic(`scrub (seek + DOM update): ${stats(scrubs.map((s) => s.handled))}`);
    t.diagnostic(`scrub to painted frame (incl. waiting for 2 frames): ${stats(scrubs.map((s) => s.painted))}`);

    // Frame intervals while playing this busy cluster at 1× from 1 s.
    await scrubTo(page, 1000);
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    const frames = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const ts = [];
          const tick = (t) => {
            ts.push(t);
            if (ts.length < 90) requestAnimationFrame(tick);
            else resolve(ts.slice(1).map((x, i) => x - ts[i]));
          };
          requestAnimationFrame(tick);
        }),
    );
    // It may have reached the end of the scenario (and paused) if frames were slow.
    const pause = page.getByRole('button', { name: 'Pause', exact: true });
    if (await pause.count()) await pause.click();
    const played = await clockMs(page);
    t.diagnostic(`frame interval while playing 10 busy servers at 1×: ${stats(frames)} over ${frames.length} frames (virtual time 1,000 → ${played.toLocaleString('en-US')} ms)`);
  });
});

/** The screenshot a user would see: a partition mid-flight, a message selected. */
async function showcase(page, file) {
  await openCluster(page);
  await loadFromGallery(page, 'A partition makes healthy servers look dead');
  await scrubTo(page, 2003);
  await page.getByRole('log', { name: 'Cluster events' }).getByRole('listitem').filter({ hasText: /sent ping/ }).last().click();
  await page.waitForTimeout(200);
  const s = await canvasStats(clusterCanvas(page));
  assert.ok(s.saturatedHues >= 4, `expected ≥ 4 node colours, hue buckets ${s.hueBuckets}`);
  return screenshot(page, file);
}

test('screenshots of the Cluster tab in the light and dark themes', async (t) => {
  await withPage(async (page) => {
    t.diagnostic(`screenshot: ${await showcase(page, 'cluster.png')}`);
  });
  const dark = await launch({ colorScheme: 'dark' });
  try {
    await withPage(async (page) => {
      t.diagnostic(`screenshot: ${await showcase(page, 'cluster-dark.png')}`);
      const px = await clusterCanvas(page).evaluate((c) => Array.from(c.getContext('2d').getImageData(2, 2, 1, 1).data));
      assert.ok(px[0] < 80 && px[1] < 80 && px[2] < 80, `the canvas background is not dark: ${px}`);
    }, dark);
  } finally {
    await dark.shutdown();
  }
});
