// Self-test of harness.mjs: it must catch every kind of browser problem it promises to catch,
// so an e2e test cannot pass silently over a console error, an exception, a 404 or a panic.
// Serves its own fixtures (tests/e2e/fixtures/selftest), independent of the app build.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import { launch, openPage, closePage, gotoReady, serveDir, withPage, REPO_ROOT, SCREENSHOT_DIR } from './harness.mjs';

let context;
let server;

before(async () => {
  server = await serveDir(path.join(REPO_ROOT, 'tests', 'e2e', 'fixtures', 'selftest'));
  context = await launch();
});

after(async () => {
  if (context) await context.shutdown();
  if (server) await server.close();
});

async function visit(file, { ready = true } = {}) {
  const page = await openPage(context);
  const url = new URL(file, server.url).href;
  if (ready) {
    // gotoReady resolves against the app's base URL; the fixtures have their own server.
    await page.goto(url);
    await page.waitForFunction(() => document.documentElement.dataset.ready === '1', null, { timeout: 5000 });
  } else {
    await page.goto(url);
  }
  await page.waitForTimeout(200);
  return page;
}

async function expectProblem(file, pattern) {
  const page = await visit(file);
  await assert.rejects(closePage(page), pattern);
}

test('a clean page passes', async () => {
  const page = await visit('ok.html');
  await closePage(page);
});

test('a console error fails the test', async () => {
  await expectProblem('console-error.html', /console\.error: deliberate console error/);
});

test('an uncaught exception fails the test', async () => {
  await expectProblem('page-error.html', /page error: .*deliberate uncaught error/);
});

test('a 404 response fails the test', async () => {
  await expectProblem('missing-resource.html', /HTTP 404: GET .*does-not-exist\.wasm/);
});

test('a #panic alert fails the test with its message', async () => {
  const page = await visit('panic.html', { ready: false });
  await assert.rejects(closePage(page), /#panic shown: panicked at src\/lib\.rs:1:1: deliberate/);
});

test('gotoReady reports a panic instead of timing out', async () => {
  const prev = process.env.E2E_BASE_URL;
  process.env.E2E_BASE_URL = server.url;
  const page = await openPage(context);
  try {
    await assert.rejects(gotoReady(page, 'panic.html', 5000), /app panicked before becoming ready: panicked at/);
    await assert.rejects(gotoReady(page, 'never-ready.html', 500), /data-ready="1"> not set within 500 ms/);
  } finally {
    if (prev === undefined) delete process.env.E2E_BASE_URL;
    else process.env.E2E_BASE_URL = prev;
    await page.close();
  }
});

test('withPage puts the browser problems before a failing assertion and saves a screenshot', async () => {
  const shot = path.join(SCREENSHOT_DIR, 'failed-selftest-withpage.png');
  rmSync(shot, { force: true });
  await assert.rejects(
    withPage(context, 'selftest withPage', async (page) => {
      await page.goto(new URL('console-error.html', server.url).href);
      await page.waitForTimeout(200);
      assert.equal(1, 2, 'deliberate assertion');
    }),
    (err) => {
      assert.match(err.message, /^browser reported 1 problem\(s\):\n {2}- console\.error: deliberate console error/);
      assert.match(err.message, /then: deliberate assertion/);
      assert.match(err.message, /screenshot: target\/screenshots\/failed-selftest-withpage\.png/);
      return true;
    },
  );
  assert.ok(existsSync(shot), 'no failure screenshot');
  rmSync(shot, { force: true });
});
