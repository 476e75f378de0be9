// The page stays responsive while it works, at the goal size (1000 nodes × 100 vnodes,
// 100,000 keys on the Hash ring tab):
// - a click on a node row during a topology change is answered (several rounds, one node
//   joining each);
// - "Explore N seeds" and the 2PC Verify run in a Web Worker: while an exploration runs, a
//   click on Step is answered and animation frames keep coming; the result gives the rate;
//   Cancel stops it;
// - without Workers (the constructor throws), or when the worker does not load, neither runs
//   on the page (their code lives only in the worker's wasm): the panel says why and names
//   the CLI command that runs the same job, and the page stays usable.
// How long each answer took is measured from the click event's own timestamp to the first
// animation frame that shows its effect (input delay, the handler, rendering and the wait for a
// frame all count) and reported against the 100 ms goal, never asserted: on a shared 2-core
// machine a timing is a benchmark figure (`bash scripts/bench.sh clicks` runs this file
// several times and collects the lines), not a pass/fail.
//   node --test tests/e2e/responsive-during-work.test.mjs   (needs dist/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, closePage, gotoReady, until, stopServer, screenshot } from './harness.mjs';

const ROUNDS = 5;
/** The goal the figures are reported against (README, Performance). */
const GOAL_MS = 100;

let context;
before(async () => {
  context = await launch();
});
after(async () => {
  if (context) await context.shutdown();
  await stopServer();
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');

async function withPage(body, { noWorker = false } = {}) {
  const page = await openPage(context);
  if (noWorker) {
    await page.addInitScript(() => {
      window.Worker = function Worker() {
        throw new Error('Workers blocked by the test');
      };
    });
  }
  try {
    await body(page);
    await closePage(page);
  } catch (err) {
    if (page.problems.length) err.message += `\nbrowser problems:\n  - ${page.problems.join('\n  - ')}`;
    await page.close().catch(() => {});
    throw err;
  }
}

const animating = (page) => page.evaluate(() => document.documentElement.dataset.animating === '1');
const settle = (page) => until(async () => !(await animating(page)), { timeoutMs: 120000, intervalMs: 100 });

async function submit(page, inputSel, value, buttonName) {
  await page.locator(inputSel).fill(String(value));
  await page.locator(inputSel).locator('xpath=ancestor::form[1]').getByRole('button', { name: buttonName }).click();
  assert.ok(await settle(page), `the change after "${buttonName}" did not settle`);
}

async function goalSize(page) {
  await submit(page, '#vnodes', 100, 'Apply');
  await submit(page, '#key-count', 100000, 'Generate keys');
  await submit(page, '#node-count', 1000, 'Set');
}

/**
 * Arms a one-shot probe: the next click inside an element matching `sel` records, in
 * window.__answer, the ms from that click's timestamp to the first animation frame where
 * `done()` (a function source, evaluated in the page) is true.
 */
async function armProbe(page, sel, doneSrc) {
  await page.evaluate(
    ({ sel, doneSrc }) => {
      const done = new Function(`return (${doneSrc})();`);
      window.__answer = null;
      const onClick = (e) => {
        if (!e.target.closest(sel)) return;
        document.removeEventListener('click', onClick, true);
        const stamp = e.timeStamp;
        const check = () => {
          if (done()) window.__answer = performance.now() - stamp;
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      };
      document.addEventListener('click', onClick, true);
    },
    { sel, doneSrc },
  );
}

async function answer(page) {
  const ok = await until(() => page.evaluate(() => window.__answer !== null), { timeoutMs: 10000 });
  assert.ok(ok, 'the click was never answered');
  return page.evaluate(() => window.__answer);
}

/** Counts animation frames and their intervals from now until `stopFrames`. */
const startFrames = (page) =>
  page.evaluate(() => {
    window.__iv = [];
    window.__framesOn = true;
    let last = performance.now();
    const f = (t) => {
      window.__iv.push(t - last);
      last = t;
      if (window.__framesOn) requestAnimationFrame(f);
    };
    requestAnimationFrame(f);
  });
const stopFrames = (page) =>
  page.evaluate(() => {
    window.__framesOn = false;
    const iv = window.__iv.slice(1).sort((a, b) => a - b);
    const q = (p) => iv[Math.min(iv.length - 1, Math.floor(p * iv.length))] ?? 0;
    return { frames: iv.length, p50: q(0.5), p95: q(0.95), max: iv[iv.length - 1] ?? 0 };
  });

const explorePanel = (page) => page.locator('section.explore');
const verifyPanel = (page) => page.locator('section.verify');

async function openClusterTab(page) {
  await page.getByRole('tab', { name: 'Cluster' }).click();
  const ok = await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), {
    timeoutMs: 20000,
  });
  assert.ok(ok, 'the cluster canvas never painted');
  // The scenario with a fault budget whose runs break an expectation.
  await page.getByRole('button', { name: 'Load A server crashes and comes back' }).click();
  const loaded = await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === 'A server crashes and comes back', {
    timeoutMs: 10000,
  });
  assert.ok(loaded, 'node-failure did not load');
}

/** Runs `seeds` seeds to the end; returns the rate line and the frame intervals meanwhile. */
async function exploreToEnd(page, seeds) {
  const panel = explorePanel(page);
  await panel.getByLabel('Seeds').fill(String(seeds));
  await startFrames(page);
  await panel.getByRole('button', { name: `Explore ${seeds} seeds` }).click();
  const done = await until(async () => (await panel.getByTestId('explore-rate').count()) === 1, { timeoutMs: 240000, intervalMs: 200 });
  assert.ok(done, `${seeds} seeds did not finish`);
  const frames = await stopFrames(page);
  return { rate: await panel.getByTestId('explore-rate').innerText(), result: await panel.locator('.explore-result').innerText(), frames };
}

test('at 1000 × 100 × 100,000 a click is answered during a topology change and during an exploration (timing reported)', { timeout: 600000 }, async (t) => {
  await withPage(async (page) => {
    await gotoReady(page);
    await goalSize(page);
    const rows = page.getByRole('list', { name: 'Nodes' }).getByRole('listitem');

    // During a topology change: a node joins, and 150 ms into its tween a node row is clicked.
    const ring = [];
    let during = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const n = 3 + i;
      const target = rows.nth(n);
      const box = await target.boundingBox();
      assert.ok(box, 'the node row has no box');
      await armProbe(page, 'ul[aria-label="Nodes"] > li', `() => document.querySelectorAll('ul[aria-label="Nodes"] > li')[${n}]?.getAttribute('aria-selected') === 'true'`);
      await page.getByRole('button', { name: 'Add node' }).click();
      await page.waitForTimeout(150);
      if (await animating(page)) during += 1;
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      ring.push(await answer(page));
      assert.ok(await settle(page), 'the tween did not end');
    }
    assert.ok(during >= 1, 'no click landed during a tween');

    // During an exploration (in the worker), the Cluster tab: Step is clicked while it runs.
    await openClusterTab(page);
    const panel = explorePanel(page);
    await panel.getByLabel('Seeds').fill('10000');
    await startFrames(page);
    await panel.getByRole('button', { name: 'Explore 10000 seeds' }).click();
    const progress = page.getByRole('progressbar', { name: 'Exploration progress' });
    assert.ok(await until(async () => (await progress.count()) === 1 && Number(await progress.getAttribute('value')) > 0, { timeoutMs: 30000 }), 'no progress');
    const explore = [];
    for (let i = 0; i < ROUNDS; i++) {
      // The clock line names the event (`t = 12 ms · event 7 / 40 · …`): Step moves it on.
      const before = await page.locator('.clock').innerText();
      await armProbe(page, 'button', `() => document.querySelector('.clock')?.innerText !== ${JSON.stringify(before)}`);
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      explore.push(await answer(page));
      await page.waitForTimeout(100);
    }
    const frames = await stopFrames(page);
    assert.equal(await progress.count(), 1, 'the exploration ended before the clicks: give it more seeds');
    assert.match(await panel.getByRole('status').first().innerText(), /in a Web Worker/);
    await panel.getByRole('button', { name: 'Cancel' }).click();
    assert.ok(await until(async () => /cancelled after/.test(await panel.locator('.explore-result').innerText())), 'Cancel did not stop it');

    const report =
      `node-row click during a tween (${during} of ${ROUNDS} landed during one): ${fmt(ring)} ms, median ${median(ring).toFixed(0)}; ` +
      `Step click during an exploration in the worker: ${fmt(explore)} ms, median ${median(explore).toFixed(0)}; ` +
      `frames meanwhile ${frames.frames}, interval p50 ${frames.p50.toFixed(1)} / p95 ${frames.p95.toFixed(1)} / max ${frames.max.toFixed(1)} ms; goal ${GOAL_MS} ms`;
    t.diagnostic(report);
    console.log(`# responsive-during-work: ${report}`);
  });
});

test('Explore and Verify run in a Web Worker: rate reported, page keeps animating', { timeout: 300000 }, async (t) => {
  await withPage(async (page) => {
    await gotoReady(page, '?tab=cluster');
    await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 20000 });
    await page.getByRole('button', { name: 'Load A server crashes and comes back' }).click();
    await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === 'A server crashes and comes back');
    const seeds = Number(process.env.E2E_EXPLORE_SEEDS || 2000);
    const run = await exploreToEnd(page, seeds);
    assert.match(run.rate, /seeds\/s in a Web Worker\)$/, run.rate);
    assert.match(run.result, /accurate_suspicion/);
    assert.equal(await explorePanel(page).getByRole('button', { name: 'Replay this counterexample' }).count(), 1);
    assert.equal(await explorePanel(page).getByTestId('explore-note').count(), 0, 'no fallback note with a worker');
    // Frames kept coming while the worker ran (software rendering, busy machine: generous).
    assert.ok(run.frames.frames >= 10, `only ${run.frames.frames} frames during the exploration`);

    const vp = verifyPanel(page);
    await vp.getByLabel('Resource managers').selectOption('6');
    await vp.getByRole('button', { name: 'Verify', exact: true }).click();
    const summary = vp.getByTestId('verify-summary');
    assert.ok(await until(async () => (await summary.count()) === 1 && /^6 RMs, textbook: 50,816 distinct states/.test(await summary.innerText()), { timeoutMs: 60000 }), 'no 6-RM result');
    assert.equal(await vp.getByTestId('verify-note').count(), 0);
    const report = `${seeds} seeds of node-failure: ${run.rate}; frames meanwhile ${run.frames.frames}, interval p50 ${run.frames.p50.toFixed(1)} / p95 ${run.frames.p95.toFixed(1)} / max ${run.frames.max.toFixed(1)} ms; Verify 6 RMs: ${await summary.innerText()}`;
    t.diagnostic(report);
    console.log(`# worker: ${report}`);
    await explorePanel(page).scrollIntoViewIfNeeded();
    await screenshot(page, 'explore-worker');
  });
});

test('without Web Workers, Explore and Verify say so and name the CLI instead of running', { timeout: 300000 }, async () => {
  await withPage(
    async (page) => {
      await gotoReady(page, '?tab=cluster');
      await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 20000 });
      await page.getByRole('button', { name: 'Load A server crashes and comes back' }).click();
      await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === 'A server crashes and comes back');
      const panel = explorePanel(page);
      await panel.getByLabel('Seeds').fill('200');
      await panel.getByRole('button', { name: 'Explore 200 seeds' }).click();
      const note = panel.getByTestId('explore-note');
      await note.waitFor({ timeout: 10000 });
      assert.match(
        await note.innerText(),
        /^No Web Worker \(.*Workers blocked by the test.*\): Explore runs only in a Web Worker, so it did not run; ringlab-cli explore runs the same job\.$/,
      );
      // Nothing runs: no progress bar, no result, and the button is ready for another try.
      assert.equal(await panel.getByRole('progressbar').count(), 0);
      assert.equal(await panel.getByTestId('explore-rate').count(), 0);
      assert.ok(await panel.getByRole('button', { name: 'Explore 200 seeds' }).isEnabled());

      const vp = verifyPanel(page);
      await vp.getByLabel('Resource managers').selectOption('3');
      await vp.getByRole('button', { name: 'Verify', exact: true }).click();
      await vp.getByTestId('verify-note').waitFor({ timeout: 10000 });
      assert.match(await vp.getByTestId('verify-note').innerText(), /^No Web Worker \(.*\): Verify runs only in a Web Worker, so it did not run; ringlab-cli check 2pc runs the same job\.$/);
      assert.equal(await vp.getByTestId('verify-summary').count(), 0);
      // The page itself still works: Step moves the playhead.
      const canvas = page.getByRole('img', { name: /^Cluster at t=/ });
      const before = await canvas.getAttribute('aria-label');
      await page.getByRole('button', { name: 'Step', exact: true }).first().click();
      assert.ok(await until(async () => (await canvas.getAttribute('aria-label')) !== before, { timeoutMs: 5000 }), 'Step did nothing');
    },
    { noWorker: true },
  );
});

test('a worker that fails to load ends its exploration with a note saying why', { timeout: 300000 }, async () => {
  await withPage(async (page) => {
    // The loader throws instead of starting the worker's wasm.
    await page.route('**/worker-loader.js', (route) =>
      route.fulfill({ status: 200, contentType: 'text/javascript', body: "throw new Error('loader broken by the test');" }),
    );
    await gotoReady(page, '?tab=cluster');
    await until(() => page.evaluate(() => document.documentElement.dataset.clusterReady === '1'), { timeoutMs: 20000 });
    await page.getByRole('button', { name: 'Load A server crashes and comes back' }).click();
    await until(async () => (await page.getByTestId('scenario-title').innerText()).trim() === 'A server crashes and comes back');
    const panel = explorePanel(page);
    await panel.getByLabel('Seeds').fill('100');
    await panel.getByRole('button', { name: 'Explore 100 seeds' }).click();
    const note = panel.getByTestId('explore-note');
    await note.waitFor({ timeout: 20000 });
    assert.match(await note.innerText(), /^No Web Worker \(the worker failed: .*loader broken by the test.*\): Explore runs only in a Web Worker/);
    // The job is over: no progress bar left, Explore is enabled again.
    assert.ok(await until(async () => (await panel.getByRole('progressbar').count()) === 0, { timeoutMs: 5000 }));
    assert.ok(await panel.getByRole('button', { name: 'Explore 100 seeds' }).isEnabled());
  });
});
