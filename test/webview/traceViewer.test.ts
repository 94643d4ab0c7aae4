/// <reference lib="dom" />
// The trace viewer's webview in real headless Chromium, against the bundled page and its strict
// CSP, with a stand-in for VS Code's acquireVsCodeApi whose postMessage goes to a Node-side
// TraceViewServer over a million packets. Screenshots (dark, light) go to test-results/webview/.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { traceDocument } from '../../extension/core/traceview/document';
import { makeNonce, viewerHtml } from '../../extension/core/traceview/html';
import { deviceTraceOf } from '../../extension/core/traceview/packetTraceSource';
import type { ViewRequest } from '../../extension/core/traceview/protocol';
import { TraceViewServer } from '../../extension/core/traceview/server';
import { LiveCapture } from '../../extension/core/traceview/liveCapture';
import { NetvscDevice } from '../../extension/core/netvsc/device';
import { captureSource, Replayer } from '../../extension/core/netvsc/replay';
import { buildViewerBundle } from '../unit/traceview/bundle';
import { makeFixture, type Fixture } from '../unit/traceview/fixture';

const N = 1_000_000;
const CYCLE = 19;
const SHOTS = resolve(__dirname, '../../test-results/webview');
let fx: Fixture;
let srv: TraceViewServer;
let dir: string;
let http: Server;
let base: string;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];
const actions: string[] = [];

function countOfTemplate(t: number, n: number): number { return t >= n ? 0 : Math.floor((n - 1 - t) / CYCLE) + 1; }

/** A few of the theme variables VS Code sets on the webview's <html> (Light/Dark Modern). */
const THEME_VARS: Record<string, Record<string, string>> = {
  'vscode-light': {
    '--vscode-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-editor-foreground': '#3b3b3b',
    '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b', '--vscode-input-border': '#cecece',
    '--vscode-panelTitle-activeForeground': '#3b3b3b', '--vscode-panelTitle-inactiveForeground': '#3b3b3b', '--vscode-panelTitle-activeBorder': '#005fb8',
    '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-foreground': '#3b3b3b',
    '--vscode-dropdown-border': '#cecece', '--vscode-panel-border': '#e5e5e5',
  },
  'vscode-dark': {
    '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-editor-foreground': '#cccccc',
    '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc', '--vscode-input-border': '#3c3c3c',
    '--vscode-panel-border': '#2b2b2b',
  },
};

/** The stand-in for VS Code's webview API: messages go to Node, state is kept like VS Code keeps it. */
function standIn(theme: string, state: unknown): string {
  return `(() => {
    let state = ${JSON.stringify(state ?? null)};
    window.acquireVsCodeApi = () => ({
      postMessage(m) { window.__ntvHost(JSON.stringify(m)).then((r) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(r) }))); },
      getState() { return state === null ? undefined : state; },
      setState(s) { state = s; window.__ntvSaveState(JSON.stringify(s)); },
    });
    document.addEventListener('DOMContentLoaded', () => {
      for (const [k, v] of Object.entries(${JSON.stringify(THEME_VARS[theme] ?? {})})) document.documentElement.style.setProperty(k, v);
      document.body.classList.add(${JSON.stringify(theme)});
    });
  })();`;
}

let savedState: unknown = null;
let destWidth = -1;

async function openPage(theme: 'vscode-dark' | 'vscode-light', state: unknown = null, server: () => TraceViewServer = () => srv): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  p.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  p.on('pageerror', (e) => cspViolations.push(`page error: ${e.message}`));
  await p.exposeFunction('__ntvHost', async (json: string) => JSON.stringify(await server().handle(JSON.parse(json) as ViewRequest)));
  await p.exposeFunction('__ntvSaveState', (json: string) => { savedState = JSON.parse(json); });
  await p.addInitScript(standIn(theme, state));
  await p.goto(`${base}/index.html`);
  await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return p;
}

const statusText = (p: Page) => p.locator('.ntv-counts').innerText();
const rowCells = (p: Page, nth: number) => p.locator('.ntv-row:not([hidden])').nth(nth).locator('.ntv-td').allInnerTexts();

before(async () => {
  fx = makeFixture(N);
  srv = new TraceViewServer(traceDocument('million.pcap', fx.capture, deviceTraceOf(fx.trace, fx.indirection)), {
    action: async (kind, packet) => { actions.push(`${kind}:${packet}`); return `${kind} packet ${packet + 1}`; },
  });
  dir = mkdtempSync(join(tmpdir(), 'ntv-web-'));
  await buildViewerBundle(dir);
  http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/index.html') {
      const nonce = makeNonce(randomBytes(16));
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(viewerHtml({ cspSource: "'self'", nonce, scriptUri: '/trace.js', styleUri: '/trace.css', title: 'million.pcap' }));
    } else if (url.pathname === '/trace.js' || url.pathname === '/trace.css') {
      res.writeHead(200, { 'content-type': url.pathname.endsWith('.js') ? 'text/javascript' : 'text/css' });
      res.end(readFileSync(join(dir, 'webview', url.pathname)));
    } else { res.writeHead(404); res.end(); }
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  }).catch((e: Error) => { throw new Error(`cannot start /usr/bin/chromium (Debian package "chromium"): ${e.message}`, { cause: e }); });
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => http?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('trace viewer webview (Chromium)', () => {
  test('opens a million packets with only the visible rows in the DOM', async () => {
    page = await openPage('vscode-dark');
    assert.match(await statusText(page), /^Packets: 1000000 · Displayed: 1000000 \(100\.0%\)/);
    const rows = await page.locator('.ntv-row').count();
    assert.ok(rows > 10 && rows < 80, `${rows} row elements`);
    const first = await rowCells(page, 0);
    // No., Time (relative, ns precision), Source, Destination, Protocol, Length, Queue, Hash, Path, XDP, RSC, GRO, Drop, Info
    assert.deepEqual(first.slice(0, 6), ['1', '0.000000000', '10.0.0.10', '10.1.0.1', 'TCP', String(fx.templates[0].frame.length)]);
    assert.equal(first[9], 'XDP_PASS');
    assert.match(first[13], /^40000 → 443 \[PSH, ACK\]/);
    assert.equal(await page.locator('.ntv-list').getAttribute('aria-rowcount'), String(N + 1));
  });

  test('End scrolls to the last packet; the DOM stays small', async () => {
    await page.locator('.ntv-list').focus();
    await page.keyboard.press('End');
    await page.waitForSelector('.ntv-row.selected', { timeout: 10_000 });
    const sel = await page.locator('.ntv-row.selected .ntv-td').allInnerTexts();
    const t = fx.templateOf(N - 1);
    assert.equal(sel[0], String(N));
    // 999999 packets 10 µs apart: 9.999990000 s after the first
    assert.equal(sel[1], '9.999990000');
    assert.equal(sel[2], t.src || sel[2]);
    assert.ok(await page.locator('.ntv-row').count() < 80);
    assert.equal(await page.locator('.ntv-list').getAttribute('aria-activedescendant'), 'ntv-selected-row');
    assert.equal(await page.locator('#ntv-selected-row .ntv-td').first().innerText(), String(N));
    const box = await page.locator('.ntv-row.selected').boundingBox();
    const view = await page.locator('.ntv-viewport').boundingBox();
    assert.ok(box && view && box.y >= view.y && box.y + box.height <= view.y + view.height + 1, 'the last row is on screen');
  });

  test('time format switches to delta and absolute', async () => {
    await page.locator('.ntv-list').focus();
    await page.keyboard.press('Home');
    await page.evaluate(() => {
      const s = document.querySelector('vscode-single-select') as unknown as { value: string; dispatchEvent(e: Event): boolean };
      s.value = 'absolute';
      s.dispatchEvent(new Event('change'));
    });
    // 1700000000 s = 2023-11-14 22:13:20 UTC
    await page.waitForFunction(() => document.querySelectorAll('.ntv-row:not([hidden]) .ntv-td')[1]?.textContent === '22:13:20.000000000');
    await page.evaluate(() => {
      const s = document.querySelector('vscode-single-select') as unknown as { value: string; dispatchEvent(e: Event): boolean };
      s.value = 'delta';
      s.dispatchEvent(new Event('change'));
    });
    await page.waitForFunction(() => document.querySelectorAll('.ntv-row:not([hidden])')[1]?.querySelectorAll('.ntv-td')[1]?.textContent === '0.000010000');
  });

  test('sorting by Length (descending) puts the longest frames first', async () => {
    const header = page.locator('.ntv-th[data-col="length"]');
    await header.click();
    await page.waitForFunction(() => document.querySelector('.ntv-th[data-col="length"]')?.getAttribute('aria-sort') === 'ascending');
    await header.click();
    await page.waitForFunction(() => document.querySelector('.ntv-th[data-col="length"]')?.getAttribute('aria-sort') === 'descending');
    const maxLen = Math.max(...fx.templates.map((t) => t.frame.length));
    const first = fx.templates.findIndex((t) => t.frame.length === maxLen);
    // The selected packet stays selected and in view (as in Wireshark); Home goes to the top.
    await page.locator('.ntv-list').focus();
    await page.keyboard.press('Home');
    await page.waitForFunction((n) => document.querySelector('.ntv-row:not([hidden]) .ntv-td')?.textContent === n, String(first + 1), { timeout: 30_000 });
    assert.equal((await rowCells(page, 0))[5], String(maxLen));
    await header.click(); // back to capture order
    await page.waitForFunction(() => document.querySelector('.ntv-th[data-col="length"]')?.getAttribute('aria-sort') === 'none');
  });

  test('dragging a header\'s edge resizes its column in the header and every row; arrows nudge, double-click resets; not a sort', async () => {
    // (No named functions inside page.evaluate: tsx would wrap them in a helper the page lacks.)
    const widths = () => page.evaluate(() => ({
      th: Math.round(document.querySelector('.ntv-th[data-col="source"]')?.getBoundingClientRect().width ?? -1),
      td: Math.round(document.querySelector('.ntv-row:not([hidden])')?.children[2]?.getBoundingClientRect().width ?? -1),
    }));
    const before = await widths();
    assert.equal(before.td, before.th);
    const grip = page.locator('.ntv-th[data-col="source"] .ntv-resize');
    const box = (await grip.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2, { steps: 3 });
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2, { steps: 3 });
    await page.mouse.up();
    const wider = await widths();
    assert.equal(wider.th, before.th + 60);
    assert.equal(wider.td, wider.th, 'the rows follow the header');
    assert.equal(await page.locator('.ntv-th[data-col="source"]').getAttribute('aria-sort'), 'none');
    await grip.focus();
    await page.keyboard.press('ArrowRight');
    assert.equal((await widths()).th, before.th + 68);
    await grip.dblclick();
    assert.deepEqual(await widths(), before);
    // Leave Destination 40 px wider for the state test below.
    const g2 = page.locator('.ntv-th[data-col="destination"] .ntv-resize');
    const b2 = (await g2.boundingBox())!;
    await page.mouse.move(b2.x + 3, b2.y + 5);
    await page.mouse.down();
    await page.mouse.move(b2.x + 43, b2.y + 5, { steps: 4 });
    await page.mouse.up();
    destWidth = await page.evaluate(() => Math.round(document.querySelector('.ntv-th[data-col="destination"]')!.getBoundingClientRect().width));
  });

  test('filter bar: red with the error column, completion, green, Enter applies and shows the count', async () => {
    const input = page.locator('#ntv-filter');
    // Typing in the packet list starts a display filter (Wireshark's behaviour).
    await page.locator('.ntv-list').focus();
    await page.keyboard.type('udp');
    assert.equal(await input.inputValue(), 'udp');
    await page.waitForFunction(() => document.activeElement?.id === 'ntv-filter');
    await input.fill('udp.dstport == ');
    await page.waitForFunction(() => document.querySelector('#ntv-filter')?.classList.contains('invalid'));
    assert.match(await page.locator('.ntv-filter-error').innerText(), /\(column 16\)$/);
    await input.fill('');
    await input.pressSequentially('xdp.ver');
    await page.waitForSelector('#ntv-completions li', { timeout: 10_000 });
    assert.ok((await page.locator('#ntv-completions li .name').allInnerTexts()).includes('xdp.verdict'));
    await input.fill('udp.dstport == 9');
    await page.waitForFunction(() => document.querySelector('#ntv-filter')?.classList.contains('valid'));
    await input.press('Enter');
    const discard = fx.templates.findIndex((t) => t.kind === 'udp-discard');
    const want = countOfTemplate(discard, N);
    await page.waitForFunction((w) => document.querySelector('.ntv-counts')?.textContent?.includes(`Displayed: ${w} `), want, { timeout: 30_000 });
    assert.equal((await rowCells(page, 0))[0], String(discard + 1));
  });

  test('selecting a packet shows its tree, highlights bytes both ways, and draws its path', async () => {
    const discard = fx.templates.findIndex((t) => t.kind === 'udp-discard');
    const t = fx.templates[discard];
    await page.locator('.ntv-row:not([hidden])').nth(1).click();
    await page.waitForSelector('.ntv-ti', { timeout: 10_000 });
    const udp = page.locator('.ntv-ti', { hasText: `User Datagram Protocol, Src Port: ${t.sport}, Dst Port: ${t.dport}` });
    await udp.locator('.ntv-twist').click();
    await page.locator('.ntv-ti', { hasText: 'Destination Port: 9' }).click();
    // Ethernet 14 + IPv4 20: the UDP destination port is bytes 36..37 = 00 09
    assert.deepEqual(await page.locator('.ntv-hexbytes .b.hl').allInnerTexts(), ['00', '09']);
    assert.deepEqual(await page.locator('.ntv-hexbytes .b.hl').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.off)), ['36', '37']);
    assert.match(await page.locator('.ntv-field').innerText(), /^udp\.dstport, 2 bytes$/);
    // Bytes -> tree: byte 26 is the first byte of the IPv4 source address
    await page.locator('.ntv-hexbytes .b[data-off="26"]').click();
    assert.equal(await page.locator('.ntv-ti.selected .ntv-label').innerText(), `Source Address: ${t.src}`);
    assert.equal(await page.locator('.ntv-hexbytes .b.hl').count(), 4);
    // Keyboard: Up goes to the previous visible field
    const above = await page.evaluate(() => {
      const items = [...document.querySelectorAll('.ntv-ti')].filter((e) => !(e as HTMLElement).hidden);
      const k = items.findIndex((e) => e.classList.contains('selected'));
      return items[k - 1].querySelector('.ntv-label')!.textContent;
    });
    await page.locator('.ntv-tree').focus();
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.locator('.ntv-ti.selected .ntv-label').innerText(), above);
    // Path diagram
    const xdp = page.locator('.ntv-stage[data-stage="xdp"]');
    assert.match(await xdp.innerText(), /XDP_DROP/);
    assert.equal(await xdp.evaluate((e) => e.classList.contains('drop')), true);
    const rss = await page.locator('.ntv-stage[data-stage="rss-hash"]').innerText();
    assert.match(rss, new RegExp(`0x${t.hash.toString(16).padStart(8, '0')}`));
    const chan = await page.locator('.ntv-stage[data-stage="channel"]').innerText();
    assert.match(chan, new RegExp(`slot\\s+${t.hash % 128}`));
  });

  test('the debugger\'s reveal event selects its packet', async () => {
    await page.evaluate(() => window.dispatchEvent(new MessageEvent('message', { data: { type: 'reveal', packet: 15 + 19 * 2 } })));
    await page.waitForFunction(() => document.querySelector('#ntv-selected-row .ntv-td')?.textContent === String(15 + 19 * 2 + 1), undefined, { timeout: 10_000 });
    await page.waitForFunction(() => /Src Port: 5002, Dst Port: 9/.test(document.querySelector('.ntv-tree')?.textContent ?? ''));
    // Back to the second row, where the next tests expect the selection.
    await page.locator('.ntv-row:not([hidden])').nth(1).click();
  });

  test('Step through posts an action the host receives', async () => {
    await page.getByText('Step through', { exact: true }).click();
    await page.waitForFunction(() => /stepThrough packet/.test(document.querySelector('.ntv-note')?.textContent ?? ''));
    const discard = fx.templates.findIndex((t) => t.kind === 'udp-discard');
    assert.equal(actions.at(-1), `stepThrough:${discard + CYCLE}`);
  });

  test('charts draw per-queue bars and the indirection grid', async () => {
    await page.locator('vscode-tab-header', { hasText: 'Charts' }).click();
    await page.waitForFunction(() => {
      const c = document.querySelector('canvas[data-chart="indirection"]') as HTMLCanvasElement | null;
      if (!c || c.width === 0) return false;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
      return false;
    }, undefined, { timeout: 10_000 });
    const inked = await page.evaluate(() => {
      const c = document.querySelector('canvas[data-chart="queues"]') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
      return n;
    });
    assert.ok(inked > 100, `${inked} painted pixels`);
    await page.screenshot({ path: join(SHOTS, 'trace-dark-charts.png') });
    await page.locator('vscode-tab-header', { hasText: 'Path through the device' }).click();
    await page.screenshot({ path: join(SHOTS, 'trace-dark.png') });
  });

  test('state comes back when the view is shown again (getState), in the light theme', async () => {
    assert.ok(savedState, 'the page saved its state');
    await page.close();
    const p2 = await openPage('vscode-light', savedState);
    assert.equal(await p2.locator('#ntv-filter').inputValue(), 'udp.dstport == 9');
    assert.equal(await p2.evaluate(() => Math.round(document.querySelector('.ntv-th[data-col="destination"]')!.getBoundingClientRect().width)), destWidth);
    await p2.waitForSelector('.ntv-row.selected', { timeout: 10_000 });
    const discard = fx.templates.findIndex((t) => t.kind === 'udp-discard');
    assert.equal((await p2.locator('.ntv-row.selected .ntv-td').allInnerTexts())[0], String(discard + CYCLE + 1));
    await p2.waitForSelector('.ntv-stage[data-stage="xdp"]');
    const bg = await p2.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(255, 255, 255)');
    await p2.screenshot({ path: join(SHOTS, 'trace-light.png') });
    await p2.close();
    assert.deepEqual(cspViolations, []);
  });
});

describe('live trace panel (Chromium)', () => {
  test('a replay in progress: the list grows and follows the end', async () => {
    const small = makeFixture(1900);
    const dev = new NetvscDevice({ mac: '00:15:5d:00:00:02' });
    const rep = new Replayer(dev, captureSource(small.capture, dev.mac));
    const cap = new LiveCapture(rep.source);
    const live = new TraceViewServer(traceDocument('live replay', cap, deviceTraceOf(rep.trace!), { live: true }));
    rep.runSlice(500);
    cap.sync(rep.position);
    const p = await openPage('vscode-dark', null, () => live);
    assert.match(await statusText(p), /^Packets: 500 · Displayed: 500 /);
    await p.evaluate('(() => { const v = document.querySelector(".ntv-viewport"); v.scrollTop = v.scrollHeight; })()');
    await p.waitForFunction(() => [...document.querySelectorAll('.ntv-row:not([hidden]) .ntv-td:first-child')].some((e) => e.textContent === '500'));
    rep.runAll();
    cap.sync(rep.position);
    const ev = live.grown();
    await p.evaluate((e) => window.dispatchEvent(new MessageEvent('message', { data: e })), ev);
    await p.waitForFunction(() => /^Packets: 1900 · Displayed: 1900 /.test(document.querySelector('.ntv-counts')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await p.waitForFunction(() => [...document.querySelectorAll('.ntv-row:not([hidden]) .ntv-td:first-child')].some((e) => e.textContent === '1900'), undefined, { timeout: 10_000 });
    // The replay's device columns: queue of the last packet as the trace recorded it.
    const last = await p.evaluate(() => {
      const rows = [...document.querySelectorAll('.ntv-row:not([hidden])')];
      const r = rows.find((x) => x.querySelector('.ntv-td')?.textContent === '1900')!;
      return [...r.querySelectorAll('.ntv-td')].map((c) => c.textContent);
    });
    assert.equal(last[6], String(rep.trace!.queue(1899)));
    await p.close();
  });
});
