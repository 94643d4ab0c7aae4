// End to end in a real VS Code (code-server + Chromium): what a user of the packaged netvsc-lab.vsix
// sees of the device tree, the NetVSC console, the two language servers, the trace viewer and the
// debugger (issues 6, 7 and 8, their "Proof" sections). One code-server and one window for the
// file; the describe() blocks run in order on one workspace (the examples plus fixtures/workspace),
// so the device's state carries from one block to the next as it would for a user.
// Expected values come from outside the extension: Microsoft's published RSS verification hashes,
// tshark's reading of the fixture capture, netvsc-facts §4/§8/§11 (the driver's LRO/XDP rules and
// ethtool 6.11's output formats) and the fixture sources themselves.
// Prerequisites: `node scripts/build.mjs && npm run package && node test/e2e/setup.mjs`.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { CodeServer, REPO_ROOT, RESULTS_DIR } from './codeServer';
import { WorkbenchMore, expandTabs, until } from './workbench';

const VSIX = process.env.NETVSC_E2E_VSIX ?? join(REPO_ROOT, 'netvsc-lab.vsix');
const FIXTURES = join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'workspace');
const LABEL = 'e2e-features';
/** Screenshots of the key states, kept on success too. */
const SHOTS = join(RESULTS_DIR, LABEL);
const CAPTURE = 'rss-vectors.pcapng';

/**
 * Microsoft's RSS verification suite ("Verifying the RSS Hash Calculation"), IPv4 rows: source,
 * destination and the Toeplitz hash over the addresses only (default key, the one hv_netvsc
 * programs: netvsc-facts §2). hv_netvsc programs no UDP hash type, so these UDP datagrams are
 * hashed by address; the default 128-entry indirection table holds i % channels.
 */
const RSS_VECTORS = [
  { src: '66.9.149.187', dst: '161.142.100.80', hash: 0x323e8fc2 },
  { src: '199.92.111.2', dst: '65.69.140.83', hash: 0xd718262a },
  { src: '24.19.198.95', dst: '12.22.207.184', hash: 0xd2d0a5de },
  { src: '38.27.205.30', dst: '209.142.163.6', hash: 0x82989176 },
  { src: '153.39.163.191', dst: '202.188.127.2', hash: 0x5d1809c5 },
];
const ITAB_NUM = 128;
/** ethtool -l on an 8-vCPU guest of a host with more queues: min(64, cpus, host queues) (netvsc-facts §2, §9). */
const CHANNELS = 8;
const queueOf = (hash: number): number => (hash % ITAB_NUM) % CHANNELS;

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((n) => newestMtime(join(path, n))));
}

function checkArtifacts(): void {
  if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: run \`npm run package\` first`);
  const src = process.env.NETVSC_E2E_VSIX ? [] : [join(REPO_ROOT, 'extension', 'vscode'), join(REPO_ROOT, 'package.json')];
  if (src.length && Math.max(...src.map(newestMtime)) > statSync(VSIX).mtimeMs) {
    throw new Error(`${VSIX} is older than extension/vscode or package.json: run \`npm run package\` again`);
  }
}

/** The fixture capture as tshark reads it: the oracle for what the views must show. */
function tsharkRows(file: string): { src: string; dst: string; len: number; proto: string }[] {
  let out: string;
  try {
    out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'frame.len', '-e', 'ip.proto'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    throw new Error(`tshark failed on ${file} (${(e as Error).message}): install the Debian package tshark`, { cause: e });
  }
  return out.trim().split('\n').map((l) => {
    const [src, dst, len, proto] = l.split('\t');
    return { src, dst, len: Number(len), proto };
  });
}

/** 1-based number of the first line of `file` that contains `text`. */
function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `'${text}' is not in ${file}`);
  return i + 1;
}

let server: CodeServer | undefined;
let wb: WorkbenchMore;
let page: Page;
let ws: string;

async function shot(name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** The description shown beside a tree row's label. */
async function description(row: Locator): Promise<string> {
  const d = row.locator('.label-description');
  return (await d.count()) ? (await d.first().innerText()).trim() : '';
}

/** Expands a tree row (a no-op when it is open). */
async function expand(row: Locator): Promise<void> {
  await row.waitFor();
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
  await until(`${await row.locator('.label-name').innerText()} to expand`, async () => (await row.getAttribute('aria-expanded')) === 'true');
}

async function collapse(row: Locator): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) === 'true') await row.locator('.monaco-tl-twistie').click();
  await until('the row to collapse', async () => (await row.getAttribute('aria-expanded')) === 'false');
}

/** The trace viewer's visible rows as { column id: cell text }. */
async function viewerRows(frame: FrameLocator): Promise<Record<string, string>[]> {
  // One snapshot of header and rows (the page rebuilds its header when the device columns appear).
  return frame.locator('body').evaluate((body) => {
    const cols = [...body.querySelectorAll('.ntv-th')].map((t) => (t as HTMLElement).dataset.col ?? '');
    return [...body.querySelectorAll('.ntv-row:not([hidden])')].map((r) => {
      const cells = [...r.querySelectorAll('.ntv-td')].map((c) => (c.textContent ?? '').trim());
      return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
    });
  });
}

before(async () => {
  checkArtifacts();
  server = await CodeServer.start({ label: LABEL, vsix: VSIX });
  try {
    ws = server.workspace('features', join(REPO_ROOT, 'examples'));
    cpSync(FIXTURES, ws, { recursive: true });
    page = await server.open(ws);
    wb = new WorkbenchMore(page);
  } catch (e) {
    console.log(`# screenshot and logs: ${await server.saveArtifacts('opening the workbench')}`);
    throw e;
  }
});

afterEach(async (t) => {
  if ('passed' in t && !t.passed && server) console.log(`# screenshot and logs of the failed test: ${await server.saveArtifacts(`failed ${t.name}`)}`);
});

after(async () => {
  await server?.stop();
});

describe('NetVSC view: counters after a replay', () => {
  const expected = tsharkRows(join(FIXTURES, CAPTURE));

  test('the fixture capture holds the five RSS verification flows (tshark)', () => {
    assert.deepEqual(expected.map((r) => [r.src, r.dst, r.proto]), RSS_VECTORS.map((v) => [v.src, v.dst, '17'])); // 17: UDP
  });

  test('Replay from the explorer context menu: per-queue RX counters follow the Toeplitz hashes and add up to the packets replayed', async () => {
    await wb.openViewContainer('NetVSC');
    await wb.treeItem('eth0').waitFor();
    await wb.contextMenu(await wb.openFromExplorer(CAPTURE), 'Replay Capture or Scenario');

    await wb.openViewContainer('NetVSC');
    const queues = wb.treeItem('Channels & queues');
    await expand(queues);
    // The section's line sums the per-queue counters.
    const summary = await until('the replay to reach the counters', async () => {
      const d = await description(queues);
      return d.includes(`rx ${expected.length} `) && d;
    }, 30_000);
    assert.equal(summary, `${CHANNELS} of ${CHANNELS} · rx ${expected.length} · tx 0`);

    const want = new Map<number, { packets: number; bytes: number }>();
    RSS_VECTORS.forEach((v, i) => {
      const q = want.get(queueOf(v.hash)) ?? { packets: 0, bytes: 0 };
      q.packets++;
      q.bytes += expected[i].len;
      want.set(queueOf(v.hash), q);
    });
    let sum = 0;
    for (let q = 0; q < CHANNELS; q++) {
      const row = wb.treeItem(`queue ${q}`);
      const d = await description(row);
      const m = /^rx (\d+) · tx (\d+) · xdp drop (\d+)$/.exec(d);
      assert.ok(m, `queue ${q}: '${d}'`);
      assert.equal(Number(m[1]), want.get(q)?.packets ?? 0, `RX packets of queue ${q}`);
      sum += Number(m[1]);
    }
    assert.equal(sum, expected.length);
    // A queue's RX line counts bytes as the frame lengths tshark reads.
    const busiest = [...want.entries()].sort((a, b) => b[1].packets - a[1].packets)[0];
    await expand(wb.treeItem(`queue ${busiest[0]}`));
    const rx = wb.page.locator('.monaco-list-row[role="treeitem"][aria-level="4"]').filter({ has: page.locator('.label-name', { hasText: /^RX$/ }) }).first();
    assert.equal(await until('the queue\'s RX row', () => description(rx).catch(() => ''), 10_000), `${busiest[1].packets} packets, ${busiest[1].bytes} bytes`);
    await shot('devices-after-replay');
    await collapse(wb.treeItem(`queue ${busiest[0]}`));
    await collapse(queues);
  });

  test('the replay opened a live trace panel whose rows carry each packet\'s hash and queue', async () => {
    assert.equal(await wb.activeTabTitle(), `Replay ${CAPTURE} on eth0`);
    const frame = wb.webview();
    const rows = await until('the live panel to list the replayed packets', async () => {
      const r = await viewerRows(frame).catch(() => []);
      return r.length === expected.length && r.every((x) => x.queue) && r;
    }, 30_000);
    assert.deepEqual(rows.map((r) => [r.source, r.destination, r.queue, r.hash]),
      RSS_VECTORS.map((v) => [v.src, v.dst, String(queueOf(v.hash)), `0x${v.hash.toString(16).padStart(8, '0')}`]));
    await shot('live-replay-panel');
  });
});

describe('Offloads: LRO and XDP from the tree', () => {
  const lro = () => wb.treeItem('large-receive-offload');

  test('Toggle Offload on large-receive-offload runs ethtool -K … off; the row reads off', async () => {
    await wb.openViewContainer('NetVSC');
    await expand(wb.treeItem('Offloads'));
    await lro().waitFor();
    // netvsc-facts §4: LRO is on by default when the host offers RSC (the azure profile does).
    assert.equal(await description(lro()), 'on');
    await wb.inlineAction(lro(), 'Toggle Offload');
    await until('LRO to read off', async () => (await description(lro())) === 'off');
    // Tree actions echo the command they ran in the NetVSC console.
    await until('the console to echo the command', async () => (await wb.terminalText()).includes('ethtool -K eth0 large-receive-offload off'), 15_000);
  });

  test('with xdp_pass.o attached, toggling LRO on shows ethtool\'s refusal and LRO stays off', async () => {
    const src = readFileSync(join(ws, 'xdp', 'xdp_pass.c'), 'utf8');
    const fn = /SEC\("xdp"\)\s*int\s+(\w+)/.exec(src)?.[1];
    assert.ok(fn, 'no SEC("xdp") function in xdp_pass.c');
    await wb.typeInTerminal('clear');
    await wb.typeInTerminal(`ip link set dev eth0 xdp obj ${join(ws, 'xdp', 'xdp_pass.o')} sec xdp`);
    // The device's line names the attached program (the XDP node is below the open Offloads).
    await until('eth0 to show the attached program', async () => (await description(wb.treeItem('eth0'))).endsWith(`· XDP ${fn}`), 15_000);

    await wb.inlineAction(lro(), 'Toggle Offload');
    // netvsc_fix_features() drops LRO while XDP is attached (netvsc-facts §4), so none of the
    // requested bits changes: ethtool -K prints the actual change under the kernel's feature name
    // (NETIF_F_LRO is "rx-lro") and fails with "Could not change any device features" (§11).
    const shown = await until('the refusal notification', async () => (await wb.notificationMessages()).find((m) => m.includes('large-receive-offload on')), 15_000);
    assert.equal(shown, 'ethtool -K eth0 large-receive-offload on: Could not change any device features');
    const console = await until('the console to show ethtool\'s output', async () => {
      const t = await wb.terminalText();
      return t.includes('Could not change any device features') && t;
    }, 15_000);
    const lines = console.split('\n').map((l) => l.trimEnd());
    const at = lines.findIndex((l) => l.endsWith('# ethtool -K eth0 large-receive-offload on'));
    assert.ok(at >= 0, `no echoed command in:\n${console}`);
    assert.deepEqual(lines.slice(at + 1, at + 4), ['Actual changes:', 'rx-lro: off [requested on]', 'Could not change any device features']);
    // LRO stays off in the tree ...
    assert.match(await description(lro()), /^off\b/);
    assert.equal(await lro().locator('.codicon-circle-large-outline').count(), 1, 'the row\'s icon should be the "off" circle');
    await shot('lro-refused-with-xdp');
    await collapse(wb.treeItem('Offloads'));
    assert.equal(await description(wb.treeItem('XDP')), `${fn} (xdp)`);
    // ... and reads as ethtool -k prints it: wanted on, active off is "off [requested on]" (§11).
    await expand(wb.treeItem('Offloads'));
    await until('LRO to read off [requested on] (ethtool -k\'s line for it)', async () => (await description(lro())) === 'off [requested on]', 10_000);
  });
});

describe('NetVSC console', () => {
  test('ethtool -l eth0 prints ethtool 6.11\'s channel parameters', async () => {
    await wb.runCommand('NetVSC: Open Console');
    await wb.typeInTerminal('clear');
    await until('the console to clear', async () => !(await wb.terminalText()).includes('Actual changes'), 10_000);
    await wb.typeInTerminal('ethtool -l eth0');
    // netvsc-facts §11 (`ethtool -l DEV`, netlink): only combined is reported, the rest n/a; §9:
    // max_combined = max_chn, combined = num_chn. TABs render as 8-column tab stops.
    const expected = [
      'Channel parameters for eth0:', 'Pre-set maximums:', 'RX:\t\tn/a', 'TX:\t\tn/a', 'Other:\t\tn/a', `Combined:\t${CHANNELS}`,
      'Current hardware settings:', 'RX:\t\tn/a', 'TX:\t\tn/a', 'Other:\t\tn/a', `Combined:\t${CHANNELS}`,
    ].map(expandTabs);
    const lines = await until('ethtool -l output', async () => {
      const l = (await wb.terminalText()).split('\n').map((x) => x.trimEnd());
      const at = l.findIndex((x) => x.endsWith('# ethtool -l eth0'));
      return at >= 0 && l.length > at + expected.length && l.slice(at + 1, at + 1 + expected.length);
    }, 15_000);
    assert.deepEqual(lines, expected);
  });

  test('a command line wider than the terminal is shown once, wrapped, not once per keystroke', async () => {
    await wb.typeInTerminal('clear');
    await until('the console to clear', async () => !(await wb.terminalText()).includes('Combined:'), 10_000);
    // Changeable features asked for the values they have: ethtool -K prints nothing (§11).
    const cmd = 'ethtool -K eth0 tx-nocache-copy off rx-gro-list off rx-udp-gro-forwarding off tx-tcp-mangleid-segmentation off generic-receive-offload on generic-segmentation-offload on receive-hashing on';
    await wb.typeInTerminal(cmd);
    const text = await until('the next prompt', async () => {
      const t = await wb.terminalText();
      return t.replace(/\n/g, '').includes(`${cmd}root@netvsc-lab:~#`) && t;
    }, 15_000);
    const prompts = text.replace(/\n/g, '').split('root@netvsc-lab:~# ethtool -K eth0 tx-nocache-copy').length - 1;
    assert.equal(prompts, 1, `the typed line is drawn ${prompts} times:\n${text}`);
  });
});

describe('language servers', () => {
  test('an .ethtool file gets the diagnostic ethtool would print (squiggle and Problems entry)', async () => {
    const file = join(ws, 'flow-hash.ethtool');
    const line = lineOf(file, 'rx-flow-hash udp4 sdf');
    const col = readFileSync(file, 'utf8').split('\n')[line - 1].indexOf('sdf') + 1;
    await wb.quickOpen('flow-hash.ethtool');
    await page.locator('.editor-group-container.active .monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+Shift+M');
    const row = page.locator('.markers-panel .monaco-list-row').filter({ hasText: 'flow hashing' }).first();
    await row.waitFor({ timeout: 15_000 });
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    // netvsc-facts §2: hv_netvsc takes only sd or sdfn (else -EOPNOTSUPP); §11: ethtool -N's message.
    assert.match(text, /Cannot change RX network flow hashing options: Operation not supported/);
    assert.match(text, new RegExp(`\\[Ln ${line}, Col ${col}\\]`));
    await shot('ethtool-diagnostic');
    await page.keyboard.press('Control+Shift+M');
  });

  test('an XDP C file shows the CodeLenses Attach to eth0, Run on trace…, Debug above its SEC("xdp")', async () => {
    await wb.quickOpen('xdp_drop_udp.c');
    const lens = page.locator('.editor-group-container.active .monaco-editor .codelens-decoration').first();
    await lens.waitFor({ timeout: 30_000 });
    const titles = (await lens.locator('a').allInnerTexts()).map((s) => s.trim());
    assert.deepEqual(titles, ['Attach to eth0', 'Run on trace…', 'Debug']);
    // The lens sits right above the line that starts the program.
    const sec = page.locator('.editor-group-container.active .view-line', { hasText: 'SEC("xdp")' }).first();
    const [lb, sb] = [await lens.boundingBox(), await sec.boundingBox()];
    assert.ok(lb && sb && lb.y < sb.y && sb.y - lb.y < 2.5 * sb.height, `lens at y=${lb?.y}, SEC line at y=${sb?.y}`);
    await shot('xdp-codelens');
  });
});

describe('trace viewer', () => {
  test('opening the .pcapng from the explorer shows its packet list', async () => {
    const file = join(ws, CAPTURE);
    const want = tsharkRows(file);
    // Once the workbench knows the extension's contributions (its activity-bar entry is there), a
    // capture opens in the contributed custom editor (before that VS Code offers only its text editor).
    await wb.activityBarTab('NetVSC').waitFor({ timeout: 30_000 });
    await (await wb.openFromExplorer(CAPTURE)).dblclick();
    await until('the trace viewer tab', async () => (await wb.activeTabTitle().catch(() => '')) === CAPTURE, 20_000);
    const frame = wb.webview();
    const rows = await until('the packet list', async () => {
      const r = await viewerRows(frame).catch(() => []);
      return r.length === want.length && r.every((x) => x.no) && r;
    }, 30_000);
    assert.deepEqual(rows.map((r) => [r.no, r.source, r.destination, r.length]), want.map((w, i) => [String(i + 1), w.src, w.dst, String(w.len)]));
    assert.match(await frame.locator('.ntv-counts').innerText(), new RegExp(`^Packets: ${want.length} · Displayed: ${want.length} \\(100\\.0%\\)`));
    await shot('trace-viewer');
  });
});

describe('debugger', () => {
  test('F5 on launch.json with a breakpoint in xdp_drop_udp.c pauses on that line of packet 1', async () => {
    const file = join(ws, 'xdp', 'xdp_drop_udp.c');
    const line = lineOf(file, 'if (udp->dest == bpf_htons(DROP_PORT))');
    await (await wb.openFromExplorer('xdp/xdp_drop_udp.c')).click();
    await until('the C editor', async () => (await wb.activeTabTitle().catch(() => '')) === 'xdp_drop_udp.c', 15_000);
    // Go to the line (Ctrl+G) and toggle a breakpoint there (F9), as a user would.
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    await page.keyboard.press('F9');
    await page.locator('.editor-group-container.active .codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('F5');

    const toolbar = page.locator('.debug-toolbar');
    await toolbar.waitFor({ timeout: 60_000 });
    await toolbar.locator('.action-label[aria-label^="Continue"]').waitFor({ timeout: 60_000 });
    // The adapter steps backwards (issue 8: supportsStepBack): VS Code adds Step Back and Reverse.
    const actions = await toolbar.locator('.action-label').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    for (const a of ['Step Over', 'Step Into', 'Step Out', 'Step Back', 'Reverse', 'Stop']) {
      assert.ok(actions.some((l) => l.startsWith(a)), `no ${a} in the debug toolbar: ${actions.join(', ')}`);
    }
    // The editor shows the paused line: the top-stack-frame decoration on the line with that text,
    // and the cursor's line number.
    const paused = page.locator('.editor-group-container.active .debug-top-stack-frame-line').first();
    await paused.waitFor({ timeout: 30_000 });
    // (Monaco renders spaces as NBSP: match a space-free part of the line.)
    const code = page.locator('.editor-group-container.active .view-line', { hasText: 'bpf_htons(DROP_PORT))' }).first();
    const [pb, cb] = [await paused.boundingBox(), await code.boundingBox()];
    assert.ok(pb && cb && Math.abs(pb.y - cb.y) < 2, `paused decoration at y=${pb?.y}, the breakpoint line at y=${cb?.y}`);
    assert.equal((await page.locator('.editor-group-container.active .line-numbers.active-line-number').first().innerText()).trim(), String(line));
    // The call stack: the XDP program (its C file and line) on top of the packet's pipeline stages,
    // which carry the first RSS vector's published hash and the queue it selects.
    const stack = page.locator('.debug-call-stack .monaco-list-row');
    await stack.first().waitFor({ timeout: 15_000 });
    const texts = (await stack.allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
    assert.match(texts[0], new RegExp(`^xdp_drop_udp\\b.*xdp_drop_udp\\.c ${line}:\\d+$`), texts.join('\n'));
    const v = RSS_VECTORS[0];
    const rss = texts.find((t) => t.startsWith('RSS: '));
    assert.ok(rss?.includes(`hash 0x${v.hash.toString(16).padStart(8, '0')}`), texts.join('\n'));
    assert.ok(texts.includes(`channel: queue ${queueOf(v.hash)}`), texts.join('\n'));
    await shot('debugger-paused');
    // The device tree follows the session (issue 8, Output): its device shows beside eth0, read-only.
    await wb.openViewContainer('NetVSC');
    // eth0 was left expanded by earlier tests: fold it so the next root is on screen.
    const eth0 = wb.treeItem('eth0');
    if ((await eth0.getAttribute('aria-expanded')) === 'true') { await eth0.click(); await page.keyboard.press('ArrowLeft'); }
    const followed = wb.treeItem('debug (eth0)');
    await followed.waitFor({ timeout: 15_000 });
    assert.match((await followed.innerText()).replace(/\s+/g, ' '), /azure · 8 ch/);
    await page.keyboard.press('Shift+F5');
    await toolbar.waitFor({ state: 'hidden', timeout: 20_000 });
    // When the session ends, its device leaves the tree.
    await followed.waitFor({ state: 'detached', timeout: 15_000 });
  });
});
