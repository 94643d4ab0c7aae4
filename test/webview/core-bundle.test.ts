// extension/core runs (in pieces) inside webviews. Every module of the areas a webview may use must
// bundle for the browser and load in a real Chromium with the same exports as in Node, and must
// not reach for Node-only globals (process, Buffer, require, __dirname).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser } from 'playwright-core';
import { bundleForBrowser, launchChromium, pageWithScript } from './browser';
import { REPO_ROOT } from '../e2e/codeServer';

const CORE = join(REPO_ROOT, 'extension', 'core');
/** Areas of core the webviews (trace viewer, debugger views) use. lsp/ serves the Node language
 *  servers and worker/ owns a device in a worker_thread: not for the browser. */
const BROWSER_AREAS = ['packet', 'ebpf', 'netvsc', 'ethtool', 'trace', 'traceview', 'debug'];
/** A module that imports a Node built-in itself is Node-only by design (it reads files, runs
 *  clang, ...). The invariant checked here: every OTHER module must bundle for the browser, i.e.
 *  never pull Node in through one of those, and must not use Node globals. */
const NODE_IMPORT = /(?:from\s+|import\s*\(\s*|require\(\s*)['"](?:node:[\w/]+|fs|fs\/promises|path|os|child_process|worker_threads|net|http|https|crypto|zlib|stream|url|util|events|readline)['"]/;
/** Known uses of Node globals inside functions (they load fine, but throw when called in a
 *  browser). Listed so that new ones fail this test; remove an entry once it is fixed. */
const KNOWN_NODE_GLOBALS: Record<string, string> = {

};
const NODE_GLOBAL = /\b(process\.(hrtime|env|argv|nextTick|cwd|platform|exit|stdout|stderr|version|versions|memoryUsage|pid)\b|Buffer\.(from|alloc|allocUnsafe|concat|isBuffer|byteLength)\b|__dirname|__filename|\brequire\()/;

function modulesOf(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return modulesOf(p);
    return n.endsWith('.ts') && !n.endsWith('.d.ts') ? [relative(CORE, p)] : [];
  });
}

const areaModules = BROWSER_AREAS.flatMap((a) => {
  try { return modulesOf(join(CORE, a)); } catch { return []; }
});
const nodeOnly = areaModules.filter((m) => NODE_IMPORT.test(readFileSync(join(CORE, m), 'utf8')));
const modules = areaModules.filter((m) => !nodeOnly.includes(m));

/** Source text without comments and string/template literal contents (crude but enough to
 *  keep prose like "the current process." in helper docs from counting). */
function codeOnly(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, '""');
}

let browser: Browser;
before(async () => { browser = await launchChromium(); });
after(async () => { await browser?.close(); });

test('the browser-bound core areas exist and hold browser-safe modules', (t) => {
  assert.ok(modules.length >= 10, `only ${modules.length} modules found under ${BROWSER_AREAS.join(', ')}`);
  t.diagnostic(`${modules.length} browser-safe modules; Node-only (import Node built-ins): ${nodeOnly.join(', ') || 'none'}`);
});

test('no browser-bound core module uses Node-only globals (beyond the known, listed ones)', () => {
  const offenders = modules.filter((m) => NODE_GLOBAL.test(codeOnly(readFileSync(join(CORE, m), 'utf8'))));
  const unknown = offenders.filter((m) => !(m in KNOWN_NODE_GLOBALS));
  assert.deepEqual(unknown, [], 'these modules use Node globals and would throw in a webview');
  const fixed = Object.keys(KNOWN_NODE_GLOBALS).filter((m) => !offenders.includes(m));
  assert.deepEqual(fixed, [], 'no longer use Node globals: remove them from KNOWN_NODE_GLOBALS');
});

test('every browser-bound core module bundles for the browser and loads in Chromium with the same exports as in Node', async () => {
  const entry = modules.map((m, i) => `import * as m${i} from ${JSON.stringify(join(CORE, m))};`).join('\n') +
    `\nexport const modules = {${modules.map((m, i) => `${JSON.stringify(m)}: m${i}`).join(', ')}};\n`;
  const script = await bundleForBrowser({ contents: entry, resolveDir: CORE, globalName: 'netvscCore' });
  const { page, errors } = await pageWithScript(browser, script);
  assert.deepEqual(errors, [], 'evaluating the core bundle threw in Chromium');
  const inBrowser = await page.evaluate(() => {
    const mods = (globalThis as unknown as { netvscCore: { modules: Record<string, object> } }).netvscCore.modules;
    return Object.fromEntries(Object.entries(mods).map(([k, m]) => [k, Object.keys(m).sort()]));
  });
  await page.close();
  const inNode: Record<string, string[]> = {};
  for (const m of modules) inNode[m] = Object.keys(await import(join(CORE, m))).filter((k) => k !== 'default' && k !== '__esModule').sort();
  assert.deepEqual(inBrowser, inNode);
});
