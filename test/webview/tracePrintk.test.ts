/// <reference lib="dom" />
// The XDP program's printk output in the trace viewer's path view, in real headless Chromium
// against the bundled page and its strict CSP: a clang-compiled program prints each UDP packet's
// destination port; selecting packet k shows exactly packet k's lines under its XDP stage, and a
// line of HTML (program output is untrusted) is shown as text: no element made, no script run.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { traceDocument } from '../../extension/core/traceview/document';
import { makeNonce, viewerHtml } from '../../extension/core/traceview/html';
import { LiveCapture } from '../../extension/core/traceview/liveCapture';
import { deviceTraceOf } from '../../extension/core/traceview/packetTraceSource';
import type { ViewRequest } from '../../extension/core/traceview/protocol';
import { TraceViewServer } from '../../extension/core/traceview/server';
import { buildViewerBundle } from '../unit/traceview/bundle';
import { HTML, replayPrintk, replayPrintkBounded, type Sent } from '../unit/trace/printkFixture';
import { launchChromium } from './browser';

const SHOTS = resolve(__dirname, '../../test-results/webview');
/** The server the page talks to (a test may switch it and reload). */
let srv: TraceViewServer;
let sent: Sent[];
let dir: string;
let http: Server;
let browser: Browser;
let page: Page;
const problems: string[] = [];

before(async () => {
  const r = replayPrintk();
  sent = r.sent;
  const cap = new LiveCapture(r.src);
  cap.sync(r.rep.trace!.count);
  srv = new TraceViewServer(traceDocument('printk replay', cap, deviceTraceOf(r.rep.trace!)));
  dir = mkdtempSync(join(tmpdir(), 'ntv-printk-'));
  await buildViewerBundle(dir);
  http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(viewerHtml({ cspSource: "'self'", nonce: makeNonce(randomBytes(16)), scriptUri: '/trace.js', styleUri: '/trace.css', title: 'printk' }));
    } else if (path === '/trace.js' || path === '/trace.css') {
      res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/css' });
      res.end(readFileSync(join(dir, 'webview', path)));
    } else { res.writeHead(404); res.end(); }
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  await page.exposeFunction('__ntvHost', async (json: string) => JSON.stringify(await srv.handle(JSON.parse(json) as ViewRequest)));
  await page.addInitScript(`window.acquireVsCodeApi = () => ({
    postMessage(m) { window.__ntvHost(JSON.stringify(m)).then((r) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(r) }))); },
    getState() { return undefined; }, setState() {},
  });`);
  await page.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/index.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => http?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Selects packet k as the debugger's reveal does and waits for its path view. */
async function select(k: number): Promise<void> {
  await page.evaluate((p) => window.dispatchEvent(new MessageEvent('message', { data: { type: 'reveal', packet: p } })), k);
  await page.waitForFunction((p) => document.querySelector('.ntv-path .ntv-stages')?.getAttribute('aria-label') === `Stages of packet ${p + 1}`, k, { timeout: 10_000 });
}

describe('printk output in the path view (Chromium)', () => {
  test('the selected packet\'s XDP stage shows exactly its printk lines', async () => {
    for (const k of [0, 1, 2, 4, 5, 0]) {
      await select(k);
      const xdp = page.locator('.ntv-stage[data-stage="xdp"]');
      assert.equal(await xdp.count(), 1, `packet ${k} has an XDP stage`);
      const out = xdp.locator('.ntv-stage-output');
      if (sent[k].expect.length === 0) assert.equal(await out.count(), 0, `packet ${k} printed nothing`);
      else assert.equal(await out.evaluate((e) => e.textContent), sent[k].expect.join('\n'), `packet ${k}`);
    }
    await select(4);
    assert.match(await page.locator('.ntv-stage[data-stage="xdp"] .ntv-stage-decision').innerText(), /^XDP_DROP/);
  });

  test('a printk line of HTML is shown as text: no element is made and no script runs', async () => {
    await select(3);
    const out = page.locator('.ntv-stage[data-stage="xdp"] .ntv-stage-output');
    assert.equal(await out.evaluate((e) => e.textContent), sent[3].expect.join('\n'));
    assert.ok(sent[3].expect.includes(HTML));
    assert.equal(await out.evaluate((e) => e.children.length), 0);
    assert.equal(await page.evaluate(() => document.querySelectorAll('.ntv-path script, .ntv-path img').length), 0);
    // What the user sees is the literal text, '&amp;' included (not decoded to '&').
    assert.ok((await out.innerText()).includes('<script>alert(666)</script><img src=x onerror=alert(1)>&amp;'));
    mkdirSync(SHOTS, { recursive: true });
    await page.locator('.ntv-stage[data-stage="xdp"]').screenshot({ path: join(SHOTS, 'trace-printk-path.png') });
    assert.deepEqual(problems, []);
  });

  test('a packet whose printk lines the full buffer overwrote shows the "lines dropped" note', async () => {
    const b = replayPrintkBounded({ maxLines: 1 });
    const cap = new LiveCapture(b.src);
    cap.sync(b.trace.count);
    srv = new TraceViewServer(traceDocument('printk replay (small buffer)', cap, deviceTraceOf(b.trace)));
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await select(0);
    const xdp = page.locator('.ntv-stage[data-stage="xdp"]');
    assert.equal(await xdp.locator('.ntv-stage-output').count(), 0);
    const dropped = b.sent.slice(0, 5).reduce((a, s) => a + s.expect.length, 0);
    assert.match(await xdp.locator('.ntv-stage-note').innerText(), new RegExp(`^${dropped} earlier printk lines dropped`));
    await select(5);
    assert.equal(await xdp.locator('.ntv-stage-output').evaluate((e) => e.textContent), b.sent[5].expect.join('\n'));
    assert.equal(await xdp.locator('.ntv-stage-note').count(), 0);
    assert.deepEqual(problems, []);
  });
});
