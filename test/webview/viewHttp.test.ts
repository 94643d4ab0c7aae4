// `netvsc-lab view` in real headless Chromium: the page talks to the CLI's HTTP host (POST /rpc
// with the URL's token, the same protocol as a VS Code webview), paints the capture's rows with
// no request refused and nothing logged as an error, and a filter typed in the bar goes through.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startViewServer, type ViewServer } from '../../extension/cli/commands/view';
import { buildViewerBundle } from '../unit/traceview/bundle';
import { makeFixture } from '../unit/traceview/fixture';
import { launchChromium } from './browser';

const N = 3000;
let dir: string;
let vs: ViewServer;
let browser: Browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ntv-http-'));
  const file = join(dir, 'capture.pcap');
  writeFileSync(file, makeFixture(N).bytes);
  await buildViewerBundle(dir);
  vs = await startViewServer(file, { assetsDir: join(dir, 'webview') });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await vs?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the page served by `netvsc-lab view` paints its rows over the HTTP host, with no refused request or console error', async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.goto(vs.url);
  await page.waitForFunction(() => document.querySelectorAll('.ntv-row:not(.loading):not([hidden])').length > 10, undefined, { timeout: 20_000 });
  assert.equal(await page.locator('.ntv-row:not([hidden]) .ntv-td').first().innerText(), '1');
  assert.match(await page.locator('.ntv-counts').innerText(), new RegExp(`^Packets: ${N} · Displayed: ${N} `));
  // A filter round trip through POST /rpc.
  await page.locator('#ntv-filter').fill('frame.number <= 5');
  await page.locator('#ntv-filter').press('Enter');
  await page.waitForFunction(() => /Displayed: 5 /.test(document.querySelector('.ntv-counts')?.textContent ?? ''), undefined, { timeout: 20_000 });
  assert.deepEqual(problems, []);
  await page.close();
});
