// Frame-time benchmark for the hash-ring canvas (not a test: figures for the README).
//
// Drives the release build like a user (vnodes, key count, cluster size, then "Add node")
// and reports, for the topology-change animation:
//   - frames: frames ringlab drew from the click until the tween ended (about 54 at 60 Hz)
//   - cost: time ringlab spends building and painting each frame (window.__ringlabFrames);
//     "worst" is the most expensive single frame
//   - interval: time between animation frames as the page saw them (requestAnimationFrame),
//     from the click until the page was idle again: p50, p95 and max
// Usage: node tests/perf/frames.mjs [--runs=N] [NODESxVNODESxKEYS ...]   (needs dist/; see README)
// Every run is printed (no best-of): on a shared machine the spread is part of the result.
// "60 fps?" is interval p95 <= 16.7 ms plus 0.5 ms of timer jitter.

import { launch, openPage, closePage, gotoReady, until, stopServer } from '../e2e/harness.mjs';

const args = process.argv.slice(2);
const runsArg = args.find((a) => a.startsWith('--runs='));
const runs = runsArg ? Number(runsArg.slice('--runs='.length)) : 1;
if (!Number.isInteger(runs) || runs < 1) throw new Error(`bad ${runsArg}: want --runs=N, N >= 1`);
const sizes = args.filter((a) => !a.startsWith('--'));
const configs = (sizes.length ? sizes : ['100x100x10000', '1000x100x100000']).map((c) => {
  const [nodes, vnodes, keys] = c.split('x').map(Number);
  if (![nodes, vnodes, keys].every(Number.isFinite)) throw new Error(`bad config "${c}": want NODESxVNODESxKEYS`);
  return { nodes, vnodes, keys };
});

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function settle(page) {
  const idle = await until(async () => (await page.evaluate(() => document.documentElement.dataset.animating)) !== '1', {
    timeoutMs: 120000,
    intervalMs: 100,
  });
  if (!idle) throw new Error('animation did not settle within 120 s');
}

async function submit(page, inputSel, value, buttonName) {
  await page.locator(inputSel).fill(String(value));
  await page.locator(inputSel).locator('xpath=ancestor::form[1]').getByRole('button', { name: buttonName }).click();
  await settle(page);
}

const context = await launch();
const rows = [];
try {
  for (let run = 1; run <= runs; run++) for (const cfg of configs) {
    const page = await openPage(context);
    await gotoReady(page);
    await submit(page, '#vnodes', cfg.vnodes, 'Apply');
    await submit(page, '#key-count', cfg.keys, 'Generate keys');
    const t0 = Date.now();
    await submit(page, '#node-count', cfg.nodes, 'Set');
    const setupMs = Date.now() - t0;
    await page.evaluate(() => {
      window.__ringlabFrames = [];
      window.__intervals = [];
      let last = null;
      const tick = (ts) => {
        if (last !== null) window.__intervals.push(ts - last);
        last = ts;
        if (window.__recording) requestAnimationFrame(tick);
      };
      window.__recording = true;
      requestAnimationFrame(tick);
    });
    const clickAt = Date.now();
    await page.getByRole('button', { name: 'Add node' }).click();
    await settle(page);
    const wallMs = Date.now() - clickAt;
    const { cost, intervals } = await page.evaluate(() => {
      window.__recording = false;
      return { cost: window.__ringlabFrames, intervals: window.__intervals };
    });
    rows.push({ ...cfg, run, frames: cost.length, setupMs, wallMs, cost, intervals });
    await closePage(page);
  }
} finally {
  await context.shutdown();
  await stopServer();
}

const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const max = (xs) => (xs.length ? Math.max(...xs) : NaN);
console.log('| nodes × vnodes | keys | run | frames | cost p50 | cost p95 | worst frame | interval p50 | interval p95 | interval max | 60 fps? |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const p95 = pct(r.intervals, 95);
  console.log(
    `| ${r.nodes} × ${r.vnodes} | ${r.keys.toLocaleString('en')} | ${r.run} | ${r.frames} | ${f(pct(r.cost, 50))} ms | ${f(pct(r.cost, 95))} ms | ${f(max(r.cost))} ms | ${f(pct(r.intervals, 50))} ms | ${f(p95)} ms | ${f(max(r.intervals))} ms | ${p95 <= 16.7 + 0.5 ? 'yes' : 'no'} |`,
  );
}
