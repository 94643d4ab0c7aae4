// Helpers of the browser suite: Debian's Chromium through playwright-core, and esbuild bundles of
// TypeScript for the browser (the same options scripts/build.mjs uses for webview bundles).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../e2e/codeServer';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package chromium (node scripts/ensure-system-deps.mjs)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Bundles `entry` (or inline `contents`) for the browser as an IIFE assigning `globalName`.
 *  Node built-ins cannot resolve on the browser platform, so importing one is a build error. */
export async function bundleForBrowser(opts: { entry?: string; contents?: string; resolveDir?: string; globalName: string }): Promise<string> {
  const r = await esbuild.build({
    ...(opts.entry ? { entryPoints: [opts.entry] } : { stdin: { contents: opts.contents!, resolveDir: opts.resolveDir, loader: 'ts', sourcefile: 'entry.ts' } }),
    bundle: true,
    write: false,
    platform: 'browser',
    target: 'chrome114',
    format: 'iife',
    globalName: opts.globalName,
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

/** A blank page (no network) with `script` evaluated in it; page errors are collected. */
export async function pageWithScript(browser: Browser, script: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.stack ?? e.message));
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
  await page.addScriptTag({ content: script });
  return { page, errors };
}
