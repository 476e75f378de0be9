// Shared Playwright helpers for ringlab's end-to-end tests (node:test + playwright-core).
//
// - Launches the system Chromium (Debian's /usr/bin/chromium; override with CHROMIUM_PATH)
//   with a throw-away profile; never downloads a browser.
// - Serves the app: uses E2E_BASE_URL when set (scripts/test.sh serves dist/ and sets it),
//   otherwise starts `python3 -m http.server` on a free 127.0.0.1 port over E2E_DIST
//   (default: dist/ at the repository root) for the lifetime of the test process.
// - Every page opened through `openPage` records console errors, uncaught page errors,
//   failed or HTTP >= 400 requests, crashes and wasm panics; `page.assertClean()` (called by
//   `closePage`) fails the test when any were seen.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'target', 'screenshots');

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Default time to wait for the app to mount and paint (ms). */
export const READY_TIMEOUT = Number(process.env.E2E_READY_TIMEOUT_MS || 20000);

// ---------------------------------------------------------------------------------------------
// Static server

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch (err) {
      lastErr = err;
      await sleep(100);
    }
  }
  throw new Error(`static server at ${url} did not answer within ${timeoutMs} ms: ${lastErr}`);
}

/**
 * Serve a directory with `python3 -m http.server` (it sends application/wasm) on a free
 * loopback port. Returns { url, close }.
 */
export async function serveDir(dir) {
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`${dir}/index.html does not exist: build the app first (trunk build --release)`);
  }
  const port = await freePort();
  const child = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForHttp(url, 10000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${stderr}`);
  }
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(2000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { url, close };
}

let ownServer = null;

/** Base URL of the app under test, ending in '/'. */
export async function baseUrl() {
  if (process.env.E2E_BASE_URL) {
    return process.env.E2E_BASE_URL.endsWith('/') ? process.env.E2E_BASE_URL : `${process.env.E2E_BASE_URL}/`;
  }
  if (!ownServer) {
    const dist = path.resolve(REPO_ROOT, process.env.E2E_DIST || 'dist');
    ownServer = serveDir(dist);
  }
  return (await ownServer).url;
}

/** Stop the static server that `baseUrl` may have started. */
export async function stopServer() {
  if (ownServer) {
    const s = await ownServer.catch(() => null);
    ownServer = null;
    if (s) await s.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Browser

/**
 * Launch Chromium with a fresh profile. Options are passed to launchPersistentContext
 * (e.g. { deviceScaleFactor: 2, viewport: {...} }). Returns the context; `context.shutdown()`
 * closes it and removes the profile directory.
 */
export async function launch(options = {}) {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run scripts/setup.sh --for test (or set CHROMIUM_PATH)`);
  }
  const profile = mkdtempSync(path.join(tmpdir(), 'ringlab-e2e-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      ...options,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  context.shutdown = async () => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

const PANIC_RE = /panicked at|RuntimeError: unreachable|wasm-bindgen: imported JS function that was not marked as `catch` threw an error/;

/**
 * Open a new page in `context` that records every problem. The returned page has
 * `page.problems` (array of strings) and `page.assertClean()`.
 *
 * A bare root URL shows the start page to a first-time visitor and takes a returning one back
 * to where they last were. Tests are returning visitors with nowhere to go back to (so `/`
 * is the Hash ring, as it always was) unless `{ newcomer: true }` is passed.
 */
export async function openPage(context, { newcomer = false } = {}) {
  const page = await context.newPage();
  if (!newcomer) {
    await page.addInitScript(() => {
      try {
        localStorage.setItem('ringlab.seen', '1');
        localStorage.removeItem('ringlab.last');
        localStorage.removeItem('ringlab.closed');
      } catch {
        // Storage refused (e.g. about:blank): nothing to set.
      }
    });
  }
  const problems = [];
  page.problems = problems;
  page.on('console', (msg) => {
    const text = msg.text();
    const where = msg.location()?.url || '';
    if (msg.type() === 'error') {
      // Chromium fetches /favicon.ico by itself when the page declares no icon; not the app's doing.
      if (/\/favicon\.ico$/.test(where) && /Failed to load resource/.test(text)) return;
      const kind = PANIC_RE.test(text) ? 'wasm panic (console.error)' : 'console.error';
      problems.push(`${kind}: ${text}${where ? ` (${where})` : ''}`);
    } else if (PANIC_RE.test(text)) {
      problems.push(`wasm panic (console.${msg.type()}): ${text}`);
    }
  });
  page.on('pageerror', (err) => {
    problems.push(`page error: ${err.stack || err.message || err}`);
  });
  page.on('requestfailed', (req) => {
    const failure = req.failure();
    // A navigation away aborts pending requests; that is not an app failure.
    if (failure && failure.errorText === 'net::ERR_ABORTED' && page.isClosed()) return;
    problems.push(`request failed: ${req.method()} ${req.url()} (${failure ? failure.errorText : 'unknown'})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  page.on('crash', () => problems.push('page crashed'));
  page.assertClean = async () => {
    if (!page.isClosed()) {
      const panic = await panicText(page);
      if (panic !== null && !problems.some((p) => p.startsWith('#panic'))) problems.push(`#panic shown: ${panic}`);
    }
    if (problems.length) {
      throw new Error(`browser reported ${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`);
    }
  };
  return page;
}

/** Close the page, then fail if it recorded any problem. */
export async function closePage(page) {
  let err = null;
  try {
    await page.assertClean();
  } catch (e) {
    err = e;
  }
  await page.close().catch(() => {});
  if (err) throw err;
}

/** Shorten a problem (e.g. a long stack) for a failure message. */
function brief(problem, lines = 8) {
  const all = problem.split('\n');
  return all.length > lines ? `${all.slice(0, lines).join('\n')}\n    … (${all.length - lines} more lines)` : problem;
}

/**
 * Open a fresh page in `context`, run `body(page)`, then fail on any browser problem.
 * When `body` throws, the browser's problems (often the real cause, e.g. a wasm panic) are
 * put in front of the error, and a screenshot is saved as target/screenshots/failed-<name>.png.
 */
export async function withPage(context, name, body, options = {}) {
  const page = await openPage(context, options);
  try {
    await body(page);
  } catch (err) {
    let shot = '';
    if (!page.isClosed()) {
      const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
      shot = await screenshot(page, `failed-${slug}.png`).then((f) => `\nscreenshot: ${path.relative(REPO_ROOT, f)}`, () => '');
      const panic = await panicText(page);
      if (panic !== null) page.problems.push(`#panic shown: ${panic}`);
    }
    await page.close().catch(() => {});
    if (!page.problems.length && !shot) throw err;
    const problems = page.problems.length
      ? `browser reported ${page.problems.length} problem(s):\n  - ${page.problems.map((p) => brief(p)).join('\n  - ')}\nthen: `
      : '';
    throw new Error(`${problems}${err && err.message ? err.message : err}${shot}`, { cause: err });
  }
  await closePage(page);
}

async function panicText(page) {
  return page
    .evaluate(() => {
      const el = document.getElementById('panic');
      if (!el) return null;
      const style = getComputedStyle(el);
      if (el.hidden || style.display === 'none' || style.visibility === 'hidden') return null;
      return (el.textContent || '').trim() || '(empty #panic element)';
    })
    .catch(() => null);
}

/**
 * Navigate to `pathname` (relative to the base URL) and wait for <html data-ready="1">.
 * Fails early with the panic message if #panic appears or the browser reports an error.
 */
export async function gotoReady(page, pathname = '', timeoutMs = READY_TIMEOUT) {
  const url = new URL(pathname, await baseUrl()).href;
  const started = Date.now();
  await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
  for (;;) {
    const state = await page.evaluate(() => ({
      ready: document.documentElement.dataset.ready === '1',
      panic: !!document.getElementById('panic'),
    }));
    if (state.panic) {
      const text = await panicText(page);
      if (text !== null) throw new Error(`app panicked before becoming ready: ${text}`);
    }
    if (state.ready) return { url, readyMs: Date.now() - started };
    if (page.problems.length) {
      throw new Error(`app reported problems before becoming ready:\n  - ${page.problems.join('\n  - ')}`);
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`<html data-ready="1"> not set within ${timeoutMs} ms at ${url}`);
    }
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Canvas pixels

/**
 * Read a canvas' pixels in the page and summarise them:
 *   { width, height, cssWidth, cssHeight, dpr, hash, painted, saturatedHues, hueBuckets }
 * `saturatedHues` counts 15°-wide hue buckets holding at least `minShare` of the pixels among
 * clearly saturated ones (saturation >= 0.45, value >= 0.3): a proxy for distinct node colours.
 */
export async function canvasStats(locator, { minShare = 0.002 } = {}) {
  return locator.evaluate(
    (canvas, minShare) => {
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('canvas has no 2d context');
      const { width, height } = canvas;
      const data = ctx.getImageData(0, 0, width, height).data;
      const buckets = new Array(24).fill(0);
      let hash = 0x811c9dc5;
      let painted = 0;
      let saturated = 0;
      const total = width * height;
      for (let i = 0; i < data.length; i += 4) {
        const r = data[i];
        const g = data[i + 1];
        const b = data[i + 2];
        const a = data[i + 3];
        hash = Math.imul(hash ^ r ^ (g << 8) ^ (b << 16) ^ (a << 24), 0x01000193) >>> 0;
        if (a === 0) continue;
        painted++;
        const max = Math.max(r, g, b);
        const min = Math.min(r, g, b);
        if (max < 77 || a < 128) continue;
        const s = (max - min) / max;
        if (s < 0.45) continue;
        saturated++;
        let h;
        const d = max - min;
        if (max === r) h = ((g - b) / d) % 6;
        else if (max === g) h = (b - r) / d + 2;
        else h = (r - g) / d + 4;
        h = (h * 60 + 360) % 360;
        buckets[Math.floor(h / 15) % 24]++;
      }
      const rect = canvas.getBoundingClientRect();
      const threshold = Math.max(20, total * minShare);
      return {
        width,
        height,
        cssWidth: rect.width,
        cssHeight: rect.height,
        dpr: window.devicePixelRatio,
        hash: hash.toString(16),
        painted,
        saturated,
        saturatedHues: buckets.filter((n) => n >= threshold).length,
        hueBuckets: buckets,
      };
    },
    minShare,
  );
}

/** Save a full-page screenshot under target/screenshots/ and return its path. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Poll `fn` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function until(fn, { timeoutMs = 5000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let value;
  for (;;) {
    value = await fn();
    if (value || Date.now() > deadline) return value;
    await sleep(intervalMs);
  }
}

/** The Cluster tab's clock in virtual ms (`t = 1,700 ms`), NaN when it reads otherwise. */
/** Loads a gallery scenario by its title and waits until the tab shows it. */
export async function loadGalleryScenario(page, title) {
  const gallery = page.getByRole('list', { name: 'Scenarios' });
  if (!(await until(async () => (await gallery.getByRole('button').count()) > 3, { timeoutMs: 15000 }))) {
    throw new Error('the gallery never filled');
  }
  await gallery.getByRole('button').filter({ hasText: title }).click();
  const shown = await until(
    async () => (await page.getByTestId('scenario-title').innerText()).trim() === title,
    { timeoutMs: 15000 },
  );
  if (!shown) throw new Error(`${title} never loaded`);
}

export async function clockMs(page) {
  const m = /t = ([\d,]+) ms/.exec(await page.getByTestId('clock').innerText());
  return m ? Number(m[1].replaceAll(',', '')) : NaN;
}

/** Moves the Cluster tab's timeline slider to `ms` and waits for the clock to read it. */
export async function scrubTo(page, ms) {
  await page.getByRole('slider', { name: 'Timeline' }).evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
  if (!(await until(async () => (await clockMs(page)) === ms, { timeoutMs: 3000 }))) {
    throw new Error(`clock never reached ${ms} ms (reads ${await clockMs(page)} ms)`);
  }
}
