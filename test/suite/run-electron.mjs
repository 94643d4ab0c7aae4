#!/usr/bin/env node
// `npm run test:vscode`: the in-host suite (test/suite/index.ts) in a desktop VS Code through
// @vscode/test-electron, for machines that can download VS Code (or have one: set
// NETVSC_VSCODE_EXECUTABLE to its executable). CI does not rely on it: the same suite runs inside
// code-server in the e2e suite (`npm run test:e2e`), which needs no download.
//   VSCODE_VERSION=1.91.0 npm run test:vscode     the oldest VS Code the manifest allows
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

const repo = resolve(import.meta.dirname, '..', '..');
const suite = join(repo, 'out', 'test', 'suite', 'index.js');
const ACTIVATION_TARGET_MS = 50;

const build = spawnSync(process.execPath, [join(repo, 'scripts', 'build.mjs')], { cwd: repo, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
if (!existsSync(suite)) {
  console.error(`netvsc-lab: the build did not produce ${suite}`);
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'netvsc-vscode-'));
const report = join(tmp, 'suite-report.json');
let code;
try {
  code = await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    vscodeExecutablePath: process.env.NETVSC_VSCODE_EXECUTABLE,
    extensionDevelopmentPath: repo,
    extensionTestsPath: suite,
    extensionTestsEnv: { NETVSC_SUITE_REPORT: report },
    // An empty workspace, no other extensions, a throw-away profile.
    launchArgs: [join(tmp), '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(tmp, 'user-data')],
  });
} catch (e) {
  const msg = e instanceof Error ? e.message : String(e);
  console.error(`netvsc-lab: the VS Code run failed: ${msg}\n` +
    'This runner needs a VS Code it can download (network) or NETVSC_VSCODE_EXECUTABLE=/path/to/code; ' +
    'on Linux without a display run it under xvfb-run. The same suite runs in code-server with `npm run test:e2e`.');
  code = 1;
}
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  for (const t of r.results) console.log(`${t.ok ? 'ok  ' : 'FAIL'} ${t.name}${t.error ? `\n${t.error}` : ''}`);
  if (typeof r.activationMs === 'number') {
    console.log(`activate() took ${r.activationMs.toFixed(2)} ms in VS Code ${r.vscodeVersion} (README target: < ${ACTIVATION_TARGET_MS} ms)`);
  }
}
rmSync(tmp, { recursive: true, force: true });
process.exit(code);
