// The trace viewer's real webview bundle (webview/trace/main.ts) in headless Chromium, served the
// page extension/core/traceview/html.ts makes (strict CSP with a nonce), talking to the real,
// vscode-free TraceViewServer over the same typed messages VS Code would carry: the page's
// `acquireVsCodeApi().postMessage` goes to the server, replies come back as `message` events.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { bundleForBrowser, launchChromium } from './browser';
import { REPO_ROOT } from '../e2e/codeServer';
import { buildPacket } from '../../extension/core/packet/build';
import { PcapngWriter } from '../../extension/core/packet/pcapng';
import { openCaptureBytes } from '../../extension/core/packet/reader';
import { traceDocument } from '../../extension/core/traceview/document';
import { makeNonce, viewerHtml } from '../../extension/core/traceview/html';
import type { ViewRequest } from '../../extension/core/traceview/protocol';
import { TraceViewServer } from '../../extension/core/traceview/server';

const UDP = 30;
const TCP = 20;

/** 50 frames: 30 UDP to port 53 and 20 TCP SYNs to port 443, interleaved, 1 ms apart. */
function capture(): Uint8Array {
  const w = new PcapngWriter();
  const parts = [w.shb('netvsc-lab test'), w.idb({ linkType: 1, name: 'eth0' })];
  for (let i = 0; i < UDP + TCP; i++) {
    const udp = i % 5 < 3;
    const frame = buildPacket({
      eth: { src: '00:15:5d:00:00:01', dst: '00:15:5d:00:00:02' },
      ip: { src: `10.0.0.${1 + (i % 7)}`, dst: '10.0.1.1', id: i },
      l4: udp ? { udp: { sport: 10_000 + i, dport: 53 } } : { tcp: { sport: 20_000 + i, dport: 443, seq: i, flags: 0x02, window: 64240 } },
      payload: udp ? 20 : 0,
    });
    parts.push(w.epb({ iface: 0, tsSec: 1_700_000_000, tsNsec: i * 1_000_000, data: frame }));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

let browser: Browser;
let http: Server;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  const viewer = new TraceViewServer(traceDocument('e2e.pcapng', openCaptureBytes(capture(), 'e2e.pcapng')));
  const script = await bundleForBrowser({ entry: join(REPO_ROOT, 'webview', 'trace', 'main.ts'), globalName: 'netvscTraceViewer' });
  const css = readFileSync(join(REPO_ROOT, 'webview', 'trace', 'trace.css'));
  const nonce = makeNonce(crypto.getRandomValues(new Uint8Array(16)));
  http = createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(viewerHtml({ cspSource: origin, nonce, scriptUri: `${origin}/trace.js`, styleUri: `${origin}/trace.css`, title: 'e2e.pcapng' }));
    } else if (req.url === '/trace.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else if (req.url === '/trace.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(css);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  // The webview's side of VS Code: postMessage to the extension (here: the server), and the
  // extension's replies delivered as window `message` events.
  await page.exposeFunction('netvscHostPost', async (m: ViewRequest) => {
    const reply = await viewer.handle(m);
    await page.evaluate((r) => (globalThis as unknown as { postMessage(m: unknown, target: string): void }).postMessage(r, '*'), reply as unknown as Record<string, unknown>);
  });
  // A string, not a function: tsx would wrap a function's inner names in its own helpers.
  await page.addInitScript(`(() => {
    let state;
    globalThis.acquireVsCodeApi = () => ({
      postMessage: (m) => globalThis.netvscHostPost(m),
      getState: () => state,
      setState: (s) => { state = s; },
    });
  })();`);
  await page.goto(`http://127.0.0.1:${port}/`);
});

after(async () => {
  await browser?.close();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
});

const status = () => page.locator('.ntv-status .ntv-counts');

async function waitForCounts(text: string): Promise<void> {
  await page.locator('.ntv-status .ntv-counts', { hasText: text }).waitFor({ timeout: 15_000 });
}

test('the viewer opens the capture and counts every packet', async () => {
  await waitForCounts(`Packets: ${UDP + TCP} · Displayed: ${UDP + TCP} (100.0%)`);
  assert.match(await status().innerText(), /^Packets: 50 · Displayed: 50 \(100\.0%\)/);
});

test('the packet list renders rows in capture order', async () => {
  await page.locator('.ntv-row:not(.loading)').first().waitFor();
  const first = await page.locator('.ntv-row:not(.loading)').first().locator('.ntv-td').allInnerTexts();
  assert.equal(first[0].trim(), '1', 'No. of the first row');
  assert.ok(first.some((c) => c.trim() === '10.0.0.1'), `source 10.0.0.1 in ${JSON.stringify(first)}`);
  assert.ok(first.some((c) => /^(UDP|DNS)$/.test(c.trim())), `protocol UDP/DNS in ${JSON.stringify(first)}`);
});

test('a display filter narrows the list to the matching packets', async () => {
  const input = page.locator('#ntv-filter');
  await input.fill('tcp.dstport == 443');
  await input.press('Enter');
  await waitForCounts(`Displayed: ${TCP} (40.0%)`);
  await input.fill('udp');
  await input.press('Enter');
  await waitForCounts(`Displayed: ${UDP} (60.0%)`);
});

test('an invalid filter is reported in the bar, not thrown', async () => {
  const input = page.locator('#ntv-filter');
  await input.fill('tcp.port ==');
  const message = page.locator('.ntv-filter-error');
  await page.locator('.ntv-filter-error', { hasText: /\S/ }).waitFor({ timeout: 10_000 });
  assert.match(await message.innerText(), /column \d+/);
});

test('the page ran without script errors or CSP violations', () => {
  assert.deepEqual(pageErrors, []);
});
